// DSSE envelopes carrying in-toto statements: parse, verify the PAE signature with
// a key, and read the statement (v0.1 and v1) with its subjects and predicate.

import type { KeyObject } from 'node:crypto';
import { dsse } from '@sigstore/core';
import { verifyRawSignature } from './raw-signature.js';
import { AmbiguousJsonError, parseStrictJson } from './strict-json.js';

export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const STATEMENT_TYPES = new Set(['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1']);

export interface Envelope {
  payloadType: string;
  payload: Buffer;
  signatures: { keyid: string; sig: Buffer }[];
}

export interface Statement {
  type: string;
  subjects: { name?: string; digest: Record<string, string>; annotations?: Record<string, unknown> }[];
  predicateType: string;
  predicate: unknown;
  /** The whole statement JSON, as conditions may address it. */
  raw: Record<string, unknown>;
}

/** The envelope JSON (an `.att` layer blob, a bundle's dsseEnvelope), or why it is not one. */
export function parseEnvelope(input: Uint8Array | unknown): Envelope | string {
  let doc: unknown = input;
  if (input instanceof Uint8Array) {
    try {
      // The envelope and its signatures are Go structs; nothing else is in it.
      doc = parseStrictJson(Buffer.from(input).toString('utf8'), (path) => path.length === 0 || (path[0] === 'signatures' && path.length === 2));
    } catch (err) {
      return err instanceof AmbiguousJsonError ? `the attestation envelope could be read two ways (${err.message}): cosign 3.1.6 refuses it` : 'the attestation is not valid JSON';
    }
  }
  const d = doc as { payloadType?: unknown; payload?: unknown; signatures?: unknown } | null;
  if (!d || typeof d.payloadType !== 'string' || typeof d.payload !== 'string' || !Array.isArray(d.signatures)) {
    return 'the attestation is not a DSSE envelope';
  }
  const signatures = (d.signatures as { keyid?: unknown; sig?: unknown }[])
    .filter((s) => s && typeof s.sig === 'string')
    .map((s) => ({ keyid: typeof s.keyid === 'string' ? s.keyid : '', sig: Buffer.from(s.sig as string, 'base64') }));
  return { payloadType: d.payloadType, payload: Buffer.from(d.payload, 'base64'), signatures };
}

/** True when one of the envelope's signatures verifies over PAE(type, payload) with `key`. */
export function verifyEnvelope(env: Envelope, key: KeyObject): boolean {
  const pae = dsse.preAuthEncoding(env.payloadType, env.payload);
  return env.signatures.some((s) => s.sig.length > 0 && verifyRawSignature(key, pae, s.sig, 'sha256'));
}

/** The in-toto statement inside an envelope, or why there is none. */
export function parseStatement(env: Envelope): Statement | string {
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) return `the attestation's payload type is ${JSON.stringify(env.payloadType.slice(0, 60))}, not in-toto`;
  let doc: unknown;
  try {
    // The statement and its subjects are structs; digests and the predicate are maps (exact names only).
    doc = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(env.payload), (path) => path.length === 0 || (path[0] === 'subject' && path.length === 2));
  } catch (err) {
    return err instanceof AmbiguousJsonError ? `the in-toto statement could be read two ways (${err.message}): cosign 3.1.6 refuses it` : 'the in-toto statement is not valid JSON';
  }
  const s = doc as Record<string, unknown> | null;
  if (!s || typeof s !== 'object' || !STATEMENT_TYPES.has(String(s._type)) || typeof s.predicateType !== 'string' || !Array.isArray(s.subject)) {
    return 'the attestation does not hold an in-toto statement (v0.1 or v1)';
  }
  const subjects = (s.subject as { name?: unknown; digest?: unknown; annotations?: unknown }[])
    .filter((x) => x && typeof x.digest === 'object' && x.digest !== null)
    .map((x) => ({
      ...(typeof x.name === 'string' && { name: x.name }),
      digest: x.digest as Record<string, string>,
      ...(typeof x.annotations === 'object' && x.annotations !== null ? { annotations: x.annotations as Record<string, unknown> } : {}),
    }));
  return { type: String(s._type), subjects, predicateType: s.predicateType, predicate: s.predicate, raw: s };
}

/** cosign IntotoSubjectClaimVerifier: one subject's sha256 must be the image digest. */
export function subjectMatches(statement: Statement, digest: string): boolean {
  const [alg, hex] = digest.split(':');
  return statement.subjects.some((s) => typeof s.digest[alg ?? ''] === 'string' && s.digest[alg ?? '']!.toLowerCase() === (hex ?? '').toLowerCase());
}

/** cosign v3 `sign -a k=v`: the annotations ride on the image's subject; every wanted pair must be there. */
export function subjectHasAnnotations(statement: Statement, digest: string, want: Readonly<Record<string, string>>): boolean {
  const [alg, hex] = digest.split(':');
  return statement.subjects.some(
    (s) => s.digest[alg ?? '']?.toLowerCase() === hex?.toLowerCase() && Object.entries(want).every(([k, v]) => String(s.annotations?.[k] ?? '') === v && s.annotations?.[k] !== undefined),
  );
}
