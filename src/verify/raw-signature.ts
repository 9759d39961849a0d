// Checks one raw signature over raw bytes with one public key. A cosign `.sig`
// layer carries no algorithm, so every scheme cosign (or sigstore-go, skopeo)
// may have used for the key's type is tried.

import { constants, verify as nodeVerify, type KeyObject } from 'node:crypto';

type Ed25519ph = (typeof import('@noble/curves/ed25519.js'))['ed25519ph'];
let ed25519ph: Ed25519ph | undefined;

/**
 * Loads the Ed25519ph verifier. Only Ed25519 keys need it, so it is loaded on
 * demand (it costs ~25 ms of start-up); call before verifying with such keys.
 */
export async function loadEd25519ph(): Promise<void> {
  ed25519ph ??= (await import('@noble/curves/ed25519.js')).ed25519ph;
}

export type HashAlgorithm = 'sha224' | 'sha256' | 'sha384' | 'sha512';

const HASH_BYTES: Record<HashAlgorithm, number> = { sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

/** The hash sigstore-go pairs with each curve, tried besides the policy's own. */
const CURVE_HASH: Record<string, HashAlgorithm> = {
  prime256v1: 'sha256',
  secp384r1: 'sha384',
  secp521r1: 'sha512',
};

/**
 * Whether `signature` over `data` verifies with `key`: ECDSA (DER), RSA PKCS#1 v1.5 or PSS,
 * Ed25519 pure or Ed25519ph (cosign ≥ 2.6 signs with ph). Never throws on malformed input.
 */
export function verifyRawSignature(
  key: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  hash: HashAlgorithm,
): boolean {
  switch (key.asymmetricKeyType) {
    case 'ec':
      return ecdsaHashes(key, hash).some((h) =>
        attempt(() => nodeVerify(h, data, { key, dsaEncoding: 'der' }, signature)),
      );
    case 'rsa':
      return attempt(() => nodeVerify(hash, data, key, signature)) || verifyPss(key, data, signature, hash);
    case 'rsa-pss':
      return verifyPss(key, data, signature, hash);
    case 'ed25519':
      return attempt(() => nodeVerify(null, data, key, signature)) || verifyEd25519ph(key, data, signature);
    default:
      return false;
  }
}

function ecdsaHashes(key: KeyObject, hash: HashAlgorithm): HashAlgorithm[] {
  const natural = CURVE_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''];
  // Only the larger curves get their natural hash as a fallback: for P-256 the policy's choice stands.
  return natural && natural !== hash && natural !== 'sha256' ? [hash, natural] : [hash];
}

function verifyPss(key: KeyObject, data: Uint8Array, signature: Uint8Array, hash: HashAlgorithm): boolean {
  return [HASH_BYTES[hash], constants.RSA_PSS_SALTLEN_AUTO].some((saltLength) =>
    attempt(() =>
      nodeVerify(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature),
    ),
  );
}

function verifyEd25519ph(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') return false;
  const publicKey = Buffer.from(jwk.x, 'base64url');
  // zip215 off: strict RFC 8032 checks, as Go's crypto/ed25519 does.
  const ph = ed25519ph;
  if (!ph) throw new Error('Ed25519ph verifier not loaded: await loadEd25519ph() first');
  return attempt(() => ph.verify(signature, data, publicKey, { zip215: false }));
}

function attempt(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
