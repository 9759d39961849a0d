// Policies as the run installs them, from settings the policy files do not hold. Pure.

import { APPLIED_NAMESPACE, type Policy } from './model.js';

export interface Installation {
  /** Where objects are applied (`-n`, the hook's destination); kubectl's `default` otherwise. */
  namespace?: string;
  /** TAP installed with `allow_unmatched_images: true` (config `tanzuAllowUnmatchedImages`). */
  allowUnmatchedImages?: boolean;
}

/**
 * Namespaced policies written without a namespace land where the objects are applied, as
 * `kubectl apply -n` and kustomize's `namespace:` place them; an installation that admits
 * unmatched images drops the rules that deny them (Tanzu's).
 */
export function asInstalled(policies: readonly Policy[], installation: Installation = {}): Policy[] {
  return policies.map((p) => {
    const placed = p.namespace === APPLIED_NAMESPACE ? { ...p, namespace: installation.namespace ?? 'default' } : p;
    return installation.allowUnmatchedImages && p.rules.some((r) => r.unmatchedDefault) ? { ...placed, rules: placed.rules.filter((r) => !r.unmatchedDefault) } : placed;
  });
}
