// ClusterImagePolicy `authorities[]` → one Requirement per authority (the CIP ORs them).
// An authority with `attestations` follows policy-controller's attestation path only:
// every listed attestation needs one statement signed by the authority (no signature check).

import type { LoadContext } from '../document.js';
import type { Field } from '../field.js';
import { checkRegExp } from '../kyverno/certificates.js';
import type { AttestationRequirement, CertificateIdentity, CertificateRequirement, KeyRequirement, PayloadPolicy, Requirement } from '../model.js';
import { inlineCertificates, inlineKeys, invalidLeaf } from '../pem.js';
import { expandPredicateType } from '../predicate-types.js';
import { compileTrustRoot } from './trust-root.js';
import { CIP_TAGS_ONLY, readingOnly } from '../evidence-kind.js';

const HASHES = ['sha224', 'sha256', 'sha384', 'sha512'] as const;
type Hash = (typeof HASHES)[number];
const KMS_SCHEMES = ['awskms://', 'gcpkms://', 'azurekms://', 'hashivault://'];
/** policy-controller reads secretRef keys from its own namespace (the Helm/manifest default). */
const CONTROLLER_NAMESPACE = 'cosign-system';

/** Paths are relative to `spec`: `authorities[1]`, `authorities[1].key`. */
export function authorityRequirement(spec: Field, a: Field, ctx: LoadContext): Requirement {
  const kinds = ['key', 'keyless', 'static'].filter((k) => a.has(k));
  if (kinds.length !== 1) throw a.error(oneOf(kinds, ['key', 'keyless', 'static']));
  a.at('name').string(); // only type-checked: paths name the authority by index (`authority-<i>` upstream)
  const sources = a.at('source').list();
  if (sources.length > 1) throw a.at('source').error('invalid value: only single source is supported');
  const source = sources[0];

  if (kinds[0] === 'static') {
    const clash = ['attestations', 'source', 'ctlog', 'rfc3161timestamp'].find((k) => a.has(k));
    if (clash) throw a.at(clash).error('cannot be combined with static');
    const st = a.at('static');
    const action = st.at('action').requiredString();
    if (action !== 'pass' && action !== 'fail') throw st.at('action').error(`invalid value: ${action}: unsupported action (pass or fail)`);
    const message = st.at('message').string();
    return { kind: 'static', path: st.rel(spec), action, ...(message ? { message } : {}) };
  }

  const signer = kinds[0] === 'key' ? keyRequirement(spec, a, ctx) : keylessRequirement(spec, a, ctx);
  const extras: Requirement[] = [];
  if (source?.has('tagPrefix')) extras.push(unsupported(spec, source.at('tagPrefix'), 'source.tagPrefix'));
  if (a.has('rfc3161timestamp')) extras.push(unsupported(spec, a.at('rfc3161timestamp'), 'rfc3161timestamp'));
  const format = a.at('signatureFormat').string();
  if (format !== undefined && format !== 'legacy') extras.push(unsupported(spec, a.at('signatureFormat'), `signatureFormat: ${format}`));
  const attestations = a.at('attestations').list();
  const main: Requirement[] =
    attestations.length === 0 ? [signer] : attestations.map((att) => attestationRequirement(spec, att, signer, a));
  // The legacy format (the default) reads the `.sig` / `.att` tags only, never a cosign 3 bundle.
  const parts = [...main.map((r) => (format === undefined || format === 'legacy' ? readingOnly(r, { tagsOnly: CIP_TAGS_ONLY }) : r)), ...extras];
  return parts.length === 1 ? parts[0]! : { kind: 'all', path: a.rel(spec), of: parts };
}

function keyRequirement(spec: Field, a: Field, ctx: LoadContext): Requirement {
  const key = a.at('key');
  const refs = ['data', 'secretRef', 'kms'].filter((k) => key.has(k));
  if (refs.length !== 1) throw key.error(oneOf(refs, ['data', 'kms', 'secretRef']));
  const hashField = key.at('hashAlgorithm');
  const hash = hashField.string() ?? 'sha256';
  if (!(HASHES as readonly string[]).includes(hash)) throw hashField.error(`invalid value: ${hash} (${HASHES.join(', ')})`);
  const leaf: KeyRequirement = {
    kind: 'key',
    path: key.rel(spec),
    line: key.line,
    keys: [],
    hashAlgorithm: hash as Hash,
    annotations: {},
    // policy-controller checks the transparency log for key authorities only when ctlog is set.
    tlog: a.has('ctlog') ? 'require' : 'ignore',
  };
  if (refs[0] === 'secretRef') {
    leaf.keyRef = { type: 'k8s-secret', namespace: CONTROLLER_NAMESPACE, name: key.at('secretRef').at('name').requiredString() };
  } else if (refs[0] === 'kms') {
    const f = key.at('kms');
    const uri = f.requiredString();
    if (!KMS_SCHEMES.some((p) => uri.startsWith(p) && uri.length > p.length)) {
      throw f.error(`malformed KMS format, should be prefixed by any of the supported providers: [${KMS_SCHEMES.join(' ')}] (not ${uri})`);
    }
    leaf.keyRef = { type: 'kms', uri };
  } else {
    const parsed = inlineKeys(key.at('data'));
    // policy-controller's webhook refuses the whole ClusterImagePolicy (KeyRef.Validate parses `data`).
    if (parsed.kind === 'invalid') throw key.at('data').error(`invalid value: ${parsed.problem.replace(' — a placeholder?', '')}; policy-controller's webhook refuses this ClusterImagePolicy (KeyRef.Validate)`);
    // Several keys in `data`: any one verifying satisfies the authority.
    leaf.keys = parsed.keys;
  }
  const oci = a.at('source').at(0).at('oci').string();
  if (oci) leaf.signatureRepository = oci;
  const ref = a.at('ctlog').at('trustRootRef');
  if (ref.exists) {
    const root = trustRoot(spec, ref, ctx);
    if (root.kind !== 'trustedRoot') return root;
    leaf.rekorPublicKeys = root.tlogKeys;
  }
  return leaf;
}

function keylessRequirement(spec: Field, a: Field, ctx: LoadContext): Requirement {
  const kl = a.at('keyless');
  const leaf: CertificateRequirement = {
    kind: 'certificate',
    path: kl.rel(spec),
    line: kl.line,
    source: 'fulcio',
    identities: identities(kl.at('identities')),
    sct: kl.at('insecureIgnoreSCT').bool(false) ? 'ignore' : 'require',
    // Keyless authorities get ctlog defaulted to the public Rekor (SetDefaults): the tlog is required.
    tlog: 'require',
    annotations: {},
  };
  kl.at('url').string();
  const caCert = kl.at('ca-cert');
  if (caCert.exists) {
    // A custom Fulcio-like CA: certificates must chain to these roots instead of the trusted root's.
    const refs = ['data', 'secretRef', 'kms'].filter((k) => caCert.has(k));
    if (refs.length !== 1) throw caCert.error(oneOf(refs, ['data', 'kms', 'secretRef']));
    if (refs[0] !== 'data') return unsupported(spec, caCert.at(refs[0]!), `keyless.ca-cert.${refs[0]}`);
    const certs = inlineCertificates(caCert.at('data'));
    if (certs.kind === 'invalid') return invalidLeaf(caCert.at('data'), spec, certs.problem);
    leaf.roots = certs.certificates;
  }
  const refs = [kl.at('trustRootRef'), a.at('ctlog').at('trustRootRef')].filter((f) => f.exists);
  const names = new Set(refs.map((f) => f.requiredString()));
  if (names.size > 1) throw refs[1]!.error('must name the same TrustRoot as keyless.trustRootRef');
  if (refs.length > 0) {
    const root = trustRoot(spec, refs[0]!, ctx);
    if (root.kind !== 'trustedRoot') return root;
    leaf.trustedRoot = root.json;
  }
  const oci = a.at('source').at(0).at('oci').string();
  if (oci) leaf.signatureRepository = oci;
  return leaf;
}

/** `identities[]`: required; each needs issuer xor issuerRegExp and subject xor subjectRegExp. */
function identities(f: Field): CertificateIdentity[] {
  const list = f.list();
  if (list.length === 0) throw f.error('keyless needs at least one identity');
  return list.map((id) => {
    const out: CertificateIdentity = { match: 'cip' };
    for (const [plain, re] of [
      ['issuer', 'issuerRegExp'],
      ['subject', 'subjectRegExp'],
    ] as const) {
      const p = id.at(plain).string();
      const r = id.at(re).string();
      const given = [p ? plain : '', r ? re : ''].filter(Boolean);
      if (given.length !== 1) throw id.error(oneOf(given, [plain, re]));
      if (p) out[plain] = p;
      if (r) {
        checkRegExp(id.at(re), r);
        out[re] = r;
      }
    }
    return out;
  });
}

type RootLookup = { kind: 'trustedRoot'; json: string; tlogKeys: string[] } | Requirement;

function trustRoot(spec: Field, ref: Field, ctx: LoadContext): RootLookup {
  const name = ref.requiredString();
  const doc = ctx.trustRoots.get(name);
  if (!doc) return unsupported(spec, ref, `trustRootRef ${name}: no TrustRoot of that name in the policy files`);
  const compiled = compileTrustRoot(doc);
  if (compiled.kind === 'unsupported') return unsupported(spec, ref, compiled.field);
  return compiled;
}

function attestationRequirement(spec: Field, att: Field, signer: Requirement, a: Field): Requirement {
  const type = att.at('predicateType').requiredString();
  // Attestation.Validate: a cosign short name, else it must parse as a URL (url.ParseRequestURI).
  if (expandPredicateType(type) === type && !isRequestUri(type)) throw att.at('predicateType').error(`invalid value: ${type}: unsupported precicate type`);
  att.at('name').requiredString();
  const req: AttestationRequirement = {
    kind: 'attestation',
    path: att.rel(spec),
    line: att.line,
    predicateType: expandPredicateType(type),
    signers: signer,
    statements: 'any', // policy-controller: one passing statement is enough
    conditions: [],
    name: att.at('name').requiredString(),
  };
  const oci = a.at('source').at(0).at('oci').string();
  if (oci) req.signatureRepository = oci;
  if (!att.has('policy')) return req;
  const policy = payloadPolicy(att.at('policy'), spec);
  if ('kind' in policy) return { kind: 'all', path: att.rel(spec), of: [req, policy] };
  return { ...req, policy };
}

/**
 * `policy{type: cue|rego, data | remote | configMapRef}`: an inline program is run (by `cue` / `opa`);
 * one kept elsewhere is unsupported: the URL or the cluster's ConfigMap is not what the repository holds.
 */
export function payloadPolicy(policy: Field, spec: Field): PayloadPolicy | Requirement {
  const type = policy.at('type').requiredString();
  if (type !== 'cue' && type !== 'rego') throw policy.at('type').error(`invalid value: ${type}: only [cue,rego] are supported at the moment`);
  const sources = ['data', 'remote', 'configMapRef'].filter((k) => policy.has(k));
  if (sources.length !== 1) throw policy.error(oneOf(sources, ['configMapRef', 'data', 'remote']));
  if (sources[0] === 'remote') return unsupported(spec, policy.at('remote'), `${type} policy from remote.url: copy it into policy.data`);
  if (sources[0] === 'configMapRef') return unsupported(spec, policy.at('configMapRef'), `${type} policy from a ConfigMap in the cluster: copy it into policy.data`);
  const data = policy.at('data');
  return { type, source: data.requiredString(), at: `${data.file}:${data.line}` };
}

/** knative's one-of errors, as policy-controller's Validate methods return them (ErrMissingOneOf / ErrMultipleOneOf). */
function oneOf(given: string[], fields: string[]): string {
  return given.length === 0 ? `expected exactly one, got neither: ${fields.join(', ')}` : `expected exactly one, got both: ${given.join(', ')}`;
}

/** Go's url.ParseRequestURI: an absolute URI with a scheme, or an absolute path. */
function isRequestUri(text: string): boolean {
  if (text.startsWith('/')) return !/\s/.test(text);
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text)) return false;
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

function unsupported(spec: Field, at: Field, field: string): Requirement {
  return { kind: 'unsupported', path: at.rel(spec), field };
}
