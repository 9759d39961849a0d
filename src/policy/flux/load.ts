// Flux GitRepository `spec.verify` → a CommitRule (source-controller v1.10: `mode` HEAD, head,
// Tag or TagAndHEAD, default HEAD; `secretRef` names a Secret of public keys, `.asc` OpenPGP and
// `.sshpub` SSH, any other key read as OpenPGP).

import type { PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import type { CommitRule, Policy } from '../model.js';
import { checkFields, obj, OPAQUE, S } from '../strict.js';

const gitRepository = obj({
  apiVersion: S,
  kind: S,
  metadata: OPAQUE,
  status: OPAQUE,
  spec: obj({
    url: S,
    ref: obj({ branch: S, tag: S, semver: S, name: S, commit: S }),
    verify: obj({ mode: S, secretRef: obj({ name: S }) }),
    secretRef: OPAQUE,
    provider: S,
    serviceAccountName: S,
    interval: S,
    timeout: S,
    ignore: S,
    suspend: S,
    recurseSubmodules: S,
    include: OPAQUE,
    proxySecretRef: OPAQUE,
    sparseCheckout: OPAQUE,
    gitImplementation: S,
    accessFrom: OPAQUE,
  }),
});

const VERSIONS = ['source.toolkit.fluxcd.io/v1', 'source.toolkit.fluxcd.io/v1beta2'];
const MODES: Record<string, CommitRule['mode']> = { HEAD: 'HEAD', head: 'HEAD', Tag: 'Tag', TagAndHEAD: 'TagAndHEAD' };

export function load(doc: PolicyDocument): Policy | null {
  const { apiVersion, kind } = doc.value;
  if (kind !== 'GitRepository' || typeof apiVersion !== 'string' || !apiVersion.startsWith('source.toolkit.fluxcd.io/')) return null;
  const root = Field.root(doc);
  if (!VERSIONS.includes(apiVersion)) throw root.at('apiVersion').error(`unsupported apiVersion ${apiVersion} for GitRepository`);
  checkFields(doc, gitRepository, 'a Flux GitRepository');
  const spec = root.at('spec');
  const meta = root.at('metadata');
  const name = meta.at('name').string() ?? '(unnamed)';
  const policy: Policy = { format: 'flux', file: root.file, line: root.line, name, rules: [] };
  const verify = spec.at('verify');
  if (!verify.exists) return policy;
  const modeText = verify.at('mode').string() ?? 'HEAD';
  const mode = MODES[modeText];
  if (!mode) throw verify.at('mode').error(`must be HEAD, Tag or TagAndHEAD, not ${modeText}`);
  const secret = verify.at('secretRef').at('name').requiredString();
  const url = spec.at('url').requiredString();
  policy.commitRules = [
    {
      file: root.file,
      line: verify.line,
      path: verify.rel(),
      repos: { url },
      engine: 'flux',
      mode,
      // The Secret is read from the GitRepository's own namespace (flux-system when it names none, as `flux create source git` writes it).
      secret: { namespace: meta.at('namespace').string() ?? 'flux-system', name: secret },
    },
  ];
  return policy;
}
