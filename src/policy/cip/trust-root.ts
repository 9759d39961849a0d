// policy-controller `TrustRoot` documents (policy.sigstore.dev/v1alpha1) found among the
// policy files → a trusted_root.json text, so `trustRootRef` works offline.
// `sigstoreKeys` is converted; `repository` (a vendored TUF repository) is verified
// offline and its trusted root target taken; `remote` needs the network: unsupported.

import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import { checkFields } from '../strict.js';
import { trustRoot } from './schema.js';
import { splitPem } from '../../verify/keys.js';
import { TrustRootError, trustMaterialFromJson } from '../../verify/trusted-root.js';
import { readMirror, TufRepositoryError, verifiedTarget } from './tuf-repository.js';

export type TrustRootResult = { kind: 'trustedRoot'; json: string; tlogKeys: string[] } | { kind: 'unsupported'; field: string };

export function isTrustRoot(doc: PolicyDocument): boolean {
  const { apiVersion, kind } = doc.value;
  return kind === 'TrustRoot' && typeof apiVersion === 'string' && apiVersion.startsWith('policy.sigstore.dev/');
}

/** A TrustRoot of a version policy-controller serves, with only the fields it defines. */
export function checkTrustRoot(doc: PolicyDocument): void {
  const apiVersion = String(doc.value['apiVersion']);
  if (apiVersion !== 'policy.sigstore.dev/v1alpha1') throw Field.root(doc).at('apiVersion').error(`unsupported apiVersion ${apiVersion} for TrustRoot`);
  checkFields(doc, trustRoot, 'a TrustRoot');
}

export function trustRootName(doc: PolicyDocument): string | undefined {
  return Field.root(doc).at('metadata').at('name').string();
}

// Several authorities may name the same TrustRoot: a TUF repository is verified once per load.
const compiled = new WeakMap<PolicyDocument, TrustRootResult>();

/** Compiles a TrustRoot document; malformed content is a PolicyError at its line. */
export function compileTrustRoot(doc: PolicyDocument): TrustRootResult {
  let result = compiled.get(doc);
  if (!result) compiled.set(doc, (result = compile(doc)));
  return result;
}

function compile(doc: PolicyDocument): TrustRootResult {
  const spec = Field.root(doc).at('spec');
  const kinds = ['remote', 'repository', 'sigstoreKeys'].filter((k) => spec.has(k));
  if (kinds.length !== 1) throw spec.error('needs exactly one of remote, repository, sigstoreKeys');
  if (kinds[0] === 'remote') return { kind: 'unsupported', field: 'TrustRoot remote (needs the network)' };
  if (kinds[0] === 'repository') return repository(spec.at('repository'));
  const keys = spec.at('sigstoreKeys');
  const tlogs = keys.at('tLogs').list().map(logInstance);
  const root = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: tlogs.map((t) => t.json),
    certificateAuthorities: keys.at('certificateAuthorities').list().map(authority),
    ctlogs: keys.at('ctLogs').list().map((f) => logInstance(f).json),
    timestampAuthorities: keys.at('timestampAuthorities').list().map(authority),
  };
  return { kind: 'trustedRoot', json: JSON.stringify(root, null, 2), tlogKeys: tlogs.map((t) => t.pem) };
}

/**
 * `repository{root, mirrorFS, targets, trustedRootTarget}`: the TUF repository in
 * `mirrorFS` verified from `root`, then its trusted root target used as is.
 */
function repository(f: Field): TrustRootResult {
  const rootField = f.at('root');
  const mirrorField = f.at('mirrorFS');
  const targetField = f.at('trustedRootTarget');
  const root = rootField.requiredString().trim().startsWith('{') ? Buffer.from(rootField.requiredString()) : base64(rootField);
  const mirror = base64(mirrorField);
  const target = targetField.string() || 'trusted_root.json';
  let text: string;
  try {
    const data = verifiedTarget(readMirror(mirror), root, { targets: f.at('targets').string() || 'targets', target });
    text = data.toString('utf8');
  } catch (err) {
    if (!(err instanceof TufRepositoryError)) throw err;
    throw (err.code === 'TUF_ROOT_INVALID' ? rootField : mirrorField).error(err.message);
  }
  try {
    const material = trustMaterialFromJson(text, target);
    const tlogKeys = material.tlogs.map((t) => t.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    return { kind: 'trustedRoot', json: text, tlogKeys };
  } catch (err) {
    if (!(err instanceof TrustRootError)) throw err;
    throw (f.has('trustedRootTarget') ? targetField : f).error(`not a usable trusted root: ${err.message}`);
  }
}

/** A Kubernetes `[]byte` field: standard base64, whitespace allowed. */
function base64(f: Field): Buffer {
  const v = f.requiredString().replace(/\s+/g, '');
  if (v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw f.error('must be base64');
  return Buffer.from(v, 'base64');
}

const EPOCH = { start: '1970-01-01T00:00:00Z' };

/** `[]byte` fields are base64 in the Kubernetes object; PEM written directly is accepted too. */
function pemText(f: Field): string {
  const v = f.requiredString();
  if (v.includes('-----BEGIN')) return v;
  const decoded = Buffer.from(v, 'base64').toString('utf8');
  if (!decoded.includes('-----BEGIN')) throw f.error('must be PEM, or base64 of PEM');
  return decoded;
}

function logInstance(f: Field): { json: unknown; pem: string } {
  const pkField = f.at('publicKey');
  const pem = pemText(pkField);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw pkField.error(`invalid public key: ${(err as Error).message}`);
  }
  const der = key.export({ type: 'spki', format: 'der' });
  const hash = f.at('hashAlgorithm').string() ?? 'sha-256';
  const logId = f.at('logID').string();
  return {
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
    json: {
      baseUrl: f.at('baseURL').string() ?? '',
      hashAlgorithm: hash.toLowerCase().replace('-', '') === 'sha256' ? 'SHA2_256' : hash.toUpperCase(),
      publicKey: { rawBytes: der.toString('base64'), keyDetails: keyDetails(key), validFor: EPOCH },
      logId: { keyId: logId ? Buffer.from(logId, 'hex').toString('base64') : createHash('sha256').update(der).digest('base64') },
    },
  };
}

function authority(f: Field): unknown {
  const chainField = f.at('certChain');
  const blocks = splitPem(pemText(chainField)).filter((b) => b.type === 'CERTIFICATE');
  if (blocks.length === 0) throw chainField.error('invalid certificate: no PEM CERTIFICATE found');
  const certificates = blocks.map((b, i) => {
    try {
      return { rawBytes: new X509Certificate(b.pem).raw.toString('base64') };
    } catch (err) {
      throw chainField.error(`invalid certificate ${i + 1}: ${(err as Error).message}`);
    }
  });
  return {
    subject: { organization: f.at('subject').at('organization').string() ?? '', commonName: f.at('subject').at('commonName').string() ?? '' },
    uri: f.at('uri').string() ?? '',
    certChain: { certificates },
    validFor: EPOCH,
  };
}

function keyDetails(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') {
    if (d?.namedCurve === 'prime256v1') return 'PKIX_ECDSA_P256_SHA_256';
    if (d?.namedCurve === 'secp384r1') return 'PKIX_ECDSA_P384_SHA_384';
    if (d?.namedCurve === 'secp521r1') return 'PKIX_ECDSA_P521_SHA_512';
  }
  if (key.asymmetricKeyType === 'ed25519') return 'PKIX_ED25519';
  if (key.asymmetricKeyType === 'rsa') return `PKIX_RSA_PKCS1V15_${d?.modulusLength ?? 2048}_SHA256`;
  return 'PUBLIC_KEY_DETAILS_UNSPECIFIED';
}
