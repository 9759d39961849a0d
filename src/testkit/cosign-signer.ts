// Test/demo/bench tooling: a cosign-COMPATIBLE signer for legacy `.sig`
// signatures, so tests exercise real registry bytes. Never used by the CLI.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { json } from '@sigstore/core';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { getManifest, OCI_CONFIG, OCI_MANIFEST, pushBlob, pushManifest, sha256Digest, type PushOptions } from './oci-push.js';

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa' | 'ed25519';

export interface TestKeyPair {
  alg: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PEM `PUBLIC KEY` (PKIX), as `cosign generate-key-pair` writes cosign.pub. */
  publicKeyPem: string;
}

export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';

export function generateKeyPair(alg: KeyAlgorithm = 'ecdsa-p256'): TestKeyPair {
  const pair =
    alg === 'ecdsa-p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'ecdsa-p384'
        ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
        : alg === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : generateKeyPairSync('ed25519');
  return { alg, ...pair, publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Go `json.Marshal`: object keys of maps sorted, `<>&` and U+2028/2029 escaped, no whitespace. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value)
      .replace(/[<>&\u2028\u2029\b\f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${goJson(k)}:${goJson(v)}`).join(',')}}`;
}

/**
 * The exact simple-signing payload cosign signs (sigstore/sigstore payload.go):
 * struct fields in declaration order, `optional` null or the annotation map.
 */
export function simpleSigningPayload(dockerReference: string, digest: string, annotations?: Record<string, unknown>): string {
  const optional = annotations && Object.keys(annotations).length > 0 ? goJson(annotations) : 'null';
  return (
    `{"critical":{"identity":{"docker-reference":${goJson(dockerReference)}},` +
    `"image":{"docker-manifest-digest":${goJson(digest)}},"type":"cosign container image signature"},` +
    `"optional":${optional}}`
  );
}

/** Signs sha256(payload): ECDSA ASN.1/DER, RSA PKCS#1 v1.5, Ed25519 (pure, or Ed25519ph as cosign ≥ 2.6). */
export function signPayload(key: TestKeyPair, payload: Uint8Array, opts: { ed25519ph?: boolean } = {}): Buffer {
  if (key.alg === 'ed25519') {
    if (!opts.ed25519ph) return sign(null, payload, key.privateKey);
    const seed = Buffer.from(key.privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
    return Buffer.from(ed25519ph.sign(payload, seed));
  }
  return sign('sha256', payload, key.privateKey);
}

export interface RekorKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  /** hex sha256 of the DER SPKI: how cosign bundles name the log. */
  logID: string;
}

/** An ECDSA P-256 key standing in for a Rekor log's signing key. */
export function makeRekorKey(): RekorKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    logID: createHash('sha256').update(der).digest('hex'),
  };
}

export interface RekorSigning {
  privateKey: KeyObject;
  logID: string;
  integratedTime?: number;
  logIndex?: number;
}

/** The `dev.sigstore.cosign/bundle` value: a SET over the JCS-canonical Payload with a hashedrekord body. */
export function rekorBundle(rekor: RekorSigning, signedPayload: Uint8Array, signatureB64: string, publicKeyPem: string): string {
  const body = json.canonicalize({
    apiVersion: '0.0.1',
    kind: 'hashedrekord',
    spec: {
      data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(signedPayload).digest('hex') } },
      signature: { content: signatureB64, publicKey: { content: Buffer.from(publicKeyPem).toString('base64') } },
    },
  });
  // Field order of cosign's Go struct; canonicalisation only matters for the SET.
  const Payload = {
    body: Buffer.from(body).toString('base64'),
    integratedTime: rekor.integratedTime ?? Math.floor(Date.now() / 1000),
    logIndex: rekor.logIndex ?? 1,
    logID: rekor.logID,
  };
  const set = sign('sha256', Buffer.from(json.canonicalize(Payload)), rekor.privateKey).toString('base64');
  return JSON.stringify({ SignedEntryTimestamp: set, Payload });
}

export interface SignImageOptions extends PushOptions {
  /** `host[:port]` (or `http://host:port`) of the registry. */
  registry: string;
  repo: string;
  /** The image digest whose `sha256-<hex>.sig` tag receives the signature. */
  digest: string;
  key: TestKeyPair;
  /** `-a k=v` annotations: go into the payload's `optional`. */
  annotations?: Record<string, string>;
  /** Push signatures to another repository (COSIGN_REPOSITORY). */
  signatureRepo?: string;
  /** Corrupt the signature bytes, or push a payload other than the one signed. */
  tamper?: 'signature' | 'payload';
  /** Sign a payload naming this digest instead of `digest` (a signature copied from another image). */
  payloadDigest?: string;
  /** Override `critical.identity.docker-reference` (default `<registry>/<repo>`). */
  dockerReference?: string;
  /** Ed25519 keys: sign as Ed25519ph, like cosign ≥ 2.6. */
  ed25519ph?: boolean;
  rekor?: RekorSigning;
  /** Rewrite the payload text before it is signed (a validly signed odd payload: duplicate members…). */
  editPayload?: (json: string) => string;
}

export interface SignedImage {
  /** `sha256-<hex>.sig` */
  tag: string;
  signatureRepo: string;
  /** Digest of the `.sig` manifest after this push. */
  manifestDigest: string;
  /** The layer blob as pushed (differs from what was signed with tamper: 'payload'). */
  payload: Buffer;
  /** Base64 signature as in the annotation. */
  signature: string;
  layer: { mediaType: string; digest: string; size: number; annotations: Record<string, string> };
  /** Number of signature layers in the `.sig` manifest now. */
  layerCount: number;
}

/** The cosign signature tag for an image digest: `sha256:<hex>` → `sha256-<hex>.sig`. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/** Signs like `cosign sign --key`: appends one layer to the `.sig` manifest (read-modify-write). */
export async function signImage(opts: SignImageOptions): Promise<SignedImage> {
  const signatureRepo = opts.signatureRepo ?? opts.repo;
  const host = opts.registry.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
  const written = simpleSigningPayload(opts.dockerReference ?? `${host}/${opts.repo}`, opts.payloadDigest ?? opts.digest, opts.annotations);
  const signed = Buffer.from(opts.editPayload ? opts.editPayload(written) : written);
  let signature = signPayload(opts.key, signed, { ed25519ph: opts.ed25519ph });
  if (opts.tamper === 'signature') {
    signature = Buffer.from(signature);
    signature[signature.length - 1]! ^= 0x01;
  }
  const pushed =
    opts.tamper === 'payload' ? Buffer.from(signed.toString('utf8').replace('"optional":', '"optional":{"tampered":"yes"},"x":')) : signed;
  const b64 = signature.toString('base64');
  const annotations: Record<string, string> = { [SIGNATURE_ANNOTATION]: b64 };
  if (opts.rekor) annotations[BUNDLE_ANNOTATION] = rekorBundle(opts.rekor, signed, b64, opts.key.publicKeyPem);

  const layerDigest = await pushBlob(opts.registry, signatureRepo, pushed, opts);
  const layer = { mediaType: SIMPLE_SIGNING, size: pushed.length, digest: layerDigest, annotations };
  const tag = signatureTag(opts.digest);
  const existing = await getManifest(opts.registry, signatureRepo, tag, opts);
  const layers = [...((existing?.json['layers'] as unknown[] | undefined) ?? []), layer] as { digest: string }[];
  // cosign's empty-image config: only rootfs.diff_ids carries information.
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: [{ created: '0001-01-01T00:00:00Z' }],
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
  await pushBlob(opts.registry, signatureRepo, config, opts);
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, size: config.length, digest: sha256Digest(config) },
    layers,
  };
  const manifestDigest = await pushManifest(opts.registry, signatureRepo, tag, manifest, OCI_MANIFEST, opts);
  return { tag, signatureRepo, manifestDigest, payload: pushed, signature: b64, layer, layerCount: layers.length };
}

/** `cosign generate-key-pair`'s private key: PKCS#8 DER sealed with scrypt + nacl/secretbox under `password`. */
export async function encryptCosignKey(privateKey: KeyObject, password: string): Promise<string> {
  const { randomBytes, scryptSync } = await import('node:crypto');
  const { secretbox } = await import('@noble/ciphers/salsa.js');
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const params = { N: 32768, r: 8, p: 1 };
  const key = scryptSync(password, salt, 32, { ...params, maxmem: 64 * 1024 * 1024 });
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const ciphertext = secretbox(key, nonce).seal(der);
  const json = JSON.stringify({
    kdf: { name: 'scrypt', params, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  });
  const body = Buffer.from(json).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${body.trim()}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
}
