// Strict field validation, as kubectl applies it (`--validate=strict`): a field the
// format does not define is a policy error at its file:line, never ignored. A typo such
// as `validationFailureActon: Enforce` would otherwise fall back to Audit silently.
// Each format keeps its known fields in one schema module (`<format>/schema.ts`). Pure.

import { isRecord, type Path, type PolicyDocument } from './document.js';
import { formatPath } from './field.js';
import { PolicyError } from './model.js';

/**
 * - `'scalar'`: a value whose type the loader checks where it reads it;
 * - `'opaque'`: a subtree this tool does not evaluate (e.g. a Kyverno `mutate` rule), left as is;
 * - an object shape lists its fields; `list`/`map` describe items and values.
 */
export type Shape = 'scalar' | 'opaque' | ObjectShape | { list: Shape } | { map: Shape } | { lazy: () => Shape };
export interface ObjectShape {
  fields: Readonly<Record<string, Shape>>;
}

export const S = 'scalar' as const;
export const OPAQUE = 'opaque' as const;
export const obj = (fields: Record<string, Shape>): ObjectShape => ({ fields });
export const list = (item: Shape): Shape => ({ list: item });
export const map = (value: Shape): Shape => ({ map: value });
/** For recursive shapes (a Kyverno attestor holding an attestor set). */
export const lazy = (make: () => Shape): Shape => ({ lazy: make });

/** Throws PolicyError at the first field `shape` does not define, naming its path and a likely meant one. */
export function checkFields(doc: PolicyDocument, shape: Shape, what: string): void {
  walk(doc, [], doc.value, shape, what);
}

function walk(doc: PolicyDocument, path: Path, value: unknown, shape: Shape, what: string): void {
  if (value === undefined || value === null || shape === 'scalar' || shape === 'opaque') return;
  if ('lazy' in shape) return walk(doc, path, value, shape.lazy(), what);
  const at = (p: Path, message: string) => new PolicyError(`${formatPath(p) || 'document'}: ${message}`, { file: doc.file, line: doc.lineOf(p) });
  if ('list' in shape) {
    if (!Array.isArray(value)) throw at(path, 'must be a list');
    value.forEach((item, i) => walk(doc, [...path, i], item, shape.list, what));
    return;
  }
  if (!isRecord(value)) throw at(path, 'must be a map');
  if ('map' in shape) {
    for (const [k, v] of Object.entries(value)) walk(doc, [...path, k], v, shape.map, what);
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    const child = shape.fields[k];
    if (child === undefined) {
      const known = Object.keys(shape.fields);
      const guess = closest(k, known);
      throw at(
        [...path, k],
        `unknown field "${k}" in ${what}${guess ? ` (did you mean "${guess}"?)` : ''}; kubectl's strict validation rejects it too. Known here: ${known.join(', ')}`,
      );
    }
    walk(doc, [...path, k], v, child, what);
  }
}

/** The known name at edit distance ≤ 2 (or differing only in case), if exactly one is that close. */
export function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const caseOnly = known.filter((k) => k.toLowerCase() === lower);
  if (caseOnly.length === 1) return caseOnly[0];
  const near = known.map((k) => ({ k, d: distance(lower, k.toLowerCase(), 3) })).filter((x) => x.d < 3);
  const min = Math.min(...near.map((x) => x.d));
  const best = near.filter((x) => x.d === min);
  return best.length === 1 ? best[0]!.k : undefined;
}

/** Levenshtein distance, stopping early once it exceeds `limit`. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let min = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      row.push(v);
      if (v < min) min = v;
    }
    if (min >= limit) return limit;
    prev = row;
  }
  return prev[b.length]!;
}
