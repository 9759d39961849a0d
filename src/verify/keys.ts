// Public keys as policies write them: one or several PEM blocks in one string.

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Splits a PEM text into its blocks; text outside blocks is ignored, as Go's pem.Decode does. */
export function splitPem(text: string): { type: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ type: m[1]!, pem: m[0] }));
}

/** Parses one PEM public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`); throws with the reason. */
export function loadPublicKey(pem: string): KeyObject {
  const key = createPublicKey({ key: pem, format: 'pem' });
  if (key.type !== 'public') throw new Error(`not a public key (${key.type})`);
  return key;
}

/**
 * Every public key in a PEM text, in order. Throws when there is none or one does not parse:
 * a policy holding a broken key is a configuration error, not a failed verification.
 */
export function parsePublicKeys(text: string): string[] {
  const blocks = splitPem(text).filter((b) => b.type === 'PUBLIC KEY' || b.type === 'RSA PUBLIC KEY');
  if (blocks.length === 0) throw new Error('no PEM public key found');
  return blocks.map((b, i) => {
    try {
      loadPublicKey(b.pem);
    } catch (err) {
      throw new Error(`public key ${i + 1}: ${(err as Error).message}`, { cause: err });
    }
    return b.pem;
  });
}

/** A short, stable name for a key in explanations: algorithm and SHA-256 fingerprint prefix. */
const described = new WeakMap<KeyObject, string>();

export function describeKey(key: KeyObject): string {
  let text = described.get(key);
  if (text === undefined) {
    text = describe(key);
    described.set(key, text);
  }
  return text;
}

function describe(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  const fp = createHashHex(der).slice(0, 16);
  const details = key.asymmetricKeyDetails;
  const alg =
    key.asymmetricKeyType === 'ec'
      ? `ECDSA ${details?.namedCurve ?? ''}`.trim()
      : key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss'
        ? `RSA-${details?.modulusLength ?? '?'}`
        : (key.asymmetricKeyType ?? 'unknown');
  return `${alg} key sha256:${fp}`;
}

function createHashHex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
