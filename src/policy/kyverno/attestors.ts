// One Kyverno `verifyImages` entry → its Requirement tree: attestor sets ANDed,
// entries counted (`count`, unset = all), one key leaf per PEM key, certificate leaves
// for keyless/certificates, attestation leaves for `attestations[]`.

import type { Field } from '../field.js';
import type { KeyReference, KeyRequirement, Requirement } from '../model.js';
import { hasVariable, inlineKeys, invalidLeaf } from '../pem.js';
import { attestationRequirement } from './attestations.js';
import { certificatesLeaf, keylessLeaf } from './certificates.js';
import { notaryRequirement } from './notary.js';
import { KYVERNO_TAGS_ONLY, readingOnly } from '../evidence-kind.js';

const HASHES = ['sha224', 'sha256', 'sha384', 'sha512'] as const;
type Hash = (typeof HASHES)[number];
const TYPES = ['Cosign', 'Notary', 'SigstoreBundle'];
const KMS_SCHEMES = ['awskms://', 'gcpkms://', 'azurekms://', 'hashivault://'];

/** Requirement paths are relative to the verifyImages entry: `attestors[0].entries[1].keys`. */
export function verifyImageRequirement(iv: Field): Requirement {
  const type = iv.at('type').string() ?? 'Cosign';
  if (!TYPES.includes(type)) throw iv.at('type').error(`unknown type ${type}`);
  const repository = iv.at('repository').string();
  if (type === 'Notary') return notaryRequirement(iv, repository);
  // SigstoreBundle: the same attestors, over Sigstore bundles found as OCI referrers only (e.g. GitHub Artifact Attestations).
  // Cosign reads the `.sig` / `.att` tags only: a cosign 3 bundle is "no signatures found" to Kyverno (kyverno apply, 1.19).
  return readingOnly(cosignRequirement(iv, repository), type === 'SigstoreBundle' ? { bundlesOnly: true } : { tagsOnly: KYVERNO_TAGS_ONLY });
}

function cosignRequirement(iv: Field, repository: string | undefined): Requirement {
  const of: Requirement[] = iv.at('attestors').list().map((set) => attestorSet(iv, set, repository));
  // Deprecated shorthand (Kyverno's Convert()): `key` and `annotations` become one attestor.
  if (iv.has('key')) {
    const ann = iv.at('annotations').stringMap();
    const key = iv.at('key');
    of.push(...keyLeaves(iv, key, key, { repository, annotations: ann, hash: 'sha256', tlog: 'require' }));
  }
  // Deprecated keyless shorthand: `roots`, `subject`, `issuer`, `additionalExtensions` become a keyless attestor.
  const keyless = ['roots', 'subject', 'issuer', 'additionalExtensions'].filter((k) => iv.has(k));
  if (keyless.length > 0 && !iv.has('key')) {
    of.push(keylessLeaf(iv, iv, { repository, annotations: iv.at('annotations').stringMap() }));
  }
  of.push(...iv.at('attestations').list().map((a) => attestationRequirement(iv, a, repository, (set) => attestorSet(iv, set, repository))));
  // No attestors at all: the rule only checks digests (verifyDigest/required), which pass here.
  return of.length === 1 ? of[0]! : { kind: 'all', path: '', of };
}

/** `validate.manifests.attestors`: the same attestor sets, ANDed (paths relative to `manifests`). */
export function manifestAttestors(manifests: Field): Requirement {
  const sets = manifests.at('attestors').list();
  const of = sets.map((set) => attestorSet(manifests, set, undefined));
  return of.length === 1 ? of[0]! : { kind: 'all', path: '', of };
}

function attestorSet(iv: Field, set: Field, repository: string | undefined): Requirement {
  const entries = set.at('entries').list();
  if (entries.length === 0) throw set.at('entries').error('needs at least one entry');
  const count = set.at('count').integer();
  // Several PEM keys in one entry count as several entries, as Kyverno expands them.
  const leaves = entries.flatMap((e) => entry(iv, e, repository));
  if (count !== undefined && (count < 1 || count > leaves.length)) {
    throw set.at('count').error(`must be between 1 and the number of entries (${leaves.length})`);
  }
  const path = set.rel(iv);
  return count === undefined ? { kind: 'all', path, of: leaves } : { kind: 'count', path, min: count, of: leaves };
}

function entry(iv: Field, e: Field, ruleRepository: string | undefined): Requirement[] {
  const kinds = ['keys', 'certificates', 'keyless', 'attestor'].filter((k) => e.has(k));
  if (kinds.length !== 1) throw e.error('keys, certificates, keyless, or a nested attestor is required (exactly one; Kyverno Attestor.Validate)');
  const kind = kinds[0]!;
  const repository = e.at('repository').string() ?? ruleRepository;
  const annotations = e.at('annotations').stringMap();
  if (kind === 'keyless') return [keylessLeaf(iv, e.at('keyless'), { repository, annotations })];
  if (kind === 'certificates') return [certificatesLeaf(iv, e.at('certificates'), { repository, annotations })];
  if (kind === 'attestor') return [nestedAttestor(iv, e.at('attestor'), repository)];
  const keys = e.at('keys');
  const hashField = keys.has('signatureAlgorithm') ? keys.at('signatureAlgorithm') : e.at('signatureAlgorithm');
  return keyLeaves(iv, keys.at('publicKeys'), keys, {
    repository,
    annotations,
    hash: hashAlgorithm(hashField),
    tlog: keys.at('rekor').at('ignoreTlog').bool(false) ? 'ignore' : 'require',
  });
}

interface KeyOptions {
  repository: string | undefined;
  annotations: Record<string, string>;
  hash: Hash;
  tlog: 'require' | 'ignore';
}

/** `keys` (or the deprecated rule-level `key`): leaves for inline PEM keys, unsupported for the rest. */
function keyLeaves(iv: Field, publicKeys: Field, keys: Field, opts: KeyOptions): Requirement[] {
  const isShorthand = publicKeys === keys; // deprecated `key: <pem>` has no sub-fields
  if (!isShorthand) {
    const sources = ['publicKeys', 'kms', 'secret'].filter((s) => keys.has(s));
    if (sources.length === 0) throw keys.error('A key is required (publicKeys, kms or secret; Kyverno StaticKeyAttestor.Validate)');
    if (sources.length > 1) throw keys.error(`has both ${sources.join(' and ')}; choose one`);
    if (keys.at('ctlog').has('tsaCertChain')) return [unsupported(iv, keys.at('ctlog').at('tsaCertChain'), 'ctlog.tsaCertChain')];
  }
  let ref: KeyReference | undefined;
  let parsed: ReturnType<typeof inlineKeys>;
  if (!isShorthand && keys.has('kms')) {
    // Variables are resolved at admission from the request: valid, but not evaluable from manifests.
    if (hasVariable(keys.at('kms').requiredString())) return [unsupported(iv, keys.at('kms'), 'variables in kms')];
    ref = kmsReference(keys.at('kms'));
    parsed = { kind: 'keys', keys: [] };
  } else if (!isShorthand && keys.has('secret')) {
    ref = secretReference(keys.at('secret'));
    parsed = { kind: 'keys', keys: [] };
  } else {
    const text = publicKeys.requiredString();
    if (hasVariable(text)) return [unsupported(iv, publicKeys, 'variables in publicKeys')];
    const k8s = /^k8s:\/\/([^/\s]+)\/([^/\s]+)$/.exec(text.trim());
    if (text.trim().startsWith('k8s://') && !k8s) throw publicKeys.error('must be k8s://<namespace>/<secret>');
    if (k8s) {
      // The Secret's `cosign.pub` key, as cosign reads it.
      ref = { type: 'k8s-secret', namespace: k8s[1]!, name: k8s[2]! };
      parsed = { kind: 'keys', keys: [] };
    } else {
      parsed = inlineKeys(publicKeys);
      if (parsed.kind === 'invalid') return [invalidLeaf(publicKeys, iv, parsed.problem)];
    }
  }

  const rekorKey = isShorthand ? undefined : keys.at('rekor').at('pubkey');
  let rekorPublicKeys: string[] | undefined;
  if (rekorKey?.exists) {
    if (hasVariable(rekorKey.requiredString())) return [unsupported(iv, rekorKey, 'variables in rekor.pubkey')];
    const r = inlineKeys(rekorKey);
    if (r.kind === 'invalid') return [invalidLeaf(rekorKey, iv, r.problem)];
    rekorPublicKeys = r.keys;
  }
  const base = keys.rel(iv);
  if (ref) {
    const leaf: KeyRequirement = { kind: 'key', path: base, line: keys.line, keys: [], hashAlgorithm: opts.hash, annotations: opts.annotations, tlog: opts.tlog, keyRef: ref };
    if (opts.repository) leaf.signatureRepository = opts.repository;
    if (rekorPublicKeys) leaf.rekorPublicKeys = rekorPublicKeys;
    return [leaf];
  }
  return parsed.keys.map((pem, i): KeyRequirement => {
    const leaf: KeyRequirement = {
      kind: 'key',
      path: parsed.keys.length > 1 ? `${base}.publicKeys[${i}]` : base,
      line: publicKeys.line,
      keys: [pem],
      hashAlgorithm: opts.hash,
      annotations: opts.annotations,
      tlog: opts.tlog,
    };
    if (opts.repository) leaf.signatureRepository = opts.repository;
    if (rekorPublicKeys) leaf.rekorPublicKeys = rekorPublicKeys;
    return leaf;
  });
}

function kmsReference(f: Field): KeyReference {
  const uri = f.requiredString();
  if (!KMS_SCHEMES.some((p) => uri.startsWith(p) && uri.length > p.length)) {
    throw f.error(`must be a KMS URI (${KMS_SCHEMES.join(', ')}), not ${uri}`);
  }
  return { type: 'kms', uri };
}

function secretReference(f: Field): KeyReference {
  const name = f.at('name').requiredString();
  const namespace = f.at('namespace').requiredString();
  return { type: 'k8s-secret', namespace, name };
}

/** `attestor`: a nested AttestorSet (raw JSON in Kyverno) counted as one entry of its parent. */
function nestedAttestor(iv: Field, f: Field, repository: string | undefined): Requirement {
  return attestorSet(iv, f, repository);
}

function hashAlgorithm(f: Field): Hash {
  const v = f.string() ?? 'sha256';
  if (!(HASHES as readonly string[]).includes(v)) throw f.error(`unknown signature algorithm ${v}`);
  return v as Hash;
}

function unsupported(iv: Field, at: Field, field: string): Requirement {
  return { kind: 'unsupported', path: at.rel(iv), field };
}
