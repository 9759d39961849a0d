// cosign's `dev.sigstore.cosign/rfc3161timestamp` annotation: a TSA's signed time
// over the raw signature bytes (`.sig`) or the whole layer payload (`.att`),
// checked against the trusted timestamp authorities. Gives a trusted signing time.

import { RFC3161Timestamp } from '@sigstore/core';
import { verifyRFC3161Timestamp } from '@sigstore/verify/dist/timestamp/tsa.js';
import type { SigstoreTrust } from './sigstore-trust.js';

export const RFC3161_ANNOTATION = 'dev.sigstore.cosign/rfc3161timestamp';

/** The verified time, or why the timestamp is unusable. */
export function verifyRfc3161Annotation(annotation: string, data: Uint8Array, trust: SigstoreTrust): Date | string {
  let der: Buffer;
  try {
    const doc = JSON.parse(annotation) as { SignedRFC3161Timestamp?: unknown };
    if (typeof doc.SignedRFC3161Timestamp !== 'string') return 'the RFC 3161 timestamp annotation is malformed';
    der = Buffer.from(doc.SignedRFC3161Timestamp, 'base64');
  } catch {
    return 'the RFC 3161 timestamp annotation is not valid JSON';
  }
  if (trust.timestampAuthorities.length === 0) return 'the RFC 3161 timestamp cannot be checked: no trusted timestamp authority';
  try {
    const ts = RFC3161Timestamp.parse(Buffer.from(der));
    verifyRFC3161Timestamp(ts, Buffer.from(data), trust.timestampAuthorities);
    return ts.signingTime;
  } catch (err) {
    return `the RFC 3161 timestamp does not verify (${(err as Error).message})`;
  }
}
