// Flux's own `spec.verify` of an OCI source (OCIRepository, HelmChart, HelmRelease chart) → rules
// judging that one artifact (source-controller internal/oci): provider cosign with the `.pub`
// keys of `secretRef` (any one; the transparency log ignored, as Flux does), or keyless with
// `matchOIDCIdentity` (issuer/subject regexps, unanchored; any one); provider notation with the
// Secret's trust policy and certificates.

import type { FluxVerify } from '../../manifests/oci-sources.js';
import { findSecret, type SecretObject } from '../../manifests/secrets.js';
import type { Policy, PolicyRule, Requirement } from '../model.js';
import { parsePolicyDocuments } from '../document.js';
import { load as loadNotation } from '../notation/load.js';
import { publicKeysIn } from '../pem.js';

/** Why an artifact cannot be judged without its Secret, and what to do. */
function missingSecret(ref: { namespace: string; name: string }, holding: string): string {
  return `the Secret ${ref.namespace}/${ref.name} (secretRef) holding the ${holding} is not in the repository or the policy files, so this tool cannot verify what Flux would: commit it (public material only), e.g. beside the policies in .verify-images/`;
}

export function fluxVerifyPolicy(v: FluxVerify, secrets: readonly SecretObject[]): Policy {
  const w = v.use.workload;
  const name = `${w.kind} ${w.namespace ?? 'default'}/${w.name ?? '(unnamed)'}`;
  // This object only: its artifact is what its verify judges.
  const resources = { match: [[{ kinds: [w.kind], names: [w.name ?? ''], namespaces: [w.namespace ?? 'default'] }]], exclude: [] };
  const rule = (requirement: Requirement): PolicyRule => ({
    file: v.use.file,
    line: v.line,
    path: v.path,
    images: { flavour: 'tanzu', include: [v.use.image], exclude: [] },
    resources,
    mode: 'enforce',
    onError: 'block',
    digest: { mutateDigest: false, verifyDigest: false, required: false },
    requirement,
  });
  const rules = v.provider === 'notation' ? notationRules(v, secrets, rule).map((r) => ({ ...r, resources })) : [rule(requirement(v, secrets))];
  return { format: 'flux', file: v.use.file, line: v.line, name, rules };
}

/**
 * provider notation (source-controller internal/oci/notation): the Secret's `trustpolicy.json`
 * (statements at level skip lose their stores and identities, CleanTrustPolicy) with every
 * `*.crt`/`*.pem` of the Secret in each trust store it names, read as notation reads a trust
 * policy; an artifact no statement's scope covers fails, as notation-go finds no applicable policy.
 */
function notationRules(v: FluxVerify, secrets: readonly SecretObject[], rule: (r: Requirement) => PolicyRule): PolicyRule[] {
  const fail = (message: string) => [rule({ kind: 'static', path: `${v.path}.secretRef`, action: 'fail', message })];
  if (!v.secretRef) return fail('provider notation needs secretRef (a Secret with trustpolicy.json and certificates)');
  const ref = v.secretRef;
  const secret = findSecret(secrets, ref);
  if (!secret) return [rule({ kind: 'unsupported', path: `${v.path}.secretRef`, field: missingSecret(ref, 'trust policy (trustpolicy.json) and certificates') })];
  const policyBytes = secret.data.get('trustpolicy.json');
  if (!policyBytes) return fail(`'trustpolicy.json' not found in secret '${ref.namespace}/${ref.name}'`);
  const certs = [...secret.data].filter(([k]) => k.endsWith('.crt') || k.endsWith('.pem'));
  if (certs.length === 0) return fail(`no certificates found in secret '${ref.namespace}/${ref.name}'`);
  const file = `${secret.file} (Secret ${ref.namespace}/${ref.name} trustpolicy.json)`;
  try {
    const [doc] = parsePolicyDocuments(policyBytes.toString('utf8'), file);
    if (!doc) return fail('trustpolicy.json is empty');
    const statements = Array.isArray(doc.value.trustPolicies) ? (doc.value.trustPolicies as Record<string, unknown>[]) : [];
    const stores = new Map<string, { file: string; bytes: Uint8Array }[]>();
    for (const st of statements) {
      const level = (st.signatureVerification as { level?: unknown } | undefined)?.level;
      if (level === 'skip') {
        st.trustStores = [];
        st.trustedIdentities = [];
      }
      for (const name of Array.isArray(st.trustStores) ? st.trustStores : []) stores.set(String(name), certs.map(([k, bytes]) => ({ file: `${secret.file} (Secret ${ref.namespace}/${ref.name} ${k})`, bytes })));
    }
    const policy = loadNotation(doc, { trustRoots: new Map(), trustStores: new Map([[file, stores]]) });
    if (!policy) return fail('trustpolicy.json is not a Notation trust policy (version "1.0" with trustPolicies)');
    const scopes = policy.rules.flatMap((r) => r.images.include);
    const none: PolicyRule = rule({ kind: 'static', path: `${v.path}.secretRef`, action: 'fail', message: `no trust policy statement of trustpolicy.json applies to ${v.use.image} (notation: artifact has no applicable trust policy)` });
    return [...policy.rules, ...(scopes.includes('*') ? [] : [{ ...none, images: { flavour: 'notation' as const, include: ['*'], exclude: [], deferTo: scopes } }])];
  } catch (err) {
    return fail(`trustpolicy.json in Secret ${ref.namespace}/${ref.name}: ${(err as Error).message}`);
  }
}

function requirement(v: FluxVerify, secrets: readonly SecretObject[]): Requirement {
  if (v.provider !== 'cosign') return { kind: 'unsupported', path: `${v.path}.provider`, field: `provider ${v.provider}` };
  if (v.secretRef) {
    const ref = v.secretRef;
    const secret = findSecret(secrets, ref);
    if (!secret) return { kind: 'unsupported', path: `${v.path}.secretRef`, field: missingSecret(ref, 'cosign public keys (*.pub)') };
    const keys: string[] = [];
    for (const [k, data] of secret.data) {
      if (!k.endsWith('.pub')) continue;
      const parsed = publicKeysIn(data.toString('utf8'));
      // Flux fails to load such a key: nothing it trusts can verify the artifact.
      if (parsed.kind === 'invalid') return { kind: 'invalid', path: `${v.path}.secretRef`, file: secret.file, line: v.line, problem: `${k} of the Secret ${ref.namespace}/${ref.name} ${parsed.problem}` };
      keys.push(...parsed.keys);
    }
    if (keys.length === 0) return { kind: 'static', path: `${v.path}.secretRef`, action: 'fail', message: `the Secret ${ref.namespace}/${ref.name} holds no *.pub cosign public key: Flux verifies nothing with it and refuses the artifact` };
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
