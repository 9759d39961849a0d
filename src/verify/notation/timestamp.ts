// RFC 3161 countersignatures on Notation envelopes (tspclient-go semantics): the token's
// messageImprint covers the raw signature bytes, its signer chains to a `tsa:` trust store
// certificate and is valid at genTime (an expired TSA leaf is fine), and carries the
// timeStamping EKU. Parsed with @sigstore/core's ASN.1 and RFC 3161 classes.

import { X509Certificate } from 'node:crypto';
import { ASN1Obj, RFC3161Timestamp } from '@sigstore/core';
import { validityProblem } from './x509.js';

const EKU_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';

export interface VerifiedTimestamp {
  genTime: Date;
  /** genTime ± accuracy: the signing time lies in [earliest, latest]. */
  earliest: Date;
  latest: Date;
  /** TSA signer first, up to the trusted certificate. */
  chain: X509Certificate[];
}

/** The verified timestamp, or why it cannot be trusted (in words). */
export function verifyTimestamp(token: Uint8Array, signature: Uint8Array, tsaRoots: readonly X509Certificate[]): VerifiedTimestamp | string {
  let ts: RFC3161Timestamp;
  try {
    ts = RFC3161Timestamp.parse(asTimestampResponse(token));
  } catch (err) {
    return `the timestamp countersignature does not parse (${(err as Error).message})`;
  }
  const genTime = ts.tstInfo.genTime;
  const embedded = tokenCertificates(ts);
  const signer = embedded.find((c) => sameSerial(c.serialNumber, ts.signerSerialNumber) && c.raw.includes(ts.signerIssuer));
  if (!signer) return 'the timestamp does not carry its signing certificate';
  try {
    ts.verify(Buffer.from(signature), signer.publicKey);
  } catch (err) {
    return `the timestamp does not verify: ${(err as Error).message} (it must countersign this signature)`;
  }
  if (tsaRoots.length === 0) return 'no trusted TSA certificate found (the trust policy names no tsa: store with certificates)';
  const chain = chainTo(signer, embedded, tsaRoots);
  if (!chain) return `the timestamp's signer (${dn(signer)}) does not chain to a certificate of the tsa: trust store`;
  if (!(signer.keyUsage ?? []).includes(EKU_TIME_STAMPING)) return `the timestamp's signer (${dn(signer)}) lacks the timeStamping extended key usage`;
  const invalid = validityProblem(chain, genTime, 'timestamp time');
  if (invalid) return `the TSA chain is not valid when the timestamp was made: ${invalid}`;
  const accuracy = accuracyMs(ts);
  return { genTime, earliest: new Date(genTime.getTime() - accuracy), latest: new Date(genTime.getTime() + accuracy), chain };
}

/** @sigstore/core reads a TimeStampResp; Notation stores the bare token: wrap it with status granted. */
function asTimestampResponse(token: Uint8Array): Buffer<ArrayBuffer> {
  const status = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]);
  const body = Buffer.concat([status, Buffer.from(token)]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]) as Buffer<ArrayBuffer>;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** SignedData.certificates ([0] IMPLICIT SET OF Certificate). */
function tokenCertificates(ts: RFC3161Timestamp): X509Certificate[] {
  const token = ts.root.subs[1];
  const signedData = token?.subs.find((s) => s.tag.isContextSpecific(0))?.subs[0];
  const set = signedData?.subs.find((s) => s.tag.isContextSpecific(0));
  const out: X509Certificate[] = [];
  for (const cert of set?.subs ?? []) {
    try {
      out.push(new X509Certificate(cert.toDER()));
    } catch {
      // not a certificate (attribute certificates are allowed there): ignored
    }
  }
  return out;
}

/** signer → … → a certificate equal to or issued by a trusted one, through the token's certificates. */
function chainTo(signer: X509Certificate, pool: readonly X509Certificate[], roots: readonly X509Certificate[]): X509Certificate[] | undefined {
  const chain = [signer];
  for (let depth = 0; depth < 10; depth++) {
    const top = chain.at(-1)!;
    if (roots.some((r) => r.raw.equals(top.raw))) return chain;
    const root = roots.find((r) => top.issuer === r.subject && top.verify(r.publicKey));
    if (root) return [...chain, root];
    const next = pool.find((c) => !chain.includes(c) && top.issuer === c.subject && c.ca && top.verify(c.publicKey));
    if (!next) return undefined;
    chain.push(next);
  }
  return undefined;
}

/** TSTInfo.accuracy (seconds, [0] millis, [1] micros) in milliseconds; 0 when absent. */
function accuracyMs(ts: RFC3161Timestamp): number {
  const accuracy = ts.tstInfo.root.subs.find((s: ASN1Obj, i: number) => i > 4 && s.tag.number === 16 && !s.tag.isContextSpecific());
  if (!accuracy) return 0;
  let ms = 0;
  for (const part of accuracy.subs) {
    const value = Number(part.value.reduce((acc, b) => acc * 256n + BigInt(b), 0n));
    if (part.tag.isContextSpecific(0)) ms += value;
    else if (part.tag.isContextSpecific(1)) ms += value / 1000;
    else ms += value * 1000;
  }
  return ms;
}

function sameSerial(hex: string, serial: Buffer): boolean {
  const strip = (s: string) => s.toLowerCase().replace(/^0+/, '');
  return strip(hex) === strip(serial.toString('hex'));
}

function dn(cert: X509Certificate): string {
  return cert.subject.split('\n').join(', ');
}
