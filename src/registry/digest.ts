// Content addressing: every byte the client returns is hashed and compared
// with the digest that named it.
import { createHash } from 'node:crypto';
import { RegistryError } from './types.js';

const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(reference: string): boolean {
  return DIGEST.test(reference);
}

/** `sha256:<hex>` (or sha512) of `bytes`, using the algorithm of `like` when given. */
export function digestOf(bytes: Uint8Array, like = 'sha256:'): string {
  const alg = like.startsWith('sha512:') ? 'sha512' : 'sha256';
  return `${alg}:${createHash(alg).update(bytes).digest('hex')}`;
}

/** Throws DIGEST_MISMATCH unless `bytes` hash to `expected`. Returns the digest. */
export function checkDigest(bytes: Uint8Array, expected: string, what: string): string {
  if (!isDigest(expected)) {
    throw new RegistryError('PROTOCOL', `${what}: unsupported digest ${JSON.stringify(expected.slice(0, 80))}`);
  }
  const actual = digestOf(bytes, expected);
  if (actual !== expected) {
    throw new RegistryError('DIGEST_MISMATCH', `${what}: content hashes to ${actual}, expected ${expected}`);
  }
  return actual;
}
