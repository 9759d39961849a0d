// Checks one raw signature over raw bytes with one public key. A cosign `.sig`
// layer carries no algorithm, so every scheme cosign (or sigstore-go, skopeo)
// may have used for the key's type is tried.

import { constants, verify as nodeVerify, type KeyObject } from 'node:crypto';

export type HashAlgorithm = 'sha224' | 'sha256' | 'sha384' | 'sha512';

const HASH_BYTES: Record<HashAlgorithm, number> = { sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

/**
 * Whether `signature` over `data` verifies with `key` and the policy's hash (never one implied by
 * the curve: Kyverno and policy-controller load the key with the policy's hashAlgorithm, default
 * sha256, so cosign 3's P-384/SHA-384 signatures fail there unless the policy says sha384 —
 * `kyverno apply` in test/reference/cosign.test.ts): ECDSA (DER), RSA PKCS#1 v1.5 or PSS,
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
      return attempt(() => nodeVerify(hash, data, { key, dsaEncoding: 'der' }, signature));
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
