// Kyverno's digest switches, decided without mutating anything.

import type { ImageRef } from '../images/reference.js';
import type { PolicyRule } from './model.js';

/**
 * A tag-only reference fails the rule only when the tag would not have been pinned at
 * admission (`mutateDigest: false`) and a digest is demanded (`verifyDigest: true`).
 * With mutateDigest the engine resolves the tag and verifies that digest instead.
 */
export function digestDecision(rule: Pick<PolicyRule, 'digest'>, ref: ImageRef): { status: 'fail'; reason: string } | null {
  if (ref.digest) return null;
  if (rule.digest.mutateDigest || !rule.digest.verifyDigest) return null;
  return { status: 'fail', reason: `missing digest for ${ref.raw} (verifyDigest is set and mutateDigest is false)` };
}
