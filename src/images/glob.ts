// The two image-pattern flavours, each as its engine implements it. Pure.

import { cipName, type ImageRef } from './reference.js';

export class GlobError extends Error {
  readonly code = 'INVALID_GLOB';
}

/**
 * Kyverno: github.com/IGLOU-EU/go-wildcard v1.0.3 (via kyverno ext/wildcard). Anchored;
 * `*` matches any run of characters including `/`, `?` exactly one character; nothing
 * else is special. Matches code points (go-wildcard works on runes).
 * Iterative star backtracking: linear in practice, no exponential blow-up on `*a*a*a…`.
 */
export function kyvernoGlobMatch(pattern: string, name: string): boolean {
  if (pattern === '') return name === '';
  if (pattern === '*') return true;
  const p = Array.from(pattern);
  const s = Array.from(name);
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    if (pi < p.length && p[pi] === '*') {
      starP = pi++;
      starS = si;
    } else if (pi < p.length && (p[pi] === '?' || p[pi] === s[si])) {
      pi++;
      si++;
    } else if (starP !== -1) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

// policy-controller pkg/apis/glob/glob.go (validGlob with '@', added upstream for digests).
const VALID_CIP_GLOB = /^[a-zA-Z0-9\-_:/*.@]+$/;
const compiled = new Map<string, RegExp>();

/** The legacy rewrites policy-controller applies before compiling. */
function rewriteLegacy(glob: string): string {
  if (glob === '*/*') return 'index.docker.io/*/*';
  if (glob === '*') return 'index.docker.io/library/*';
  return glob;
}

/** Compiles a ClusterImagePolicy glob; throws GlobError when policy-controller would reject it. */
export function compileCipGlob(glob: string): RegExp {
  const cached = compiled.get(glob);
  if (cached) return cached;
  const g = rewriteLegacy(glob);
  if (!VALID_CIP_GLOB.test(g)) throw new GlobError(`invalid glob ${JSON.stringify(glob)}`);
  // Same translation order as upstream: escape '.', stash '**', '*' → [^/]*, '**' → .*
  const source = g
    .replaceAll('.', '\\.')
    .replaceAll('**', '\u0000')
    .replaceAll('*', '[^/]*')
    .replaceAll('\u0000', '.*');
  const re = new RegExp(`^${source}$`);
  compiled.set(glob, re);
  return re;
}

/** Throws GlobError when the glob is not one policy-controller accepts. */
export function validateCipGlob(glob: string): void {
  compileCipGlob(glob);
}

/**
 * policy-controller glob.Match: against go-containerregistry Name() (`index.docker.io/library/x:latest`),
 * and, when that fails and differs from the string as written, against the raw string (deprecated
 * upstream, but it is why `foo` and `myuser/myapp` globs still match).
 */
export function cipGlobMatch(glob: string, ref: ImageRef): boolean {
  const re = compileCipGlob(glob);
  const name = cipName(ref);
  if (re.test(name)) return true;
  return name !== ref.raw && re.test(ref.raw);
}
