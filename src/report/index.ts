// The output formats, each a function of the canonical result only.

import type { Result } from '../engine/result.js';
import { format as json } from './json.js';
import { format as table } from './table.js';
import { format as yaml } from './yaml.js';

export interface FormatOptions {
  color: boolean;
}

type Formatter = (result: Readonly<Result>, options: FormatOptions) => string;

export const formats = new Map<string, Formatter>([
  ['table', (r, o) => table(r, { color: o.color })],
  ['wide', (r, o) => table(r, { color: o.color, wide: true })],
  ['json', (r) => json(r)],
  ['yaml', (r) => yaml(r)],
]);

/** Names for `-o`, in help order. */
export const formatNames = [...formats.keys()];
