// Kyverno `verifyImages[].validate.deny`: once every attestation verified, the image fails when
// the deny conditions hold over the attestations' payloads, each under its attestation `name`.
// Pure: the engine hands in the verified payloads.

import { evaluateConditions, type ImageVars } from '../policy/conditions.js';
import type { DenyCheck } from '../policy/model.js';

/** Combinations of statements tried (names with several verified statements multiply). */
const MAX_COMBINATIONS = 64;

export type DenyDecision = { status: 'pass' } | { status: 'fail' | 'error'; reasons: string[] };

/**
 * `payloads` maps an attestation name to its verified payloads. A name with several statements
 * is tried with each: the image is denied when the conditions hold for any of them (stricter
 * than Kyverno, whose context keeps whichever statement it saw last).
 */
export function decideDeny(deny: DenyCheck, payloads: ReadonlyMap<string, readonly unknown[]>, image: ImageVars): DenyDecision {
  const missing = deny.names.filter((n) => !payloads.get(n)?.length);
  if (missing.length > 0) {
    return { status: 'error', reasons: [`validate (line ${deny.line}): no verified payload for attestation ${missing.join(', ')}, so the deny conditions cannot be evaluated`] };
  }
  const combos = combinations(deny.names.map((n) => payloads.get(n)!.map(predicateOf)));
  if (combos === undefined) return { status: 'error', reasons: [`validate (line ${deny.line}): more than ${MAX_COMBINATIONS} combinations of attestation statements to check`] };
  for (const combo of combos) {
    const context = Object.fromEntries(deny.names.map((n, i) => [n, combo[i]]));
    const r = evaluateConditions(deny.conditions, { predicate: context, statement: null, image });
    // A condition that cannot be evaluated is not "false": the deny stays undecided.
    if (r.errors.length > 0) return { status: 'error', reasons: r.errors.map((e) => `validate (line ${deny.line}): ${e}`) };
    if (r.ok) return { status: 'fail', reasons: [`validate (line ${deny.line}): ${deny.message ?? 'denied by the validate conditions'}`] };
  }
  return { status: 'pass' };
}

/** An in-toto statement's predicate (what Kyverno puts in the context); other payloads as they are. */
function predicateOf(payload: unknown): unknown {
  if (typeof payload === 'object' && payload !== null && 'predicate' in payload && ('_type' in payload || 'predicateType' in payload)) {
    return (payload as { predicate: unknown }).predicate;
  }
  return payload;
}

function combinations(lists: unknown[][]): unknown[][] | undefined {
  let out: unknown[][] = [[]];
  for (const list of lists) {
    out = out.flatMap((prefix) => list.map((x) => [...prefix, x]));
    if (out.length > MAX_COMBINATIONS) return undefined;
  }
  return out;
}
