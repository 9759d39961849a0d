// Kyverno ClusterPolicy/Policy `verifyImages` rules (and ImageValidatingPolicy,
// not implemented yet) → Policy. One PolicyRule per verifyImages entry.

import type { PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import type { ManifestRule, Policy, PolicyRule, Requirement, RuleMode } from '../model.js';
import { APPLIED_NAMESPACE } from '../model.js';
import type { PathExtractor } from '../../manifests/path-extract.js';
import { jmesCompile } from '../jmespath.js';
import { verifyImageRequirement } from './attestors.js';
import { manifestRule } from './manifests.js';
import { failureAction, modeOverrides, onErrorOf } from './actions.js';
import { autogenControllers, resourceFilter } from './match.js';
import { clusterPolicy } from './schema.js';
import { preconditions } from './preconditions.js';
import { denyCheck } from './attestations.js';
import { checkFields } from '../strict.js';

/**
 * `imageRegistryCredentials.secrets`: `name` lives in Kyverno's own namespace (`kyverno`), `ns/name`
 * anywhere (Kyverno 1.18). `providers` are the cloud helpers a docker config names here, and
 * `allowInsecureRegistry` never downgrades transport: plain HTTP stays `--insecure-registry`'s call.
 */
function registrySecrets(iv: Field): string[] {
  return kyvernoSecretRefs(iv.at('imageRegistryCredentials').at('secrets').stringList());
}

/** Secret names as Kyverno reads them (also ImageValidatingPolicy `credentials.secrets`): `namespace/name`. */
export function kyvernoSecretRefs(names: readonly string[]): string[] {
  return names.map((s) => (s.includes('/') ? s : `kyverno/${s}`));
}

const VERSIONS = ['kyverno.io/v1', 'kyverno.io/v2beta1'];

export function load(doc: PolicyDocument): Policy | null {
  const { apiVersion, kind } = doc.value;
  if (typeof apiVersion !== 'string') return null;
  const group = apiVersion.split('/')[0];
  if (group !== 'kyverno.io' || (kind !== 'ClusterPolicy' && kind !== 'Policy')) return null;
  const root = Field.root(doc);
  if (!VERSIONS.includes(apiVersion)) throw root.at('apiVersion').error(`unsupported apiVersion ${apiVersion} for ${kind}`);
  checkFields(doc, clusterPolicy, `a Kyverno ${kind}`);
  return loadClusterPolicy(root, kind === 'Policy');
}

function loadClusterPolicy(root: Field, namespaced: boolean): Policy {
  const spec = root.at('spec');
  const meta = root.at('metadata');
  const specMode = failureAction(spec.at('validationFailureAction')) ?? 'audit'; // Kyverno's default
  const failurePolicy = spec.has('failurePolicy') ? spec.at('failurePolicy') : spec.at('webhookConfiguration').at('failurePolicy');
  const onError = onErrorOf(failurePolicy);
  const controllers = autogenControllers(root);
  const overrides = modeOverrides(spec.at('validationFailureActionOverrides'));

  const rules: PolicyRule[] = [];
  const manifestRules: ManifestRule[] = [];
  for (const rule of spec.at('rules').list()) {
    if (rule.at('validate').has('manifests')) {
      oneOperation(rule);
      manifestRules.push(manifestRule(rule, { specMode, onError, overrides, spec }));
      continue;
    }
    const verifyImages = rule.at('verifyImages').list();
    if (verifyImages.length === 0) continue;
    oneOperation(rule);
    const resources = resourceFilter(rule, controllers);
    // Preconditions over the manifest and the image select the rule; over what only the admission
    // request knows they cannot: the rule applies and says why it cannot decide (never dropped).
    const pre = preconditions(rule);
    const extras: Requirement[] = pre && 'unsupported' in pre ? [{ kind: 'unsupported', path: 'preconditions', field: pre.unsupported }] : [];
    const extractors = imageExtractors(rule.at('imageExtractors'));
    for (const iv of verifyImages) {
      const include = imageReferences(iv);
      const mode = failureAction(iv.at('failureAction')) ?? specMode;
      auditWithoutMutation(iv, mode);
      const base = verifyImageRequirement(iv);
      const requirement: Requirement = extras.length > 0 ? { kind: 'all', path: '', of: [...extras, base] } : base;
      const compiled: PolicyRule = {
        file: root.file,
        line: iv.line,
        path: iv.rel(spec),
        ruleName: rule.at('name').string(),
        images: { flavour: 'kyverno', include, exclude: iv.at('skipImageReferences').stringList() },
        resources,
        mode,
        // A rule's own failureAction beats the policy's overrides, as in Kyverno.
        ...(overrides.length > 0 && !iv.has('failureAction') && { modeOverrides: overrides }),
        onError,
        digest: {
          mutateDigest: iv.at('mutateDigest').bool(true),
          verifyDigest: iv.at('verifyDigest').bool(true),
          required: iv.at('required').bool(true),
        },
        requirement,
      };
      if (extractors.length > 0) compiled.imageExtractors = extractors;
      if (pre && 'evaluate' in pre) compiled.cel = { applies: (w, image) => pre.evaluate(w, image ?? '') };
      const deny = denyCheck(iv);
      if (deny) compiled.deny = deny;
      const pullSecrets = registrySecrets(iv);
      if (pullSecrets.length > 0) compiled.pullSecrets = pullSecrets;
      rules.push(compiled);
    }
  }
  return {
    format: 'kyverno',
    file: root.file,
    line: root.line,
    name: meta.at('name').string() ?? '(unnamed)',
    // Written without a namespace: it lands where it is applied (`-n`, the hook's destination), as the manifests do (run.ts).
    ...(namespaced && { namespace: meta.at('namespace').string() ?? APPLIED_NAMESPACE }),
    rules,
    ...(manifestRules.length > 0 && { manifestRules }),
  };
}

function imageReferences(iv: Field): string[] {
  const refs = iv.at('imageReferences').stringList();
  const legacy = iv.at('image').string(); // deprecated single `image`
  if (legacy) refs.push(legacy);
  if (refs.length === 0) throw iv.at('imageReferences').error('An image reference is required (Kyverno ImageVerification.Validate)');
  const bad = iv
    .at('imageReferences')
    .list()
    .find((f) => /\{\{/.test(String(f.value)));
  if (bad) throw bad.error('variables are not allowed in imageReferences');
  return refs;
}

/**
 * Kyverno's policy webhook (api/kyverno/v1/image_verification_types.go ImageVerification.Validate,
 * called from pkg/validation/policy/validate.go): Audit cannot mutate digests. Refused when written
 * so; an unset mutateDigest is left alone, as the kyverno/policies library ships Audit policies
 * without it that its own end-to-end tests apply.
 */
function auditWithoutMutation(iv: Field, mode: RuleMode): void {
  if (mode !== 'audit' || !iv.has('mutateDigest') || !iv.at('mutateDigest').bool(true)) return;
  throw iv.at('mutateDigest').error(`mutateDigest must be set to false for 'Audit' failure action: Kyverno refuses this policy; set mutateDigest: false, or use Enforce`);
}

/** pkg/validation/policy/validate.go: a rule does one thing; a verifyImages rule with validate, mutate or generate is refused. */
export function oneOperation(rule: Field): void {
  const ops = ['mutate', 'validate', 'generate', 'verifyImages'].filter((k) => rule.has(k));
  if (ops.length > 1) {
    throw rule.at(ops.find((o) => o !== 'verifyImages')!).error(
      `multiple operations defined in the rule '${rule.at('name').string() ?? ''}', only one operation (mutate,validate,generate,verifyImages) is allowed per rule`,
    );
  }
}




/**
 * Kyverno imageExtractors: kind (`Kind`, `group/version/Kind`, `Kind.subresource` — a manifest has no
 * subresource, so the kind) → `[{name, path, value, key, jmesPath}]`; `name` defaults to `custom`.
 */
function imageExtractors(f: Field): NonNullable<PolicyRule['imageExtractors']> {
  return f.entries().map(([kind, list]) => ({
    kind: kind.replace(/\.[A-Za-z]+$/, ''),
    extractors: list.list().map((x): PathExtractor => {
      const path = x.at('path').requiredString();
      if (!path.startsWith('/')) throw x.at('path').error('must start with / (e.g. /spec/steps/*)');
      const jmesPath = x.at('jmesPath').string();
      if (jmesPath !== undefined) {
        try {
          jmesCompile(jmesPath);
        } catch (err) {
          throw x.at('jmesPath').error(`invalid JMESPath: ${(err as Error).message}`);
        }
      }
      return {
        name: x.at('name').string() ?? 'custom',
        path,
        ...(x.at('value').string() !== undefined && { value: x.at('value').string()! }),
        ...(x.at('key').string() !== undefined && { key: x.at('key').string()! }),
        ...(jmesPath !== undefined && { jmesPath }),
      };
    }),
  }));
}
