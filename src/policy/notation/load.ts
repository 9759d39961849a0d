// Notation trust policy (trustpolicy.json): not implemented yet. It loads so the
// images in its registry scopes are reported "unsupported", never passed.

import type { PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import { checkFields, list, map, obj, S } from '../strict.js';
import type { Policy, PolicyRule } from '../model.js';

const trustPolicyShape = obj({
  version: S,
  trustPolicies: list(
    obj({
      name: S,
      registryScopes: list(S),
      signatureVerification: obj({ level: S, override: map(S), verifyTimestamp: S }),
      trustStores: list(S),
      trustedIdentities: list(S),
    }),
  ),
});

export function load(doc: PolicyDocument): Policy | null {
  const { version, trustPolicies, apiVersion } = doc.value;
  if (apiVersion !== undefined || version === undefined || trustPolicies === undefined) return null;
  const root = Field.root(doc);
  if (version !== '1.0') throw root.at('version').error(`unsupported Notation trust policy version ${JSON.stringify(version)} (notation reads "1.0")`);
  checkFields(doc, trustPolicyShape, 'a Notation trust policy');
  const rules = root
    .at('trustPolicies')
    .list()
    .map((tp): PolicyRule => {
      const scopes = tp.at('registryScopes').stringList();
      if (scopes.length === 0) throw tp.at('registryScopes').error('needs at least one scope');
      const level = tp.at('signatureVerification').at('level').string() ?? 'strict';
      // A scope is a repository: it covers every tag and digest of it.
      const include = scopes.flatMap((s) => (s === '*' ? ['*'] : [s, `${s}:*`, `${s}@*`]));
      return {
        file: doc.file,
        line: tp.line,
        path: tp.rel(root),
        ruleName: tp.at('name').string(),
        images: { flavour: 'kyverno', include, exclude: [] },
        mode: level === 'audit' ? 'audit' : 'enforce',
        onError: 'block',
        digest: { mutateDigest: true, verifyDigest: true, required: true },
        requirement:
          level === 'skip'
            ? { kind: 'static', path: tp.rel(root), action: 'pass', message: 'notation verification level skip' }
            : { kind: 'unsupported', path: tp.rel(root), field: 'Notation trust policy' },
      };
    });
  return { format: 'notation', file: doc.file, line: doc.line, name: 'trustpolicy', rules };
}
