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

export interface FormatOptions {
  color: boolean;
  /** --no-headers: table/wide rows only (no header, details or summary). */
  noHeaders?: boolean;
}

type Formatter = (result: Readonly<Result>, options: FormatOptions) => string;

export const formats = new Map<string, Formatter>([
  ['table', (r, o) => table(r, { color: o.color, noHeaders: o.noHeaders })],
  ['wide', (r, o) => table(r, { color: o.color, wide: true, noHeaders: o.noHeaders })],
  ['json', (r) => json(r)],
  ['yaml', (r) => yaml(r)],
  ['sarif', (r) => sarif(r)],
  ['junit', (r) => junit(r)],
  ['github', (r) => github(r)],
  ['markdown', (r) => markdown(r)],
  ['html', (r) => html(r)],
  ['name', (r) => name(r)],
]);

/** Names for `-o`, in help order. */
export const formatNames = [...formats.keys()];
