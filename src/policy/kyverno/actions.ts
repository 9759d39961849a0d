// Kyverno's failure actions and failure policy, as written in a ClusterPolicy/Policy and in a
// rule's validate block: shared by the verifyImages and validate.manifests loaders.

import type { Field } from '../field.js';
import type { ModeOverride, RuleMode } from '../model.js';

export function failureAction(f: Field): RuleMode | undefined {
  const v = f.string();
  if (v === undefined) return undefined;
  const lower = v.toLowerCase();
  if (lower === 'enforce' || lower === 'audit') return lower;
  throw f.error(`must be Enforce or Audit, not ${v}`);
}

/** `validationFailureActionOverrides[]`: `{action, namespaces, namespaceSelector}`, evaluated per workload (select.ts modeIn). */
export function modeOverrides(f: Field): ModeOverride[] {
  return f.list().map((o) => {
    const mode = failureAction(o.at('action'));
    if (mode === undefined) throw o.at('action').error('is required (Enforce or Audit)');
    return {
      mode,
      path: o.rel(),
      ...(o.has('namespaces') && { namespaces: o.at('namespaces').stringList() }),
      ...(o.has('namespaceSelector') && { namespaceSelector: true as const }),
    };
  });
}

export function onErrorOf(f: Field): 'block' | 'allow' {
  const v = f.string() ?? 'Fail';
  if (v === 'Fail') return 'block';
  if (v === 'Ignore') return 'allow';
  throw f.error(`must be Fail or Ignore, not ${v}`);
}
