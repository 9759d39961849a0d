// The cosign "simple signing" payload: what a `.sig` layer's signature covers.
// Its bytes are attacker-controlled until the signature verified, and even then
// only the fields cosign checks mean anything (docker-reference is informational).

import { AmbiguousJsonError, parseStrictJson } from './strict-json.js';
import { createHash } from 'node:crypto';
import { VerificationError } from './types.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';

export interface SimpleSigningPayload {
  /** `critical.image.docker-manifest-digest`: the digest that was signed. */
  signedDigest: string;
  /** `critical.identity.docker-reference`: where the signer pushed; not checked (cosign ignores it). */
  dockerReference?: string;
  /** `optional`: signer-chosen annotations; `null` in the payload becomes `{}`. */
  optional: Record<string, unknown>;
}

/**
 * The payload `cosign sign` writes for `digest` signed as `dockerReference` with no annotations,
 * byte for byte (sigstore's payload.Cosign: Go's json.Marshal, fields in struct order). A
 * reference holds no character Go would escape differently from JSON.stringify.
 */
export function plainCosignPayload(dockerReference: string, digest: string): Uint8Array {
  return Buffer.from(
    `{"critical":{"identity":{"docker-reference":${JSON.stringify(dockerReference)}},"image":{"docker-manifest-digest":${JSON.stringify(digest)}},"type":"${SIMPLE_SIGNING_TYPE}"},"optional":null}`,
  );
}

/**
 * The payload of a `.sig` layer when it is exactly what `cosign sign` writes for `digest` signed
 * as `dockerReference` with no annotations: those bytes, if they hash to the layer's sha256 digest
 * (and size); else undefined, and the blob must be fetched. Content addressing makes them the very
 * bytes the registry would serve, so a request per image is saved.
 */
export function knownPayload(layer: { mediaType?: unknown; digest?: unknown; size?: unknown }, dockerReference: string, digest: string): Uint8Array | undefined {
  if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE || typeof layer.digest !== 'string' || !layer.digest.startsWith('sha256:')) return undefined;
  const bytes = plainCosignPayload(dockerReference, digest);
  if (layer.size !== undefined && layer.size !== bytes.byteLength) return undefined;
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` === layer.digest ? bytes : undefined;
}

/** Parses and shape-checks a payload; throws PAYLOAD_INVALID instead of a SyntaxError. */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  let doc: unknown;
  try {
    // Struct fields everywhere but the `optional` map (cosign's payload.SimpleContainerImage).
    doc = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes), (path) => path[0] !== 'optional');
  } catch (err) {
    if (err instanceof AmbiguousJsonError) throw new VerificationError('PAYLOAD_INVALID', `the signed payload could be read two ways (${err.message}): cosign 3.1.6 refuses it`);
    throw new VerificationError('PAYLOAD_INVALID', 'the signed payload is not valid JSON');
  }
  const critical = isObject(doc) ? doc.critical : undefined;
  if (!isObject(critical) || critical.type !== SIMPLE_SIGNING_TYPE) {
    throw new VerificationError('PAYLOAD_INVALID', `the signed payload is not a "${SIMPLE_SIGNING_TYPE}"`);
  }
  const image = critical.image;
  const signedDigest = isObject(image) ? image['docker-manifest-digest'] : undefined;
  if (typeof signedDigest !== 'string') {
    throw new VerificationError('PAYLOAD_INVALID', 'the signed payload names no image digest');
  }
  const identity = critical.identity;
  const ref = isObject(identity) ? identity['docker-reference'] : undefined;
  const optional = (doc as Record<string, unknown>).optional;
  if (optional !== undefined && optional !== null && !isObject(optional)) {
    throw new VerificationError('PAYLOAD_INVALID', 'the signed payload has a malformed "optional" section');
  }
  return {
    signedDigest,
    ...(typeof ref === 'string' && { dockerReference: ref }),
    optional: optional ?? {},
  };
}

/**
 * Cosign's SimpleClaimVerifier: the signed digest equals the image digest exactly,
 * and every required annotation appears in `optional` with the same string value.
 */
export function checkPayloadClaims(
  payload: SimpleSigningPayload,
  digest: string,
  required: Readonly<Record<string, string>>,
): void {
  if (payload.signedDigest !== digest) {
    throw new VerificationError(
      'DIGEST_MISMATCH',
      `signature is for another image (digest ${shortDigest(payload.signedDigest)}), not for this one (${shortDigest(digest)}): copied or stale`,
    );
  }
  const missing = Object.entries(required).filter(([k, v]) => payload.optional[k] !== v);
  if (missing.length > 0) {
    throw new VerificationError('ANNOTATIONS_MISSING', `signature lacks the required annotations ${formatAnnotations(missing)}`);
  }
}

/**
 * Kyverno's ImageValidatingPolicy checks `cosign.annotations` against the signature's OCI layer
 * annotations (checkSignatureAnnotations over sig.Annotations(), 1.19), not the signed payload:
 * `cosign sign -a` annotations are never there, so the cluster refuses the image and so do we.
 */
export function checkLayerAnnotations(layer: Readonly<Record<string, string>>, required: Readonly<Record<string, string>>): void {
  const missing = Object.entries(required).filter(([k, v]) => layer[k] !== v);
  if (missing.length > 0) throw new VerificationError('ANNOTATIONS_MISSING', layerAnnotationsReason(missing));
}

export function layerAnnotationsReason(missing: readonly (readonly [string, string])[]): string {
  return `the signature layer lacks the annotations ${formatAnnotations(missing)}: Kyverno's ImageValidatingPolicy compares cosign.annotations with the layer's OCI annotations, not the signed payload (where cosign sign -a writes them), and refuses the image`;
}

/** `{env: prod, team: a}`, as a deployer wrote them in the policy. */
export function formatAnnotations(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`;
}

/** `sha256:0123456789ab…`: enough to tell digests apart in a sentence. */
export function shortDigest(digest: string): string {
  const clipped = digest.length > 80 ? digest.slice(0, 80) : digest; // attacker text: keep it bounded
  const m = /^([a-z0-9]+):([0-9a-f]{12})[0-9a-f]+$/.exec(clipped);
  return m ? `${m[1]}:${m[2]}…` : JSON.stringify(clipped);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
