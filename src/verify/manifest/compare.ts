// Does an object equal a signed manifest? k8s-manifest-sigstore's direct match, which Kyverno's
// validate.manifests runs without a cluster (dry runs off): both flattened to dotted keys
// (`spec.template.spec.containers.0.image`), compared leaf by leaf, then differences under an
// ignored field (the policy's, the library's and Kyverno's built-in lists, the signature's own
// annotations), a list item that only moved, an image only canonicalised (`nginx` →
// `docker.io/nginx`, `:latest` added) and a namespace the manifest leaves out are dropped. Pure.

import type { IgnoreFields } from '../../policy/model.js';

export interface Difference {
  /** Dotted path, list indices as numbers: `spec.replicas`, `spec.template.spec.containers.0.image`. */
  key: string;
  /** In the signed manifest (undefined: absent there). */
  before: unknown;
  /** In the object (undefined: absent there). */
  after: unknown;
}

/** mapnode Ravel: every scalar leaf by its dotted path; nulls, empty maps and empty lists leave nothing. */
export function ravel(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value === null || value === undefined) return out;
  if (typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    for (const [k, v] of entries) ravel(v, prefix === '' ? k : `${prefix}.${k}`, out);
    return out;
  }
  out.set(prefix, value);
  return out;
}

/** FindDiffBetweenNodes (default mode) then removeCanonicalizedImageDiff: manifest → object. */
export function diffObjects(manifest: unknown, object: unknown): Difference[] {
  const m1 = ravel(manifest);
  const m2 = ravel(object);
  const typed: Difference[] = [];
  const items: Difference[] = [];
  for (const key of new Set([...m1.keys(), ...m2.keys()])) {
    const a = m1.get(key);
    const b = m2.get(key);
    // Go's JSON types are JS's: every number a float64, so `typeof` tells them apart as reflect.TypeOf does.
    if (a !== undefined && b !== undefined && typeof a !== typeof b) typed.push({ key, before: a, after: b });
    else if (a !== b) items.push({ key, before: a, after: b });
  }
  // removeDiffWithDefaultConversion compares reflect.Values (pointers), which never match a
  // boxed value: an empty string or a zero added is a difference (kyverno apply agrees).
  const kept = withoutMovedListItems(items);
  return withoutCanonicalImages([...kept, ...typed].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)));
}

/**
 * removeKeyDiffsInListNode: an item added at one index of a list and the same value removed at
 * another (a list reordered) is no difference.
 */
function withoutMovedListItems(items: Difference[]): Difference[] {
  const inList = /\.\d+\./;
  return items.filter((item) => {
    if (!inList.test(item.key) || (item.before !== undefined && item.after !== undefined)) return true;
    const search = regexpOf(item.key.replace(/\.\d+\./g, '\\.\\d+\\.'));
    return !items.some((other) => {
      if (!search?.test(other.key)) return false;
      const removedHere = item.after === undefined && other.before === undefined && item.before === other.after;
      const addedHere = item.before === undefined && other.after === undefined && item.after === other.before;
      return removedHere || addedHere;
    });
  });
}

function withoutCanonicalImages(items: Difference[]): Difference[] {
  return items.filter((d) => {
    if (!d.key.endsWith('image') || typeof d.before !== 'string' || typeof d.after !== 'string') return true;
    return !(`docker.io/${d.before}` === d.after || `${d.before}:latest` === d.after);
  });
}

/** DiffResult.Filter: a difference under an ignored field pattern (`*` any run, matched anywhere in the key as Go's regexp does). */
export function unignored(items: Difference[], patterns: readonly string[]): Difference[] {
  const compiled = patterns.map((p) => ({ exact: `${p}*`, re: regexpOf(`${p}*`.replaceAll('*', '.*')) }));
  return items.filter((d) => !compiled.some((p) => p.exact === d.key || (p.re?.test(d.key) ?? false)));
}

function regexpOf(source: string): RegExp | undefined {
  try {
    return new RegExp(source);
  } catch {
    return undefined;
  }
}

/** The ignored field patterns for an object: every binding whose objects match it (none listed = every object). */
export function ignoredFieldsFor(object: Record<string, unknown>, bindings: readonly IgnoreFields[]): string[] {
  const id = identity(object);
  return bindings.filter((b) => b.objects.length === 0 || b.objects.some((o) => (['group', 'version', 'kind', 'name', 'namespace'] as const).every((k) => matchPattern(o[k], id[k])))).flatMap((b) => b.fields);
}

/** k8s-manifest-sigstore MatchPattern: empty or `*` any, `x*` a prefix, `a,b` either, else equal. */
function matchPattern(pattern: string | undefined, value: string): boolean {
  const p = (pattern ?? '').trim();
  if (p === '' || p === '*') return true;
  if (p.endsWith('*')) return value.startsWith(p.replace(/\*+$/, ''));
  if (p === value) return true;
  if (p.includes(',')) return p.split(',').some((x) => matchPattern(x, value));
  return false;
}

export function identity(object: Record<string, unknown>): { group: string; version: string; kind: string; name: string; namespace: string } {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const slash = apiVersion.lastIndexOf('/');
  const meta = (object.metadata ?? {}) as Record<string, unknown>;
  return {
    group: slash >= 0 ? apiVersion.slice(0, slash) : '',
    version: slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion,
    kind: typeof object.kind === 'string' ? object.kind : '',
    name: typeof meta.name === 'string' ? meta.name : '',
    namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
  };
}

/** directMatch + the ignore filter + the empty-namespace rule: the differences that count (none = a match). */
export function differences(manifest: Record<string, unknown>, object: Record<string, unknown>, ignored: readonly string[]): Difference[] {
  return unignored(diffObjects(manifest, object), ignored).filter((d) => !(d.key === 'metadata.namespace' && d.before === undefined));
}

const MAX_CANDIDATES = 3;

/**
 * FindManifestYAML: the signed manifests of the object's kind; among them the one with its group,
 * kind and name (then namespace), else the closest by shared values (up to three).
 */
export function candidates(manifests: readonly Record<string, unknown>[], object: Record<string, unknown>, ignored: readonly string[]): Record<string, unknown>[] {
  const id = identity(object);
  const sameKind = manifests.filter((m) => identity(m).kind === id.kind);
  if (sameKind.length === 0) return [];
  const named = sameKind.filter((m) => {
    const mi = identity(m);
    return mi.group === id.group && mi.name === id.name;
  });
  if (named.length > 0) return [named.find((m) => identity(m).namespace === id.namespace) ?? named[0]!];
  const masked = (v: Record<string, unknown>) => new Map([...ravel(v)].filter(([k]) => unignored([{ key: k, before: 1, after: 2 }], ignored).length > 0));
  const wanted = masked(object);
  const scored = sameKind.map((m) => {
    const have = masked(m);
    let count = 0;
    for (const [k, v] of wanted) if (have.has(k) && String(have.get(k)) === String(v)) count++;
    return { m, count };
  });
  const best = Math.max(...scored.map((s) => s.count));
  return scored.filter((s) => s.count === best).slice(0, MAX_CANDIDATES).map((s) => s.m);
}

/** The first candidate with no difference, or the differences from the first one. */
export function matchSigned(manifests: readonly Record<string, unknown>[], object: Record<string, unknown>, ignored: readonly string[]): { matched: true } | { matched: false; found: boolean; differences: Difference[] } {
  const found = candidates(manifests, object, ignored);
  let first: Difference[] | undefined;
  for (const c of found) {
    const d = differences(c, object, ignored);
    if (d.length === 0) return { matched: true };
    first ??= d;
  }
  return { matched: false, found: found.length > 0, differences: first ?? [] };
}
