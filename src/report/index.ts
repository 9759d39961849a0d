// The output formats, each a function of the canonical result only.

import type { Result } from '../engine/result.js';
import { format as json } from './json.js';
import { format as table } from './table.js';
import { format as yaml } from './yaml.js';
import { format as sarif } from './sarif.js';
import { format as junit } from './junit.js';
import { format as github } from './github.js';
import { format as markdown } from './markdown.js';
import { format as html } from './html.js';
import { format as name } from './name.js';
import { escapeResult } from './escape.js';

export interface FormatOptions {
  color: boolean;
  /** --no-headers: table/wide rows only (no header, details or summary). */
  noHeaders?: boolean;
}

type Formatter = (result: Readonly<Result>, options: FormatOptions) => string;

/** Formats read by people (terminals, CI pages, PR comments): control characters from manifests escaped. */
const shown =
  (f: Formatter): Formatter =>
  (r, o) =>
    f(escapeResult(r), o);

export const formats = new Map<string, Formatter>([
  ['table', shown((r, o) => table(r, { color: o.color, noHeaders: o.noHeaders }))],
  ['wide', shown((r, o) => table(r, { color: o.color, wide: true, noHeaders: o.noHeaders }))],
  ['json', (r) => json(r)],
  ['yaml', (r) => yaml(r)],
  ['sarif', shown((r) => sarif(r))],
  ['junit', shown((r) => junit(r))],
  ['github', shown((r) => github(r))],
  ['markdown', shown((r) => markdown(r))],
  ['html', shown((r) => html(r))],
  ['name', shown((r) => name(r))],
]);

/** Names for `-o`, in help order. */
export const formatNames = [...formats.keys()];
