// A SET proves the log saw *a* body; this checks the body is about *this*
// signature (cosign VerifyBundle): same signature bytes, same key, same payload hash.

import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';

export interface RekorBodyExpectation {
  /** The raw signature bytes from the layer annotation. */
  signature: Uint8Array;
  /** The key that verified the signature. */
  key: KeyObject;
  /** The layer payload (what was signed). */
  payload: Uint8Array;
}

/**
 * Cross-checks a `hashedrekord` (cosign ≥ 1.4) or `rekord` (older) entry body.
 * Returns why it does not match, or undefined when it does.
 */
export function checkRekorBody(body: unknown, expect: RekorBodyExpectation): string | undefined {
  const kind = at(body, 'kind');
  if (kind !== 'hashedrekord' && kind !== 'rekord') {
    return `the transparency-log entry is of an unsupported kind (${String(kind).slice(0, 40)})`;
  }
  const sig = at(body, 'spec', 'signature', 'content');
  if (typeof sig !== 'string' || !Buffer.from(sig, 'base64').equals(Buffer.from(expect.signature))) {
    return 'the transparency-log entry records a different signature';
  }
  const logged = keyFromBody(at(body, 'spec', 'signature', 'publicKey', 'content'));
  if (!logged) return 'the transparency-log entry records no usable public key';
  const want = expect.key.export({ type: 'spki', format: 'der' });
  if (!logged.export({ type: 'spki', format: 'der' }).equals(want)) {
    return 'the transparency-log entry records a different signing key';
  }
  const payloadHash = createHash('sha256').update(expect.payload).digest('hex');
  const hash = at(body, 'spec', 'data', 'hash');
  if (hash !== undefined) {
    const value = at(hash, 'value');
    if (at(hash, 'algorithm') !== 'sha256' || typeof value !== 'string' || value.toLowerCase() !== payloadHash) {
      return 'the transparency-log entry records a different payload hash';
    }
    return undefined;
  }
  // Old rekord entries may carry the content itself instead of its hash.
  const content = at(body, 'spec', 'data', 'content');
  if (kind === 'rekord' && typeof content === 'string') {
    const h = createHash('sha256').update(Buffer.from(content, 'base64')).digest('hex');
    return h === payloadHash ? undefined : 'the transparency-log entry records a different payload';
  }
  return 'the transparency-log entry records no payload hash';
}

/** A field deep inside attacker-supplied JSON, or undefined. */
function at(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** `publicKey.content` is base64 of a PEM public key or certificate. */
function keyFromBody(content: unknown): KeyObject | undefined {
  if (typeof content !== 'string') return undefined;
  try {
    const pem = Buffer.from(content, 'base64').toString('utf8');
    return pem.includes('CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  } catch {
    return undefined;
  }
}
