// cosign legacy `.sig` layers signed with a certificate (keyless Fulcio, or a
// private PKI): layer integrity → signature with the certificate's key → payload
// claims → Rekor SET and body (the trusted signing time) → certificate at that
// time (chain, EKU, SCT, identity). One verified layer is enough.

import { createHash } from 'node:crypto';
import type { CertificateRequirement } from '../policy/model.js';
import { SIGNATURE_ANNOTATION } from './cosign-layer.js';
import { checkCertificate, parseCertificate } from './certificate.js';
import { checkRekorBody } from './rekor-body.js';
import { REKOR_BUNDLE_ANNOTATION, verifyRekorSet } from './rekor-set.js';
import { verifyRawSignature } from './raw-signature.js';
import { checkLayerAnnotations, checkPayloadClaims, parseSimpleSigningPayload, SIMPLE_SIGNING_MEDIA_TYPE } from './sig-payload.js';
import { RFC3161_ANNOTATION, verifyRfc3161Annotation } from './rfc3161.js';
import { sigstoreTrust, tlogKeys, type SigstoreTrust } from './sigstore-trust.js';
import { VerificationError, type LeafResult, type SignatureLayer } from './types.js';

export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';

export interface CertificateSignatureInput {
  digest: string;
  layers: readonly SignatureLayer[];
  requirement: CertificateRequirement;
  /** Defaults to sigstoreTrust(requirement). */
  trust?: SigstoreTrust;
  now?: Date;
}

/** The trust a certificate requirement names (public-good unless it says otherwise). */
export function trustFor(req: CertificateRequirement): SigstoreTrust {
  return sigstoreTrust({
    ...(req.trustedRoot !== undefined && { trustedRoot: req.trustedRoot }),
    ...(req.roots !== undefined && { roots: req.roots }),
    ...(req.rekorPublicKeys !== undefined && { rekorPublicKeys: req.rekorPublicKeys }),
    ...(req.ctlogPublicKeys !== undefined && { ctlogPublicKeys: req.ctlogPublicKeys }),
    ...(req.tsaCertChain !== undefined && { tsaCertChain: req.tsaCertChain }),
  });
}

export function verifyCertificateSignatures(input: CertificateSignatureInput): LeafResult {
  const req = input.requirement;
  let trust: SigstoreTrust;
  try {
    trust = input.trust ?? trustFor(req);
  } catch (err) {
    return { ok: false, code: 'KEY_INVALID', reasons: [(err as Error).message] };
  }
  if (input.layers.length === 0) return { ok: false, code: 'NO_SIGNATURES', reasons: ['no cosign signature found for the image'] };
  const failures: { progress: number; message: string; code: VerificationError['code'] }[] = [];
  for (const [i, layer] of input.layers.entries()) {
    const r = checkLayer(layer, input.digest, req, trust, input.now ?? new Date());
    if (r.ok) {
      const where = input.layers.length > 1 ? `signature layer ${i + 1}: ` : '';
      return { ok: true, reasons: [`${where}signed by ${r.identity}${r.logged}`], signer: r.identity };
    }
    failures.push(r);
  }
  const best = failures.reduce((a, b) => (b.progress > a.progress ? b : a));
  if (best.progress === 0) return { ok: false, code: 'NO_SIGNATURES', reasons: ['no certificate-signed cosign signature on the image'] };
  const messages = [...new Set(failures.filter((f) => f.progress > 0).sort((a, b) => b.progress - a.progress).map((f) => f.message))];
  return { ok: false, code: best.code, reasons: messages.slice(0, 5) };
}

type LayerCheck = { ok: true; identity: string; logged: string } | { ok: false; progress: number; message: string; code: VerificationError['code'] };

function checkLayer(layer: SignatureLayer, digest: string, req: CertificateRequirement, trust: SigstoreTrust, now: Date): LayerCheck {
  let progress = 0;
  try {
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) throw new VerificationError('NO_SIGNATURES', 'not a cosign signature');
    const pem = layer.annotations[CERTIFICATE_ANNOTATION];
    if (!pem) throw new VerificationError('NO_SIGNATURES', 'signed with a key, not a certificate');
    progress = 1;
    if (layer.digest !== `sha256:${createHash('sha256').update(layer.payload).digest('hex')}`) {
      throw new VerificationError('PAYLOAD_INVALID', 'the signature payload does not match its layer digest');
    }
    const parsed = parseCertificate(pem);
    if (!parsed) throw new VerificationError('KEY_INVALID', 'the signing certificate does not parse');
    const key = parsed.node.publicKey;
    const signature = Buffer.from((layer.annotations[SIGNATURE_ANNOTATION] ?? '').replace(/\s+/g, ''), 'base64');
    progress = 2;
    // Certificates always sign with SHA-256 in cosign (RSA PKCS#1 v1.5 / PSS, ECDSA).
    if (signature.length === 0 || !verifyRawSignature(key, layer.payload, signature, 'sha256')) {
      throw new VerificationError('SIGNATURE_MISMATCH', "the signature does not verify with its certificate's key");
    }
    progress = 3;
    checkPayloadClaims(parseSimpleSigningPayload(layer.payload), digest, req.annotationsOn === 'layer' ? {} : req.annotations);
    if (req.annotationsOn === 'layer') checkLayerAnnotations(layer.annotations, req.annotations);

    progress = 4;
    const times: Date[] = [];
    let logged = '';
    const bundle = layer.annotations[REKOR_BUNDLE_ANNOTATION];
    if (bundle) {
      const set = verifyRekorSet(bundle, { tlogs: tlogKeys(trust) }, [], now);
      const mismatch = set.ok ? checkRekorBody(set.body, { signature, key, payload: layer.payload }) : set.reason;
      if (mismatch) {
        if (req.tlog === 'require') throw new VerificationError('TLOG_INVALID', mismatch);
      } else if (set.integratedTime !== undefined) {
        times.push(new Date(set.integratedTime * 1000));
        logged = `; logged in Rekor at ${times[0]!.toISOString()}${set.logIndex !== undefined ? ` (index ${set.logIndex})` : ''}`;
      }
    } else if (req.tlog === 'require') {
      throw new VerificationError('TLOG_MISSING', 'no transparency-log entry (rekor bundle) on the signature, and the policy requires one');
    }
    const stamp = layer.annotations[RFC3161_ANNOTATION];
    if (stamp) {
      // cosign hashes the raw signature bytes for `.sig` timestamps.
      const at = verifyRfc3161Annotation(stamp, signature, trust);
      if (typeof at === 'string') throw new VerificationError('TLOG_INVALID', at);
      times.push(at);
      logged += `; timestamped at ${at.toISOString()}`;
    }

    progress = 5;
    const cert = checkCertificate(pem, req, trust, times, now, layer.annotations[CHAIN_ANNOTATION]);
    if (!cert.ok) throw new VerificationError('CERTIFICATE_INVALID', cert.reason ?? 'the signing certificate is not trusted');
    return { ok: true, identity: cert.identity ?? 'a trusted certificate', logged };
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    return { ok: false, progress, message: err.message, code: err.code };
  }
}
