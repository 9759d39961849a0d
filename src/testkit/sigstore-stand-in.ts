// Test/demo/bench tooling: a Fulcio + Rekor + CT log stand-in built from
// @sigstore/mock's building blocks (real X.509 certificates with embedded SCTs,
// real SETs and checkpoints), with its trusted_root.json. In-process: nothing
// listens, nothing is intercepted. Never used by the CLI.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { ASN1Obj, RFC3161Timestamp } from '@sigstore/core';
import { createRequire } from 'node:module';
import { X509Certificate } from 'node:crypto';

export const FULCIO_OID = '1.3.6.1.4.1.57264.1';

export interface IssueOptions {
  /** The SAN (a URI or e-mail; @sigstore/mock writes it as a URI SAN). */
  subject: string;
  /** OIDC issuer: written to .1.8 (DER) and .1.1 (raw), as Fulcio does. */
  issuer?: string;
  /** More Fulcio extensions, e.g. { '1.3.6.1.4.1.57264.1.2': 'push' } (raw for .1.2–.1.6, DER otherwise). */
  extensions?: Record<string, string>;
}

export interface IssuedCertificate {
  certificatePem: string;
  certificateDer: Buffer;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A Rekor v1 entry: what cosign stores in its bundle annotation and what a Sigstore bundle carries. */
export interface LoggedEntry {
  /** The `dev.sigstore.cosign/bundle` annotation value. */
  cosignBundle: string;
  /** A Sigstore bundle `tlogEntries[]` item (SET + inclusion proof + checkpoint). */
  tlogEntry: Record<string, unknown>;
}

export interface SigstoreStandIn {
  /** trusted_root.json text trusting this stand-in's CA, Rekor and CT log. */
  trustedRootJson: string;
  fulcioRootPem: string;
  rekorPublicKeyPem: string;
  ctlogPublicKeyPem: string;
  /** A short-lived (10 min) ECDSA P-256 code-signing certificate for a fresh key. */
  issue(opts: IssueOptions): Promise<IssuedCertificate>;
  /** Logs a Rekor entry body (stored verbatim) at `at` (default now). */
  log(body: object, at?: Date): Promise<LoggedEntry>;
  /** An RFC 3161 timestamp over `data` from the stand-in TSA: the `dev.sigstore.cosign/rfc3161timestamp` value. */
  timestamp(data: Uint8Array): Promise<string>;
}

type Mock = typeof import('@sigstore/mock');

export interface StandInOptions {
  /** Issue certificates without an embedded SCT (tests of `sct: require`). */
  withoutSct?: boolean;
}

const REKOR_URL = 'https://rekor.stand-in.test';

/** Creates a fresh CA (self-signed root), CT log and Rekor, each with its own P-256 key. */
export async function createSigstoreStandIn(opts: StandInOptions = {}): Promise<SigstoreStandIn> {
  // @sigstore/mock is a CommonJS devDependency: loaded only by tests.
  const mock = createRequire(import.meta.url)('@sigstore/mock') as Mock;
  const ec = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ctKeys = ec();
  const rekorKeys = ec();
  const caKeys = ec();
  // The SCT is added here, not by the mock CA: @sigstore/mock 0.11's SCT encoding comes out
  // unsigned with the pkijs this project resolves, so we embed an RFC 6962 SCT ourselves.
  const ca = await mock.initializeCA(caKeys);
  const tsa = await mock.initializeTSA(ec());
  const rootDer = ca.rootCertificate;
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  const ctLogId = createHash('sha256').update(spki(ctKeys.publicKey)).digest();
  const rekorLogId = createHash('sha256').update(spki(rekorKeys.publicKey)).digest();
  const start = '2000-01-01T00:00:00Z';
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: REKOR_URL,
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: spki(rekorKeys.publicKey).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: rekorLogId.toString('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
        uri: 'https://fulcio.stand-in.test',
        certChain: { certificates: [{ rawBytes: rootDer.toString('base64') }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: 'https://ctfe.stand-in.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: spki(ctKeys.publicKey).toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
        logId: { keyId: ctLogId.toString('base64') },
      },
    ],
    timestampAuthorities: [
      {
        subject: { organization: 'sigstore.mock', commonName: 'tsa' },
        uri: 'https://tsa.stand-in.test',
        certChain: { certificates: [{ rawBytes: tsa.intCertificate.toString('base64') }, { rawBytes: tsa.rootCertificate.toString('base64') }] },
        validFor: { start },
      },
    ],
  };

  return {
    trustedRootJson: JSON.stringify(trustedRoot),
    fulcioRootPem: new X509Certificate(rootDer).toString(),
    rekorPublicKeyPem: rekorKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    ctlogPublicKeyPem: ctKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    async issue(o) {
      const keys = ec();
      const extensions = Object.entries(o.extensions ?? {}).map(([oid, value]) => ({ oid, value, legacy: /^1\.3\.6\.1\.4\.1\.57264\.1\.[1-6]$/.test(oid) }));
      if (o.issuer !== undefined) {
        extensions.push({ oid: `${FULCIO_OID}.1`, value: o.issuer, legacy: true }, { oid: `${FULCIO_OID}.8`, value: o.issuer, legacy: false });
      }
      const precert = await ca.issueCertificate({ publicKey: spki(keys.publicKey), subjectAltName: o.subject, extensions });
      const der = opts.withoutSct ? precert : embedSct(precert, { caKeys, ctKeys: ctKeys.privateKey, ctLogId });
      return { certificatePem: new X509Certificate(der).toString(), certificateDer: der, privateKey: keys.privateKey, publicKey: keys.publicKey };
    },
    async timestamp(data) {
      const artifactHash = createHash('sha256').update(data).digest();
      // The mock writes genTime's milliseconds without trailing zeros (".5"), which
      // sigstore-js (like real TSAs' consumers) does not read: draw again until the
      // token is well-formed, so a test never depends on the clock's last digit.
      let der = await tsa.timestamp({ artifactHash, hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', nonce: 1, policyOID: '1.3.6.1.4.1.57264.2', certReq: true });
      for (let i = 0; i < 50 && !wellFormed(der); i++) {
        await new Promise((r) => setTimeout(r, 1));
        der = await tsa.timestamp({ artifactHash, hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', nonce: 1, policyOID: '1.3.6.1.4.1.57264.2', certReq: true });
      }
      return JSON.stringify({ SignedRFC3161Timestamp: Buffer.from(der).toString('base64') });
    },
    async log(body, at) {
      const tlog = await mock.initializeTLog(REKOR_URL, rekorKeys, at);
      const entries = (await tlog.log(body)) as unknown as Record<string, RekorEntry>;
      const e = Object.values(entries)[0]!;
      const kind = body as { kind?: string; apiVersion?: string };
      const proof = e.verification.inclusionProof;
      return {
        cosignBundle: JSON.stringify({
          SignedEntryTimestamp: e.verification.signedEntryTimestamp,
          Payload: { body: e.body, integratedTime: e.integratedTime, logIndex: e.logIndex, logID: e.logID },
        }),
        tlogEntry: {
          logIndex: String(e.logIndex),
          logId: { keyId: Buffer.from(e.logID, 'hex').toString('base64') },
          kindVersion: { kind: kind.kind, version: kind.apiVersion },
          integratedTime: String(e.integratedTime),
          inclusionPromise: { signedEntryTimestamp: e.verification.signedEntryTimestamp },
          inclusionProof: {
            logIndex: String(proof.logIndex),
            rootHash: Buffer.from(proof.rootHash, 'hex').toString('base64'),
            treeSize: String(proof.treeSize),
            hashes: proof.hashes,
            checkpoint: { envelope: proof.checkpoint },
          },
          canonicalizedBody: e.body,
        },
      };
    },
  };
}

interface RekorEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification: {
    signedEntryTimestamp: string;
    inclusionProof: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string };
  };
}

/** DER length octets. */
function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const SCT_OID_DER = Buffer.from('060a2b06010401d679020402', 'hex'); // 1.3.6.1.4.1.11129.2.4.2

/**
 * Adds an RFC 6962 embedded SCT to a certificate and re-signs it with the CA key: the
 * SCT signs the precertificate TBS (the certificate without the SCT extension) with the
 * issuer key hash, exactly what verifiers rebuild.
 */
function embedSct(precert: Buffer, k: { caKeys: { privateKey: KeyObject; publicKey: KeyObject }; ctKeys: KeyObject; ctLogId: Buffer }): Buffer {
  const cert = ASN1Obj.parseBuffer(Buffer.from(precert));
  const tbs = cert.subs[0]!;
  const tbsDer = tbs.toDER();
  const issuerKeyHash = createHash('sha256').update(k.caKeys.publicKey.export({ type: 'spki', format: 'der' })).digest();
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigUInt64BE(BigInt(Date.now()));
  const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
  const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
  const signed = Buffer.concat([Buffer.from([0, 0]), timestamp, u16(1), issuerKeyHash, u24(tbsDer.length), tbsDer, u16(0)]);
  const sig = sign('sha256', signed, k.ctKeys);
  const sct = Buffer.concat([Buffer.from([0]), k.ctLogId, timestamp, u16(0), Buffer.from([4, 3]), u16(sig.length), sig]);
  const list = Buffer.concat([u16(sct.length + 2), u16(sct.length), sct]);
  const ext = der(0x30, SCT_OID_DER, der(0x04, der(0x04, list)));
  // TBS: version [0], serial, sigAlg, issuer, validity, subject, spki, [3] { SEQUENCE OF Extension }
  const parts = tbs.subs.map((s) => s.toDER());
  const extsIndex = tbs.subs.findIndex((s) => s.tag.isContextSpecific(3));
  const existing = tbs.subs[extsIndex]!.subs[0]!.subs.map((s) => s.toDER());
  parts[extsIndex] = der(0xa3, der(0x30, ...existing, ext));
  const newTbs = der(0x30, ...parts);
  const signature = sign('sha384', newTbs, k.caKeys.privateKey);
  return der(0x30, newTbs, cert.subs[1]!.toDER(), der(0x03, Buffer.from([0]), signature));
}

function wellFormed(der: Uint8Array): boolean {
  try {
    RFC3161Timestamp.parse(Buffer.from(der)).signingTime;
    return true;
  } catch {
    return false;
  }
}
