// A signature set in a manifest's annotations checked with a certificate, as k8s-manifest-sigstore
// checks it (cosign verify-blob with a certificate): the certificate in `<domain>/certificate`
// (gzipped, base64; keyless from Fulcio), else the attestor's own `certificates.cert`; the
// signature over the decoded message with its key (SHA-256); the Rekor bundle's SET and entry
// naming this signature, key and message — required whenever a certificate travels in the
// annotations (cosign then looks the entry up in Rekor, which an offline gate cannot; the bundle
// is what it can check); then the certificate at the logged time (chain to the trusted root or
// the attestor's roots, code signing, identity). No SCT: the library sets IgnoreSCT. Pure.

import type { CertificateRequirement } from '../../policy/model.js';
import { checkCertificate, parseCertificate } from '../certificate.js';
import { verifyRawSignature } from '../raw-signature.js';
import { checkRekorBody } from '../rekor-body.js';
import { verifyRekorSet } from '../rekor-set.js';
import { tlogKeys, type SigstoreTrust } from '../sigstore-trust.js';
import { base64Bytes, gunzippedText, type SignatureSet } from './annotations.js';

export type CertificateBlobCheck = { ok: true; identity: string } | { ok: false; reason: string };

export function checkCertificateBlob(set: SignatureSet, signed: Uint8Array, req: CertificateRequirement, trust: SigstoreTrust, now: Date = new Date()): CertificateBlobCheck {
  const annotated = set.certificate === undefined ? undefined : gunzippedText(set.certificate);
  if (set.certificate !== undefined && annotated === undefined) return { ok: false, reason: `${set.name}'s certificate annotation is not a gzipped, base64 PEM` };
  const pem = annotated ?? req.leafCertificate;
  if (pem === undefined) return { ok: false, reason: `${set.name} is signed with a key, not a certificate` };
  const parsed = parseCertificate(pem);
  if (!parsed) return { ok: false, reason: `${set.name}'s certificate does not parse` };
  const signature = base64Bytes(set.signature);
  if (!signature) return { ok: false, reason: `${set.name} is not base64` };
  if (!verifyRawSignature(parsed.node.publicKey, signed, signature, 'sha256')) return { ok: false, reason: `${set.name} does not verify with its certificate's key over the signed message` };
  const times: Date[] = [];
  if (set.bundle !== undefined) {
    const json = gunzippedText(set.bundle);
    if (json === undefined) return { ok: false, reason: `${set.name}'s bundle annotation is not a gzipped, base64 Rekor bundle` };
    const logged = verifyRekorSet(json, { tlogs: tlogKeys(trust) }, [], now);
    const mismatch = logged.ok ? checkRekorBody(logged.body, { signature, key: parsed.node.publicKey, payload: signed }) : logged.reason;
    if (mismatch) return { ok: false, reason: `${set.name}: ${mismatch}` };
    if (logged.integratedTime !== undefined) times.push(new Date(logged.integratedTime * 1000));
  } else if (annotated !== undefined) {
    return { ok: false, reason: `${set.name} carries a certificate but no transparency-log bundle: cosign would look the entry up in Rekor, which this offline check cannot (sign with the bundle annotation, as kubectl sigstore sign writes it)` };
  }
  const cert = checkCertificate(pem, { ...req, sct: 'ignore' }, trust, times, now);
  return cert.ok ? { ok: true, identity: cert.identity ?? 'a trusted certificate' } : { ok: false, reason: `${set.name}: ${cert.reason ?? 'the certificate is not trusted'}` };
}
