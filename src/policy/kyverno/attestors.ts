// One Kyverno `verifyImages` entry → its Requirement tree: attestor sets ANDed,
// entries counted (`count`, unset = all), one key leaf per PEM key.

import type { Field } from '../field.js';
import type { KeyRequirement, Requirement } from '../model.js';
import { hasVariable, inlineKeys } from '../pem.js';

const HASHES = ['sha224', 'sha256', 'sha384', 'sha512'] as const;
type Hash = (typeof HASHES)[number];
const TYPES = ['Cosign', 'Notary', 'SigstoreBundle'];

/** Requirement paths are relative to the verifyImages entry: `attestors[0].entries[1].keys`. */
export function verifyImageRequirement(iv: Field): Requirement {
  const type = iv.at('type').string() ?? 'Cosign';
  if (!TYPES.includes(type)) throw iv.at('type').error(`unknown type ${type}`);
  if (type !== 'Cosign') return unsupported(iv, iv.at('type'), `type: ${type}`);

  const repository = iv.at('repository').string();
  const of: Requirement[] = iv.at('attestors').list().map((set) => attestorSet(iv, set, repository));
  // Deprecated shorthand (Kyverno's Convert()): `key` and `annotations` become one attestor.
  if (iv.has('key')) {
    const ann = iv.at('annotations').stringMap();
    const key = iv.at('key');
    of.push(...keyLeaves(iv, key, key, { repository, annotations: ann, hash: 'sha256', tlog: 'require' }));
  }
  const keyless = ['roots', 'subject', 'issuer', 'additionalExtensions'].find((k) => iv.has(k));
  if (keyless) of.push(unsupported(iv, iv.at(keyless), 'keyless'));
  if (iv.at('attestations').list().length > 0) of.push(unsupported(iv, iv.at('attestations'), 'attestations'));
  if (iv.has('validate')) of.push(unsupported(iv, iv.at('validate'), 'validate'));
  // No attestors at all: the rule only checks digests (verifyDigest/required), which pass here.
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
  if (kinds.length !== 1) throw e.error('needs exactly one of keys, certificates, keyless, attestor');
  const kind = kinds[0]!;
  if (kind !== 'keys') return [unsupported(iv, e.at(kind), kind)];
  const keys = e.at('keys');
  const hashField = keys.has('signatureAlgorithm') ? keys.at('signatureAlgorithm') : e.at('signatureAlgorithm');
  return keyLeaves(iv, keys.at('publicKeys'), keys, {
    repository: e.at('repository').string() ?? ruleRepository,
    annotations: e.at('annotations').stringMap(),
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
    if (sources.length === 0) throw keys.error('needs one of publicKeys, kms, secret');
    if (sources.length > 1) throw keys.error(`has both ${sources.join(' and ')}; choose one`);
    if (sources[0] === 'kms') return [unsupported(iv, keys.at('kms'), 'keys.kms')];
    if (sources[0] === 'secret') return [unsupported(iv, keys.at('secret'), 'keys.secret')];
    if (keys.at('ctlog').has('tsaCertChain')) return [unsupported(iv, keys.at('ctlog').at('tsaCertChain'), 'ctlog.tsaCertChain')];
  }
  const text = publicKeys.requiredString();
  if (hasVariable(text)) return [unsupported(iv, publicKeys, 'variables in publicKeys')];
  if (text.trim().startsWith('k8s://')) return [unsupported(iv, publicKeys, 'k8s:// public keys')];
  const parsed = inlineKeys(publicKeys);
  if (parsed.kind === 'placeholder') return [unsupported(iv, publicKeys, 'placeholder public key')];

  const rekorKey = isShorthand ? undefined : keys.at('rekor').at('pubkey');
  let rekorPublicKeys: string[] | undefined;
  if (rekorKey?.exists) {
    if (hasVariable(rekorKey.requiredString())) return [unsupported(iv, rekorKey, 'variables in rekor.pubkey')];
    const r = inlineKeys(rekorKey);
    if (r.kind === 'placeholder') return [unsupported(iv, rekorKey, 'placeholder rekor.pubkey')];
    rekorPublicKeys = r.keys;
  }
  const base = keys.rel(iv);
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

function hashAlgorithm(f: Field): Hash {
  const v = f.string() ?? 'sha256';
  if (!(HASHES as readonly string[]).includes(v)) throw f.error(`unknown signature algorithm ${v}`);
  return v as Hash;
}

function unsupported(iv: Field, at: Field, field: string): Requirement {
  return { kind: 'unsupported', path: at.rel(iv), field };
}
