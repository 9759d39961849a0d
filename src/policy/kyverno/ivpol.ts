// Kyverno ImageValidatingPolicy (CEL): not implemented yet. It still loads, so the
// images it names are reported "unsupported: ImageValidatingPolicy", never passed.

import type { PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import { kindForResource, POD_CONTROLLERS } from '../kinds.js';
import type { Policy, ResourceFilter } from '../model.js';
import { checkFields } from '../strict.js';
import { imageValidatingPolicy } from './schema.js';

const VERSIONS = ['policies.kyverno.io/v1', 'policies.kyverno.io/v1beta1', 'policies.kyverno.io/v1alpha1'];

export function loadImageValidatingPolicy(doc: PolicyDocument): Policy {
  const root = Field.root(doc);
  const apiVersion = String(doc.value['apiVersion']);
  if (!VERSIONS.includes(apiVersion)) throw root.at('apiVersion').error(`unsupported apiVersion ${apiVersion} for ${String(doc.value['kind'])}`);
  checkFields(doc, imageValidatingPolicy, `a Kyverno ${String(doc.value['kind'])}`);
  const spec = root.at('spec');
  const refs = spec.at('matchImageReferences').list();
  const globs = refs.map((r) => r.at('glob').string()).filter((g): g is string => !!g);
  // A CEL `expression` match cannot be evaluated: then every image is in scope.
  const include = refs.length > 0 && globs.length === refs.length ? globs : ['*'];
  const actions = spec.at('validationActions').stringList();
  const resources = resourceRules(spec.at('matchConstraints').at('resourceRules'));
  const namespaced = doc.value['kind'] === 'NamespacedImageValidatingPolicy';
  return {
    format: 'kyverno',
    file: doc.file,
    line: doc.line,
    name: root.at('metadata').at('name').string() ?? '(unnamed)',
    ...(namespaced ? { namespace: root.at('metadata').at('namespace').string() ?? 'default' } : {}),
    rules: [
      {
        file: doc.file,
        line: spec.line,
        path: 'spec',
        images: { flavour: 'kyverno', include, exclude: [] },
        ...(resources ? { resources } : {}),
        mode: actions.length === 0 || actions.includes('Deny') ? 'enforce' : 'audit',
        onError: spec.at('failurePolicy').string() === 'Ignore' ? 'allow' : 'block',
        digest: { mutateDigest: true, verifyDigest: true, required: true },
        requirement: { kind: 'unsupported', path: 'spec', field: 'ImageValidatingPolicy' },
      },
    ],
  };
}

/** `resourceRules[].resources` (plurals) → kinds; `pods` also covers pod controllers (IVPOL autogen). */
function resourceRules(f: Field): ResourceFilter | undefined {
  const rules = f.list();
  if (rules.length === 0) return undefined;
  const kinds = rules.flatMap((r) =>
    r.at('resources').stringList().flatMap((res) => {
      const k = kindForResource(res);
      return res === 'pods' ? [k, ...POD_CONTROLLERS] : [k];
    }),
  );
  return { match: [[{ kinds }]], exclude: [] };
}
