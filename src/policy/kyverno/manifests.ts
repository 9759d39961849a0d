// Kyverno `validate.manifests` (signed YAML manifests, k8s-manifest-sigstore) → ManifestRule.
// Kyverno ≥ 1.8; the kyverno/policies library's verify-manifest-integrity is the model.

import type { Field } from '../field.js';
import type { IgnoreFields, ManifestRule, ModeOverride, RuleMode } from '../model.js';
import { manifestAttestors } from './attestors.js';
import { failureAction, modeOverrides } from './actions.js';
import { resourceFilter } from './match.js';

export const DEFAULT_ANNOTATION_DOMAIN = 'cosign.sigstore.dev';

interface PolicyDefaults {
  specMode: RuleMode;
  onError: 'block' | 'allow';
  overrides: ModeOverride[];
  spec: Field;
}

export function manifestRule(rule: Field, policy: PolicyDefaults): ManifestRule {
  const validate = rule.at('validate');
  const manifests = validate.at('manifests');
  // validate.failureAction (Kyverno 1.13) beats the policy's; its overrides beat the policy's too.
  const mode = failureAction(validate.at('failureAction')) ?? policy.specMode;
  const overrides = validate.has('failureActionOverrides') ? modeOverrides(validate.at('failureActionOverrides')) : validate.has('failureAction') ? [] : policy.overrides;
  // pkg/policy/validate validationElemCount: manifests count only with attestors, and a validate rule does one thing.
  const others = ['pattern', 'anyPattern', 'deny', 'foreach', 'podSecurity', 'cel'].filter((k) => validate.has(k));
  if (others.length > 0) throw validate.at(others[0]!).error('only one of pattern, anyPattern, deny, foreach, cel can be specified: a validate rule with manifests checks nothing else (Kyverno refuses this policy)');
  if (manifests.at('attestors').list().length === 0) {
    throw manifests.error('attestors: one of pattern, anyPattern, deny, foreach, cel must be specified, and manifests count only with attestors (Kyverno refuses this policy; name who signs the manifests)');
  }
  const requirement = manifestAttestors(manifests)!;
  const repository = manifests.at('repository').string();
  const domain = manifests.at('annotationDomain').string();
  const out: ManifestRule = {
    file: manifests.file,
    line: manifests.line,
    path: manifests.rel(policy.spec),
    ruleName: rule.at('name').string(),
    // Autogen (Pod → controllers) is not applied: the object compared is the one the rule names.
    resources: resourceFilter(rule, []),
    mode,
    ...(overrides.length > 0 && { modeOverrides: overrides }),
    onError: policy.onError,
    annotationDomain: domain && domain !== '' ? domain : DEFAULT_ANNOTATION_DOMAIN,
    ignoreFields: ignoreFields(manifests.at('ignoreFields')),
    ...(repository && { repository }),
    ...(manifests.at('dryRun').at('enable').bool(false) && { dryRun: true as const }),
    requirement,
  };
  return out;
}

function ignoreFields(f: Field): IgnoreFields[] {
  return f.list().map((binding) => ({
    fields: binding.at('fields').stringList(),
    objects: binding
      .at('objects')
      .list()
      .map((o) => {
        const ref: IgnoreFields['objects'][number] = {};
        for (const k of ['group', 'version', 'kind', 'name', 'namespace'] as const) {
          const v = o.at(k).string();
          if (v !== undefined) ref[k] = v;
        }
        return ref;
      }),
  }));
}
