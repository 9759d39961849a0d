// One cosign `.sig` layer against one key requirement, in cosign's order of
// checks: layer integrity → signature with a policy key → payload claims →
// (when required) the Rekor SET and its body.

import { createHash, type KeyObject } from 'node:crypto';
import { checkRekorBody } from './rekor-body.js';
import { REKOR_BUNDLE_ANNOTATION, verifyRekorSet } from './rekor-set.js';
import { verifyRawSignature, type HashAlgorithm } from './raw-signature.js';
import { checkLayerAnnotations, checkPayloadClaims, parseSimpleSigningPayload, shortDigest, SIMPLE_SIGNING_MEDIA_TYPE } from './sig-payload.js';
import { VerificationError, type SignatureLayer, type TlogKey, type TrustMaterial, type VerificationErrorCode } from './types.js';

export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

export interface LayerContext {
  digest: string;
  /** The policy's keys, in policy order (index is 0-based into the policy's list). */
  keys: readonly { index: number; key: KeyObject }[];
  hash: HashAlgorithm;
  annotations: Readonly<Record<string, string>>;
  /** `layer`: the annotations are looked for on the layer (Kyverno ImageValidatingPolicy), not in the payload. */
  annotationsOn?: 'layer';
  tlog: 'require' | 'ignore';
  trust: TrustMaterial;
  /** A policy's own Rekor keys; when present only these are trusted. */
  rekorKeys: readonly TlogKey[];
  now: Date;
}

export type LayerOutcome =
  | { ok: true; keyIndex: number; key: KeyObject; integratedTime?: number; logIndex?: number }
  | {
      ok: false;
      code: VerificationErrorCode;
      /** How far the layer got (0 = not a signature at all): the furthest failure explains best. */
      progress: number;
      message: string;
    };

/** Checks one layer; never throws for bad evidence. */
export function checkCosignLayer(layer: SignatureLayer, ctx: LayerContext): LayerOutcome {
  let progress = 0;
  try {
    if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) {
      throw new VerificationError('NO_SIGNATURES', `not a cosign signature (media type ${clip(layer.mediaType)})`);
    }
    progress = 1;
    // The registry client hashed the blob already; this is cheap insurance against a mix-up.
    const hex = createHash('sha256').update(layer.payload).digest('hex');
    if (layer.digest !== `sha256:${hex}`) {
      throw new VerificationError('PAYLOAD_INVALID', 'the signature payload does not match its layer digest');
    }
    const signature = decodeSignature(layer.annotations[SIGNATURE_ANNOTATION]);

    progress = 2;
    const signer = ctx.keys.find(({ key }) => verifyRawSignature(key, layer.payload, signature, ctx.hash));
    if (!signer) {
      // What a deployer needs first: a signature made for another image is never "the wrong key".
      const other = otherDigest(layer.payload, ctx.digest);
      if (other) throw new VerificationError('DIGEST_MISMATCH', `signature is for another image (digest ${shortDigest(other)}), and no policy key verifies it`);
      throw new VerificationError('SIGNATURE_MISMATCH', 'signed by an untrusted key (no policy key verifies the signature)');
    }

    progress = 3;
    const payload = parseSimpleSigningPayload(layer.payload);
    progress = 4;
    checkPayloadClaims(payload, ctx.digest, ctx.annotationsOn === 'layer' ? {} : ctx.annotations);
    if (ctx.annotationsOn === 'layer') checkLayerAnnotations(layer.annotations, ctx.annotations);

    progress = 5;
    if (ctx.tlog === 'ignore') return { ok: true, keyIndex: signer.index, key: signer.key };
    const bundle = layer.annotations[REKOR_BUNDLE_ANNOTATION];
    if (!bundle) {
      throw new VerificationError('TLOG_MISSING', 'no transparency-log entry (rekor bundle) on the signature, and the policy requires one');
    }
    const set = verifyRekorSet(bundle, ctx.trust, ctx.rekorKeys, ctx.now);
    if (!set.ok) throw new VerificationError('TLOG_INVALID', set.reason ?? 'the transparency-log entry does not verify');
    const mismatch = checkRekorBody(set.body, { signature, key: signer.key, payload: layer.payload });
    if (mismatch) throw new VerificationError('TLOG_INVALID', mismatch);
    return {
      ok: true,
      keyIndex: signer.index,
      key: signer.key,
      ...(set.integratedTime !== undefined && { integratedTime: set.integratedTime }),
      ...(set.logIndex !== undefined && { logIndex: set.logIndex }),
    };
  } catch (err) {
    if (!(err instanceof VerificationError)) throw err;
    return { ok: false, code: err.code, progress, message: err.message };
  }
}

/** The digest an (unverified) payload names, when it is not `digest`: for explaining a failure only. */
function otherDigest(payload: Uint8Array, digest: string): string | undefined {
  try {
    const named = parseSimpleSigningPayload(payload).signedDigest;
    return named !== digest ? named : undefined;
  } catch {
    return undefined;
  }
}

/** Standard base64, possibly line-wrapped; anything else is not a signature. */
function decodeSignature(annotation: string | undefined): Uint8Array {
  const b64 = (annotation ?? '').replace(/\s+/g, '');
  if (b64 === '') throw new VerificationError('SIGNATURE_MISMATCH', 'the layer carries no signature');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) {
    throw new VerificationError('SIGNATURE_MISMATCH', 'the signature annotation is not valid base64');
  }
  return Buffer.from(b64, 'base64');
}

/** Attacker-chosen text in a sentence: printable and short. */
function clip(text: string): string {
  const s = JSON.stringify(String(text));
  return s.length > 60 ? `${s.slice(0, 57)}…"` : s;
}
