// Sigstore bundles (v0.1–v0.3: cosign v3 OCI referrers, sign-blob --bundle):
// @sigstore/verify checks tlog entries (SET, inclusion proof, checkpoint), RFC 3161
// timestamps, the certificate chain and SCTs, and the signature; this adds the
// policy (key, identity, extensions) and, for DSSE, the in-toto subject digest.

import { createHash, X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { dsse, X509Certificate } from '@sigstore/core';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import type { CertificateRequirement } from '../policy/model.js';
import { certificatePolicy, certificateFacts, describeFacts } from './certificate.js';
import { parseStrictJson } from './strict-json.js';
import { parseEnvelope, parseStatement, subjectMatches, type Envelope, type Statement } from './dsse.js';
import { verifyRawSignature, type HashAlgorithm } from './raw-signature.js';
import { describeKey } from './keys.js';
import type { SigstoreTrust } from './sigstore-trust.js';

export const BUNDLE_ARTIFACT_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** The predicate cosign v3 `sign` uses for image signatures (kept apart from attestations). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

export type BundleSigner =
  | { kind: 'key'; keys: readonly KeyObject[]; tlog: 'require' | 'ignore'; /** The policy's hash (default sha256). */ hash?: HashAlgorithm }
  | { kind: 'certificate'; requirement: CertificateRequirement };

export interface BundleInput {
  /** The bundle JSON, parsed or as bytes. */
  bundle: unknown;
  /** Message-signature bundles: the signed artifact. */
  artifact?: Uint8Array;
  /** DSSE bundles: a subject of the in-toto statement must carry this digest (`sha256:<hex>`). */
  subjectDigest?: string;
  signer: BundleSigner;
  trust: SigstoreTrust;
}

export interface BundleCheck {
  ok: boolean;
  reason?: string;
  /** Who signed (key description or certificate identity). */
  signer?: string;
  /** DSSE bundles: the envelope and its statement (verified when ok). */
  envelope?: Envelope;
  statement?: Statement;
}

/**
 * cosign 3 signs a DSSE envelope with the hash its key implies (P-384: SHA-384, P-521: SHA-512;
 * cosign v3.1.3 #5019), where @sigstore/verify always checks SHA-256. The policy's hash decides,
 * as Kyverno and policy-controller load the key with it: the envelope's signature is checked over
 * PAE with that hash when it is not SHA-256 (a P-384 key wants `hashAlgorithm: sha384`).
 */
function withKeyHash<E extends { signature: { verifySignature(key: KeyObject): boolean } }>(entity: E, hash: HashAlgorithm | undefined, envelope: Envelope | undefined): E {
  if (!hash || hash === 'sha256' || !envelope) return entity;
  const pae = dsse.preAuthEncoding(envelope.payloadType, envelope.payload);
  return { ...entity, signature: { ...entity.signature, verifySignature: (k: KeyObject) => envelope.signatures.some((s) => verifyRawSignature(k, pae, s.sig, hash)) } };
}

/** Parses bundle JSON (bytes, text or object) into a validated Bundle, or why it is not one. */
export function parseBundle(input: unknown): Bundle | string {
  let doc = input;
  try {
    // A member given twice is refused (cosign 3.1.6): the envelope inside must not be read two ways.
    if (input instanceof Uint8Array) doc = parseStrictJson(Buffer.from(input).toString('utf8'));
    else if (typeof input === 'string') doc = parseStrictJson(input);
    return bundleFromJSON(doc);
  } catch (err) {
    return `not a valid Sigstore bundle: ${(err as Error).message}`;
  }
}

/** The statement of a DSSE bundle without verifying anything: for sorting signatures from attestations. */
export function peekStatement(bundle: Bundle): Statement | undefined {
  if (bundle.content.$case !== 'dsseEnvelope') return undefined;
  const env = bundle.content.dsseEnvelope;
  const s = parseStatement({ payloadType: env.payloadType, payload: Buffer.from(env.payload), signatures: [] });
  return typeof s === 'string' ? undefined : s;
}

export function verifySigstoreBundle(input: BundleInput): BundleCheck {
  const bundle = parseBundle(input.bundle);
  if (typeof bundle === 'string') return { ok: false, reason: bundle };

  let envelope: Envelope | undefined;
  let statement: Statement | undefined;
  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    envelope = { payloadType: env.payloadType, payload: Buffer.from(env.payload), signatures: env.signatures.map((s) => ({ keyid: s.keyid, sig: Buffer.from(s.sig) })) };
    if (input.subjectDigest !== undefined) {
      const s = parseEnvelopeStatement(envelope);
      if (typeof s === 'string') return { ok: false, reason: s };
      statement = s;
      if (!subjectMatches(s, input.subjectDigest)) return { ok: false, reason: `the statement's subject is not ${input.subjectDigest}` };
    }
  }

  let entity;
  try {
    entity = toSignedEntity(bundle, input.artifact === undefined ? undefined : Buffer.from(input.artifact));
  } catch (err) {
    return { ok: false, reason: `the bundle is not usable: ${(err as Error).message}` };
  }

  const { signer } = input;
  if (signer.kind === 'key') {
    if (entity.key.$case !== 'public-key') return { ok: false, reason: 'the bundle is signed with a certificate, the policy wants a key' };
    // cosign --insecure-ignore-tlog (Kyverno rekor.ignoreTlog) does not look at the log entries at all.
    if (signer.tlog === 'ignore') entity = { ...entity, tlogEntries: [], timestamps: entity.timestamps.filter((ts) => ts.$case !== 'transparency-log') };
    const failures: string[] = [];
    for (const key of signer.keys) {
      const trust = { ...input.trust, publicKey: () => ({ publicKey: key, validFor: () => true }) };
      try {
        new Verifier(trust, { tlogThreshold: signer.tlog === 'require' ? 1 : 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(withKeyHash(entity, signer.hash, envelope));
        return { ok: true, signer: describeKey(key), ...(envelope && { envelope }), ...(statement && { statement }) };
      } catch (err) {
        failures.push(explain(err));
      }
    }
    const sigFailed = failures.every((f) => /signature/i.test(f));
    return { ok: false, reason: sigFailed ? 'signed by an untrusted key (no policy key verifies the bundle)' : (failures[0] ?? 'the policy names no key') };
  }

  if (entity.key.$case !== 'certificate') return { ok: false, reason: 'the bundle is signed with a key, the policy wants a certificate' };
  const req = signer.requirement;
  try {
    new Verifier(input.trust, {
      tlogThreshold: req.tlog === 'require' ? 1 : 0,
      ctlogThreshold: req.sct === 'require' ? 1 : 0,
      // A certificate is only meaningful at a verified time (tlog entry or RFC 3161 timestamp).
      timestampThreshold: 1,
    }).verify(entity);
  } catch (err) {
    return { ok: false, reason: explain(err) };
  }
  const der = entity.key.certificate.root.toDER();
  const leaf = X509Certificate.parse(Buffer.from(der));
  const node = new NodeX509(der);
  const policy = certificatePolicy(leaf, node, req);
  if (!policy.ok) return { ok: false, reason: policy.reason ?? 'the certificate does not satisfy the policy' };
  return { ok: true, signer: policy.identity ?? describeFacts(certificateFacts(leaf, node)), ...(envelope && { envelope }), ...(statement && { statement }) };
}

function parseEnvelopeStatement(env: Envelope): Statement | string {
  return parseStatement(env);
}

/** @sigstore/verify's errors, as a deployer reads them. */
function explain(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { message?: string } };
  const detail = e.cause?.message ? `: ${e.cause.message}` : '';
  switch (e.code) {
    case 'TLOG_MISSING_INCLUSION_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR':
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_BODY_ERROR':
    case 'TLOG_ERROR':
      return `the transparency-log entry does not verify (${e.message}${detail})`;
    case 'CERTIFICATE_ERROR':
      return `the signing certificate is not trusted (${e.message}${detail})`;
    case 'TIMESTAMP_ERROR':
      return `no trusted signing time (${e.message}${detail})`;
    case 'SIGNATURE_ERROR':
      return `the signature does not verify (${e.message})`;
    default:
      return `${e.message ?? String(err)}${detail}`;
  }
}

/** sha256 of bytes as `sha256:<hex>`. */
export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export { parseEnvelope };
