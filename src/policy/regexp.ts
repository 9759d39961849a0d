// Go RE2 patterns as policies write them, compiled for JavaScript. RE2's leading
// flag group `(?i)` becomes a JS flag; other RE2-only syntax is rejected at load.

/** Compiles a Go regexp (unanchored, as regexp.MatchString uses it); throws with the reason. */
export function goRegExp(pattern: string): RegExp {
  const flags = /^\(\?([imsU]+)\)/.exec(pattern);
  const body = flags ? pattern.slice(flags[0].length) : pattern;
  const js = (flags?.[1] ?? '').replace(/U/g, '');
  // RE2 has no backreferences or lookaround: refusing them keeps semantics equal.
  if (/\\[1-9]|\(\?[=!<]/.test(body)) throw new Error('backreferences and lookaround are not RE2 syntax');
  return new RegExp(body, js);
}

/** The pattern anchored at both ends (policy-controller's identity regexps). */
export function anchoredGoRegExp(pattern: string): RegExp {
  const re = goRegExp(pattern);
  return new RegExp(`^(?:${re.source})$`, re.flags);
}
