// js-yaml read as the `yaml` package reads it, for the fast readers of manifests (fast-parse.ts)
// and policies (policy/document.ts): the YAML 1.2 core schema with `yaml`'s number patterns, and
// the features where the two could disagree, which send a text to `yaml` instead. Pure.

import { createRequire } from 'node:module';
import type * as JsYaml from 'js-yaml';

// js-yaml is CommonJS; loaded on first use (start-up stays lean).
let jsyaml: typeof JsYaml | undefined;
let schema: JsYaml.Schema | undefined;
export function jsYaml(): { load: typeof JsYaml.load; schema: JsYaml.Schema } {
  if (!jsyaml) {
    // A literal require() lets esbuild put it in the single binary; under native ESM, createRequire.
    jsyaml = (typeof require === 'function' ? require('js-yaml') : createRequire(import.meta.url)('js-yaml')) as typeof JsYaml;
    schema = coreSchema(jsyaml);
  }
  return { load: jsyaml.load, schema: schema! };
}

/**
 * YAML 1.2 core as the `yaml` package resolves it (js-yaml's CORE_SCHEMA also reads `0b…`
 * integers, and not `-.5`): null, bool, then int and float with `yaml`'s own patterns.
 */
function coreSchema(y: typeof JsYaml): JsYaml.Schema {
  const INT = /^[-+]?[0-9]+$/;
  const OCT = /^0o[0-7]+$/;
  const HEX = /^0x[0-9a-fA-F]+$/;
  const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
  const INF = /^[-+]?\.(?:inf|Inf|INF)$/;
  const NAN = /^\.(?:nan|NaN|NAN)$/;
  // Most plain scalars are names and words: the first character rules numbers out before any pattern runs.
  const numeric = (s: string) => {
    const c = s.charCodeAt(0);
    return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e;
  };
  const nul = new y.Type('tag:yaml.org,2002:null', {
    kind: 'scalar',
    resolve: (s: string) => s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL',
    construct: () => null,
    predicate: (v: unknown) => v === null,
  });
  const bool = new y.Type('tag:yaml.org,2002:bool', {
    kind: 'scalar',
    resolve: (s: string) => s === 'true' || s === 'True' || s === 'TRUE' || s === 'false' || s === 'False' || s === 'FALSE',
    construct: (s: string) => s[0] === 't' || s[0] === 'T',
    predicate: (v: unknown) => typeof v === 'boolean',
  });
  const int = new y.Type('tag:yaml.org,2002:int', {
    kind: 'scalar',
    resolve: (s: string) => numeric(s) && (INT.test(s) || OCT.test(s) || HEX.test(s)),
    construct: (s: string) => (OCT.test(s) ? parseInt(s.slice(2), 8) : HEX.test(s) ? parseInt(s.slice(2), 16) : Number(s)),
    predicate: (v: unknown) => Number.isInteger(v),
  });
  const float = new y.Type('tag:yaml.org,2002:float', {
    kind: 'scalar',
    resolve: (s: string) => numeric(s) && (FLOAT.test(s) || INF.test(s) || NAN.test(s)),
    construct: (s: string) => (NAN.test(s) ? NaN : INF.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : Number(s)),
    predicate: (v: unknown) => typeof v === 'number',
  });
  return y.FAILSAFE_SCHEMA.extend({ implicit: [nul, bool, int, float] });
}

/**
 * Features where js-yaml and `yaml` could build different values (or positions): such a document
 * is read by `yaml`. Found at a node start: line start (after indentation), after `- `, `? `,
 * `: `, `[`, `{` or `,`. A false positive only costs speed; each pattern runs only when its cheap
 * trigger is in the text. (Null keys are seen on the value: js-yaml names them "null".)
 */
const SLOW_FEATURES: [trigger: RegExp, pattern: RegExp][] = [
  // Anchor, alias, tag; after a colon only with a space or a quoted key (`"key":!tag` in flow): `repo:*` in a scalar is none.
  [/[&*!]/, /(?:^[ \t]*|[-?:][ \t]+|["']:[ \t]*|[[{,][ \t]*)[&*!]/m],
  [/["'\]}]#/, /["'\]}]#/], // a comment glued to a quoted scalar or flow collection (an error to `yaml`)
  [/\t/, /^ *\t/m], // a tab in indentation (an error to `yaml` where js-yaml may accept it)
  [/^(?:---|\.\.\.)[^ \t\r\n]/m, /^/], // `---x`: not a marker, and js-yaml reads it as one
  [/<</, /(?:^[ \t]*|[-][ \t]+|[[{,][ \t]*)<<[ \t]*:/m], // merge key
  [/\?/, /(?:^[ \t]*|-[ \t]+|[[{,][ \t]*)\?(?:[ \t]|$)/m], // explicit (complex) key
  [/[\]}]/, /[\]}][ \t]*:(?:[ \t,[\]{}]|$)/m], // a flow collection as a key
];
export const needsYaml = (source: string) => SLOW_FEATURES.some(([trigger, pattern]) => trigger.test(source) && pattern.test(source));

/**
 * Whole-text fallback: directives and explicit document ends change how documents are cut; a
 * lone carriage return is a line break to js-yaml but not to `yaml`.
 */
export const WHOLE_TEXT = /^(?:%|\.\.\.(?:[ \t\r\n]|$))|\r(?!\n)/m;
export const DOCUMENT_START = /^---(?=[ \t\r\n]|$)/gm;

/** Deeper documents are read by `yaml` (Kubernetes objects are far shallower). */
export const MAX_DEPTH = 200;

/** From a node's event offset to its first character: past spaces, line breaks, comments and a `---` marker. */
export function skipSeparation(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xfeff) i++;
    else if (c === 0x23 /* # */ && (i === 0 || /[\s]/.test(s[i - 1]!))) {
      while (i < s.length && s.charCodeAt(i) !== 0x0a) i++;
    } else if (c === 0x2d /* - */ && s.startsWith('---', i) && (i === 0 || s.charCodeAt(i - 1) === 0x0a) && /^---(?:[ \t\r\n]|$)/.test(s.slice(i, i + 4))) i += 3;
    else return i;
  }
}

export function countLines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i !== -1 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * The documents of `text` cut at their `---` lines: each one's [start, end) and the line it
 * starts on (the text's first line is `firstLine`). A marker line belongs to the document after it.
 */
export function* documentRanges(text: string, firstLine = 1): Generator<{ start: number; end: number; line: number }> {
  const starts = new RegExp(DOCUMENT_START.source, 'gm');
  let line = firstLine;
  let previous = 0;
  let start = 0;
  for (;;) {
    const m = starts.exec(text);
    if (m && m.index === 0) continue;
    const end = m ? m.index : text.length;
    line += countLines(text, previous, start);
    previous = start;
    yield { start, end, line };
    if (!m) return;
    start = m.index;
  }
}

/**
 * A quoted scalar or flow collection written over several lines (its first character at `start`,
 * opened on `openLine`, closed on `closeLine`): `yaml` is stricter about their indentation than
 * js-yaml, so such a text is read by `yaml`.
 */
export function spansLinesQuotedOrFlow(source: string, start: number, openLine: number, closeLine: number): boolean {
  if (closeLine <= openLine) return false;
  const first = source.charCodeAt(start);
  return first === 0x22 || first === 0x27 || first === 0x5b || first === 0x7b;
}
