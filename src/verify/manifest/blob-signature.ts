// A signature set in a manifest's annotations, checked with a public key as
// k8s-manifest-sigstore checks it (cosign verify-blob --key): the base64 signature over the
// decoded message. Without a `bundle` annotation the transparency log is not asked (the
// library sets IgnoreTlog then); with one, its Rekor entry must be valid and name this
// signature, key and message (cosign VerifyBundle). Pure.

import type { KeyObject } from 'node:crypto';
import { verifyRawSignature, type HashAlgorithm } from '../raw-signature.js';
import { verifyRekorSet } from '../rekor-set.js';
import { checkRekorBody } from '../rekor-body.js';
import type { TlogKey, TrustMaterial } from '../types.js';
import { base64Bytes, gunzippedText, type SignatureSet } from './annotations.js';

export type BlobCheck = { ok: true; logged?: number } | { ok: false; reason: string };

export function checkBlobSignature(
  set: SignatureSet,
  signed: Uint8Array,
  key: KeyObject,
  hash: HashAlgorithm,
  trust: () => TrustMaterial,
  opts: { now?: Date; rekorKeys?: readonly TlogKey[] } = {},
): BlobCheck {
  const signature = base64Bytes(set.signature);
  if (!signature) return { ok: false, reason: `${set.name} is not base64` };
  if (!verifyRawSignature(key, signed, signature, hash)) return { ok: false, reason: `${set.name} does not verify with this key over the signed message` };
  if (set.bundle === undefined) return { ok: true };
  // base64(gzip(cosign's RekorBundle JSON)): the same SET cosign keeps in dev.sigstore.cosign/bundle.
  const json = gunzippedText(set.bundle);
  if (json === undefined) return { ok: false, reason: `${set.name}'s bundle annotation is not a gzipped, base64 Rekor bundle` };
  // A policy naming its own Rekor key (rekor.pubkey) trusts only that log; else the trusted root's.
  const logged = verifyRekorSet(json, opts.rekorKeys?.length ? { tlogs: [] } : trust(), opts.rekorKeys ?? [], opts.now);
  if (!logged.ok) return { ok: false, reason: `${set.name}: ${logged.reason ?? 'the transparency-log entry does not verify'}` };
  const mismatch = checkRekorBody(logged.body, { signature, key, payload: signed });
  if (mismatch) return { ok: false, reason: `${set.name}: ${mismatch}` };
  return { ok: true, ...(logged.integratedTime !== undefined && { logged: logged.integratedTime }) };
}
