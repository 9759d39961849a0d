// In-toto attestations (DSSE): legacy `sha256-<hex>.att` layers and Sigstore
// bundle referrers. Each piece of evidence is verified against ONE signer leaf
// (key or certificate); the engine combines signer leaves with evaluate() and
// then applies the conditions to the verified statements.

import { createHash, type KeyObject } from 'node:crypto';
import type { CertificateRequirement, KeyRequirement, SignerRequirement } from '../policy/model.js';
import { CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, trustFor } from './certificate-signature.js';
import { checkCertificate, parseCertificate } from './certificate.js';
import { DSSE_MEDIA_TYPE, parseEnvelope, parseStatement, subjectMatches, type Envelope, type Statement } from './dsse.js';
import { describeKey, loadPublicKey } from './keys.js';
import { REKOR_BUNDLE_ANNOTATION, verifyRekorSet } from './rekor-set.js';
import { RFC3161_ANNOTATION, verifyRfc3161Annotation } from './rfc3161.js';
import { verifyRawSignature } from './raw-signature.js';
import { parseBundle, peekStatement, verifySigstoreBundle } from './sigstore-bundle.js';
import { checkLayerAnnotations, layerAnnotationsReason } from './sig-payload.js';
import { sigstoreTrust, tlogKeys, type SigstoreTrust } from './sigstore-trust.js';
import { dsse } from '@sigstore/core';
import { tlogKeysFromPem } from './trusted-root.js';
import type { SignatureLayer } from './types.js';

export const PREDICATE_TYPE_ANNOTATION = 'predicateType';

/** One attestation as found in the registry, not yet verified. */
export type AttestationEvidence =
  | { source: 'layer'; index: number; layer: SignatureLayer; predicateType?: string }
  | { source: 'bundle'; index: number; bundle: Uint8Array; predicateType?: string };

export interface AttestationCheck {
  ok: boolean;
  reasons: string[];
  signer?: string;
  /** The verified statement (ok only). */
  statement?: Statement;
}

/** `.att` layers as evidence; the predicate type comes from the layer annotation (cosign writes it). */
export function layerEvidence(layers: readonly SignatureLayer[]): AttestationEvidence[] {
  return layers.map((layer, index) => {
    let predicateType = layer.annotations[PREDICATE_TYPE_ANNOTATION];
    if (!predicateType) {
      const env = parseEnvelope(layer.payload);
      const st = typeof env === 'string' ? env : parseStatement(env);
      if (typeof st !== 'string') predicateType = st.predicateType;
    }
    return { source: 'layer' as const, index, layer, ...(predicateType && { predicateType }) };
  });
}

/** Bundle blobs as evidence; the predicate type is read from the (unverified) statement. */
export function bundleEvidence(bundles: readonly { bytes: Uint8Array; predicateType?: string }[]): AttestationEvidence[] {
  return bundles.map((b, index) => {
    let predicateType = b.predicateType;
    const parsed = parseBundle(b.bytes);
    if (typeof parsed !== 'string') predicateType = peekStatement(parsed)?.predicateType ?? predicateType;
    return { source: 'bundle' as const, index, bundle: b.bytes, ...(predicateType && { predicateType }) };
  });
}

export function describeEvidence(e: AttestationEvidence): string {
  return e.source === 'layer' ? `attestation layer ${e.index + 1}` : `attestation bundle ${e.index + 1}`;
}

export interface VerifyAttestationInput {
  evidence: AttestationEvidence;
  signer: SignerRequirement;
  /** The image digest the statement's subject must name. */
  digest: string;
  /** For key signers: the trusted transparency logs (default: the public-good root's). */
  keyTrust?: SigstoreTrust;
  now?: Date;
}

/** Verifies one attestation with one signer leaf: envelope signature, subject, tlog, certificate. */
export function verifyAttestation(input: VerifyAttestationInput): AttestationCheck {
  const { evidence, signer } = input;
  try {
    // Kyverno ImageValidatingPolicy: cosign.annotations are looked for on the attestation's OCI layer.
    if (signer.annotationsOn === 'layer' && Object.keys(signer.annotations).length > 0) {
      if (evidence.source === 'bundle') throw new Error(layerAnnotationsReason(Object.entries(signer.annotations)));
      checkLayerAnnotations(evidence.layer.annotations, signer.annotations);
    }
    if (evidence.source === 'bundle') return viaBundle(evidence.bundle, input);
    return viaLayer(evidence.layer, input);
  } catch (err) {
    return { ok: false, reasons: [`${describeEvidence(evidence)}: ${(err as Error).message}`] };
  }
}

function viaBundle(bytes: Uint8Array, input: VerifyAttestationInput): AttestationCheck {
  const { signer } = input;
  let result;
  if (signer.kind === 'key') {
    const keys = signer.keys.map(loadPublicKey);
    const trust = signer.rekorPublicKeys?.length ? sigstoreTrust({ rekorPublicKeys: signer.rekorPublicKeys }) : (input.keyTrust ?? sigstoreTrust());
    result = verifySigstoreBundle({ bundle: bytes, subjectDigest: input.digest, signer: { kind: 'key', keys, tlog: signer.tlog, hash: signer.hashAlgorithm }, trust });
  } else {
    result = verifySigstoreBundle({ bundle: bytes, subjectDigest: input.digest, signer: { kind: 'certificate', requirement: signer }, trust: trustFor(signer) });
  }
  if (!result.ok) return { ok: false, reasons: [`${describeEvidence(input.evidence)}: ${result.reason}`] };
  if (!result.statement) return { ok: false, reasons: [`${describeEvidence(input.evidence)}: the bundle holds no in-toto statement`] };
  return { ok: true, reasons: [`signed by ${result.signer}`], ...(result.signer && { signer: result.signer }), statement: result.statement };
}

function viaLayer(layer: SignatureLayer, input: VerifyAttestationInput): AttestationCheck {
  const where = describeEvidence(input.evidence);
  const fail = (m: string): AttestationCheck => ({ ok: false, reasons: [`${where}: ${m}`] });
  if (layer.mediaType !== DSSE_MEDIA_TYPE) return fail(`not a DSSE attestation (media type ${JSON.stringify(layer.mediaType.slice(0, 60))})`);
  if (layer.digest !== `sha256:${createHash('sha256').update(layer.payload).digest('hex')}`) return fail('the attestation does not match its layer digest');
  const env = parseEnvelope(layer.payload);
  if (typeof env === 'string') return fail(env);
  const statement = parseStatement(env);
  if (typeof statement === 'string') return fail(statement);
  if (!subjectMatches(statement, input.digest)) return fail(`the statement's subject is not the image (${input.digest})`);

  const { signer } = input;
  const now = input.now ?? new Date();
  let key: KeyObject;
  let who: string;
  let certPem: string | undefined;
  if (signer.kind === 'key') {
    const found = signer.keys.map(loadPublicKey).find((k) => verifyEnvelopeHash(env, k, signer.hashAlgorithm));
    if (!found) return fail('signed by an untrusted key (no policy key verifies the envelope)');
    key = found;
    who = describeKey(found);
  } else {
    certPem = layer.annotations[CERTIFICATE_ANNOTATION];
    if (!certPem) return fail('signed with a key, not a certificate');
    const parsed = parseCertificate(certPem);
    if (!parsed) return fail('the signing certificate does not parse');
    key = parsed.node.publicKey;
    if (!verifyEnvelopeHash(env, key, 'sha256')) return fail("the envelope signature does not verify with its certificate's key");
    who = 'certificate';
  }

  // Transparency log: SET with the log chosen by logID, then the body must be about this envelope.
  const times: Date[] = [];
  const tlog = signer.tlog;
  const bundle = layer.annotations[REKOR_BUNDLE_ANNOTATION];
  let logged = '';
  if (bundle) {
    const trust = signer.kind === 'certificate' ? trustFor(signer) : (input.keyTrust ?? sigstoreTrust());
    const extra = signer.kind === 'key' && signer.rekorPublicKeys?.length ? tlogKeysFromPem(signer.rekorPublicKeys) : [];
    const set = verifyRekorSet(bundle, { tlogs: tlogKeys(trust) }, extra, now);
    const mismatch = set.ok ? checkAttestationBody(set.body, { envelopeJson: layer.payload, envelope: env, key }) : set.reason;
    if (mismatch) {
      if (tlog === 'require') return fail(mismatch);
    } else if (set.integratedTime !== undefined) {
      times.push(new Date(set.integratedTime * 1000));
      logged = `; logged in Rekor at ${times[0]!.toISOString()}`;
    }
  } else if (tlog === 'require') {
    return fail('no transparency-log entry (rekor bundle) on the attestation, and the policy requires one');
  }

  const stamp = layer.annotations[RFC3161_ANNOTATION];
  if (stamp && signer.kind === 'certificate') {
    // For `.att` layers (empty signature annotation) cosign timestamps the whole layer payload.
    const at = verifyRfc3161Annotation(stamp, layer.payload, trustFor(signer));
    if (typeof at === 'string') return fail(at);
    times.push(at);
  }

  if (signer.kind === 'certificate') {
    const cert = checkCertificate(certPem!, signer as CertificateRequirement, trustFor(signer), times, now, layer.annotations[CHAIN_ANNOTATION]);
    if (!cert.ok) return fail(cert.reason ?? 'the signing certificate is not trusted');
    who = cert.identity ?? who;
  }
  return { ok: true, reasons: [`${where}: signed by ${who}${logged}`], signer: who, statement };
}

function verifyEnvelopeHash(env: Envelope, key: KeyObject, hash: KeyRequirement['hashAlgorithm']): boolean {
  const pae = dsse.preAuthEncoding(env.payloadType, env.payload);
  return env.signatures.some((s) => s.sig.length > 0 && verifyRawSignature(key, pae, s.sig, hash));
}

/**
 * Cross-checks a Rekor body logged for an attestation: `intoto` 0.0.1 (cosign < 2.2:
 * envelope hash, payload hash, key), `intoto` 0.0.2, `dsse` 0.0.1 (payload hash,
 * signature, verifier). Returns why it does not match, or undefined.
 */
export function checkAttestationBody(
  body: unknown,
  expect: { envelopeJson: Uint8Array; envelope: Envelope; key: KeyObject },
): string | undefined {
  const b = body as { kind?: unknown; apiVersion?: unknown; spec?: Record<string, unknown> } | null;
  const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  const payloadHash = sha(expect.envelope.payload);
  const hashOf = (v: unknown) => {
    const h = v as { algorithm?: unknown; value?: unknown } | undefined;
    return h && h.algorithm === 'sha256' && typeof h.value === 'string' ? h.value.toLowerCase() : undefined;
  };
  const sameKey = (content: unknown) => keyMatches(content, expect.key);
  const spec = b?.spec ?? {};
  if (b?.kind === 'intoto' && b.apiVersion === '0.0.1') {
    const content = spec.content as Record<string, unknown> | undefined;
    if (hashOf(content?.hash) !== sha(expect.envelopeJson)) return 'the transparency-log entry records a different attestation (envelope hash)';
    if (hashOf(content?.payloadHash) !== payloadHash) return 'the transparency-log entry records a different statement (payload hash)';
    if (!sameKey(spec.publicKey)) return 'the transparency-log entry records a different signing key';
    return undefined;
  }
  if (b?.kind === 'intoto' && b.apiVersion === '0.0.2') {
    const content = spec.content as { payloadHash?: unknown; envelope?: { signatures?: { publicKey?: unknown }[] } } | undefined;
    if (hashOf(content?.payloadHash) !== payloadHash) return 'the transparency-log entry records a different statement (payload hash)';
    // intoto 0.0.2 double-base64-encodes the public key.
    const logged = (content?.envelope?.signatures ?? []).map((s) => s.publicKey);
    const decoded = logged.map((k) => (typeof k === 'string' ? Buffer.from(k, 'base64').toString('utf8') : undefined));
    if (!logged.some(sameKey) && !decoded.some(sameKey)) return 'the transparency-log entry records a different signing key';
    return undefined;
  }
  if (b?.kind === 'dsse' && b.apiVersion === '0.0.1') {
    if (hashOf(spec.payloadHash) !== payloadHash) return 'the transparency-log entry records a different statement (payload hash)';
    const sigs = (spec.signatures as { signature?: unknown; verifier?: unknown }[] | undefined) ?? [];
    const ours = new Set(expect.envelope.signatures.map((s) => s.sig.toString('base64')));
    if (!sigs.some((s) => typeof s.signature === 'string' && ours.has(s.signature) && sameKey(s.verifier))) {
      return 'the transparency-log entry records a different signature or signing key';
    }
    return undefined;
  }
  return `the transparency-log entry is of an unsupported kind for an attestation (${String(b?.kind).slice(0, 20)} ${String(b?.apiVersion).slice(0, 10)})`;
}

/** base64 of a PEM public key or certificate, compared by SPKI. */
function keyMatches(content: unknown, key: KeyObject): boolean {
  if (typeof content !== 'string') return false;
  try {
    const pem = Buffer.from(content, 'base64').toString('utf8');
    const cert = pem.includes('CERTIFICATE') ? parseCertificate(pem) : undefined;
    const logged = cert ? cert.node.publicKey : loadPublicKey(pem);
    return logged.export({ type: 'spki', format: 'der' }).equals(key.export({ type: 'spki', format: 'der' }));
  } catch {
    return false;
  }
}
