// Text surgery at YAML node ranges: a splice, so every byte outside the
// scalar's value — quotes, comments, indentation, line endings — stays as it was. Pure.

import { PinError, type ScalarEdit } from './types.js';

/**
 * The new source text of one scalar: `source` is the node's text (quotes, block header
 * included), `from` its value. Image references need no escaping in any YAML style, so the
 * value is replaced inside the quotes / block body. An empty value (`""`, `''`, or an empty
 * plain scalar) gets the new value inside its quotes or after one space.
 */
export function replaceScalarText(source: string, from: string, to: string): string {
  if (from === '') {
    if (source === '""' || source === "''") return `${source[0]}${to}${source[0]}`;
    if (source === '' || source === '~' || source === 'null') return to;
    throw new PinError('PIN_EDIT_FAILED', `cannot place a value into ${JSON.stringify(source)}`);
  }
  const at = source.indexOf(from);
  if (at === -1) {
    throw new PinError('PIN_EDIT_FAILED', `scalar text ${JSON.stringify(source)} does not contain ${JSON.stringify(from)}`);
  }
  return source.slice(0, at) + to + source.slice(at + from.length);
}

/** Applies non-overlapping edits to `text` (in any order); throws PIN_EDIT_FAILED on overlap. */
export function applyEdits(text: string, edits: readonly ScalarEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new PinError('PIN_EDIT_FAILED', `overlapping edits at offset ${e.start}`);
    let source = text.slice(e.start, e.end);
    let prefix = '';
    // An empty plain scalar sits right after `key:`; the value needs a separating space.
    if (source === '' && text[e.start - 1] === ':') prefix = ' ';
    out += text.slice(pos, e.start) + prefix + replaceScalarText(source, e.from, e.to);
    pos = e.end;
  }
  return out + text.slice(pos);
}

/** Whether the line holding `offset` carries a Flux image-automation setter (`# {"$imagepolicy": …}`). */
export function hasFluxMarker(text: string, offset: number): boolean {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd === -1) lineEnd = text.length;
  const line = text.slice(lineStart, lineEnd);
  const hash = line.indexOf('#', offset - lineStart);
  return hash !== -1 && /\{\s*"\$imagepolicy"\s*:/.test(line.slice(hash));
}
