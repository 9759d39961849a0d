// Checks one raw signature over raw bytes with one public key. A cosign `.sig`
// layer carries no algorithm, so every scheme cosign (or sigstore-go, skopeo)
// may have used for the key's type is tried.

import { constants, verify as nodeVerify, type KeyObject } from 'node:crypto';

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
 * Ed25519 pure only: cosign ≥ 2.6 signs with Ed25519ph, but `cosign verify --key` (3.1.4 and 2.6.5,
 * hence Kyverno) checks pure Ed25519 and refuses those signatures — and so does this gate
 * (test/reference/cosign.test.ts). Never throws on malformed input.
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
      return attempt(() => nodeVerify(null, data, key, signature));
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

function attempt(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
