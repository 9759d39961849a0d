// Argo CD AppProject source integrity → CommitRules: `spec.sourceIntegrity.git.policies[]`
// (Argo CD ≥ 3.5) or, when that is absent, the legacy `spec.signatureKeys` as one `head`
// policy for every repository (util/sourceintegrity, docs/user-guide/source-integrity-git-gpg.md).

import type { PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import type { CommitRule, Policy } from '../model.js';
import { checkFields, list, obj, OPAQUE, S } from '../strict.js';

// Only what source integrity reads is checked strictly; the rest of the project stays opaque.
const appProject = obj({
  apiVersion: S,
  kind: S,
  metadata: OPAQUE,
  status: OPAQUE,
  spec: obj({
    sourceIntegrity: obj({ git: obj({ policies: list(obj({ repos: list(obj({ url: S })), gpg: obj({ mode: S, keys: list(S) }) })) }) }),
    signatureKeys: list(obj({ keyID: S })),
    sourceRepos: OPAQUE,
    sourceNamespaces: OPAQUE,
    destinations: OPAQUE,
    description: OPAQUE,
    roles: OPAQUE,
    clusterResourceWhitelist: OPAQUE,
    clusterResourceBlacklist: OPAQUE,
    namespaceResourceWhitelist: OPAQUE,
    namespaceResourceBlacklist: OPAQUE,
    orphanedResources: OPAQUE,
    syncWindows: OPAQUE,
    permitOnlyProjectScopedClusters: OPAQUE,
    destinationServiceAccounts: OPAQUE,
  }),
});

const KEY_ID = /^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{40})$/;

export function load(doc: PolicyDocument): Policy | null {
  const { apiVersion, kind } = doc.value;
  if (kind !== 'AppProject' || typeof apiVersion !== 'string' || !apiVersion.startsWith('argoproj.io/')) return null;
  const root = Field.root(doc);
  if (apiVersion !== 'argoproj.io/v1alpha1') throw root.at('apiVersion').error(`unsupported apiVersion ${apiVersion} for AppProject`);
  checkFields(doc, appProject, 'an Argo CD AppProject');
  const spec = root.at('spec');
  const rules: CommitRule[] = [];
  const integrity = spec.at('sourceIntegrity');
  if (integrity.exists && spec.has('signatureKeys')) {
    throw spec.at('signatureKeys').error('signatureKeys cannot be used together with sourceIntegrity (Argo CD ≥ 3.5): move the keys into sourceIntegrity.git.policies[].gpg.keys');
  }
  for (const p of integrity.at('git').at('policies').list()) {
    const gpg = p.at('gpg');
    const mode = gpg.at('mode').string();
    if (mode === undefined) throw gpg.at('mode').error('is required: none, head or strict');
    if (!['none', 'head', 'strict'].includes(mode)) throw gpg.at('mode').error(`must be none, head or strict, not ${mode}`);
    const globs = p.at('repos').list().map((r) => r.at('url').requiredString());
    if (globs.length === 0) throw p.at('repos').error('needs at least one url pattern');
    // `none` matches its repositories and verifies nothing: kept, so it still claims them.
    rules.push({ file: root.file, line: p.line, path: p.rel(), repos: { globs }, engine: 'argocd', mode: mode === 'none' ? 'head' : (mode as 'head' | 'strict'), keyIds: keyIds(gpg.at('keys')), ...(mode === 'none' && { none: true as const }) });
  }
  if (!integrity.exists && spec.has('signatureKeys')) {
    const keys = spec.at('signatureKeys');
    const ids = keys.list().map((k) => {
      const id = k.at('keyID').requiredString();
      if (!KEY_ID.test(id)) throw k.at('keyID').error(`'${id}' is not a valid GnuPG key ID (16 or 40 hexadecimal digits)`);
      return id;
    });
    if (ids.length > 0) rules.push({ file: root.file, line: keys.line, path: keys.rel(), repos: { globs: ['*'] }, engine: 'argocd', mode: 'head', keyIds: ids });
  }
  return { format: 'argocd', file: root.file, line: root.line, name: root.at('metadata').at('name').string() ?? '(unnamed)', rules: [], ...(rules.length > 0 && { commitRules: rules }) };
}

function keyIds(f: Field): string[] {
  return f.list().map((k) => {
    const id = k.requiredString();
    // Argo CD logs and skips an invalid ID (keyAllowed); a policy written so trusts less than it says: refused here.
    if (!KEY_ID.test(id)) throw k.error(`'${id}' is not a valid GnuPG key ID (16 or 40 hexadecimal digits)`);
    return id;
  });
}
