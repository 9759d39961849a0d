// Flux's own `spec.verify` of an OCI source (OCIRepository, HelmChart, HelmRelease chart) → a
// rule judging that one artifact (source-controller internal/oci/cosign): provider cosign with
// the `.pub` keys of `secretRef` (any one; the transparency log ignored, as Flux does), or
// keyless with `matchOIDCIdentity` (issuer/subject regexps, unanchored; any one); notation is
// not evaluated here (undecided, never passed).

import type { FluxVerify } from '../../manifests/oci-sources.js';
import { findSecret, type SecretObject } from '../../manifests/secrets.js';
import type { Policy, Requirement } from '../model.js';
import { splitPem } from '../../verify/keys.js';

export function fluxVerifyPolicy(v: FluxVerify, secrets: readonly SecretObject[]): Policy {
  const w = v.use.workload;
  const name = `${w.kind} ${w.namespace ?? 'default'}/${w.name ?? '(unnamed)'}`;
  return {
    format: 'flux',
    file: v.use.file,
    line: v.line,
    name,
    rules: [
      {
        file: v.use.file,
        line: v.line,
        path: v.path,
        // This artifact, as written, in this object only.
        images: { flavour: 'tanzu', include: [v.use.image], exclude: [] },
        resources: { match: [[{ kinds: [w.kind], names: [w.name ?? ''], namespaces: [w.namespace ?? 'default'] }]], exclude: [] },
        mode: 'enforce',
        onError: 'block',
        digest: { mutateDigest: false, verifyDigest: false, required: false },
        requirement: requirement(v, secrets),
      },
    ],
  };
}

function requirement(v: FluxVerify, secrets: readonly SecretObject[]): Requirement {
  if (v.provider === 'notation') return { kind: 'unsupported', path: `${v.path}.provider`, field: 'provider notation (a trust policy and certificates in a Secret): not evaluated by this tool yet' };
  if (v.provider !== 'cosign') return { kind: 'unsupported', path: `${v.path}.provider`, field: `provider ${v.provider}` };
  if (v.secretRef) {
    const ref = v.secretRef;
    const secret = findSecret(secrets, ref);
    if (!secret) return { kind: 'unsupported', path: `${v.path}.secretRef`, field: `the Secret ${ref.namespace}/${ref.name} holding the cosign public keys is not in the repository or the policy files` };
    const keys = [...secret.data].filter(([k]) => k.endsWith('.pub')).flatMap(([, data]) => splitPem(data.toString('utf8')).filter((b) => b.type === 'PUBLIC KEY').map((b) => b.pem));
    if (keys.length === 0) return { kind: 'unsupported', path: `${v.path}.secretRef`, field: `the Secret ${ref.namespace}/${ref.name} holds no *.pub cosign public key` };
    const leaves: Requirement[] = keys.map((pem, i) => ({ kind: 'key', path: `${v.path}.secretRef[${i}]`, line: v.line, keys: [pem], hashAlgorithm: 'sha256', annotations: {}, tlog: 'ignore' }));
    return leaves.length === 1 ? leaves[0]! : { kind: 'any', path: v.path, of: leaves };
  }
  return {
    kind: 'certificate',
    path: `${v.path}.matchOIDCIdentity`,
    line: v.line,
    source: 'fulcio',
    identities: v.identities.map((i) => ({ ...(i.issuer !== undefined && { issuerRegExp: i.issuer }), ...(i.subject !== undefined && { subjectRegExp: i.subject }), match: 'cosign' as const })),
    sct: 'require',
    tlog: 'require',
    annotations: {},
  };
}
