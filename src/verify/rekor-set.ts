// The Rekor "bundle" annotation (`dev.sigstore.cosign/bundle`): a Signed Entry
// Timestamp over {body, integratedTime, logID, logIndex}. A valid SET proves the
// log accepted this body at integratedTime (cosign pkg/cosign/verify.go VerifySET).

import { verify as nodeVerify } from 'node:crypto';
import { createRequire } from 'node:module';
import type { TlogKey, TrustMaterial } from './types.js';

// @sigstore/core (its RFC 8785 canonicaliser) is loaded only when a SET is checked:
// key-only policies that ignore the tlog never pay for it.
const requireCjs = createRequire(import.meta.url);
const canonicalize = (value: unknown): string => (requireCjs('@sigstore/core') as typeof import('@sigstore/core')).json.canonicalize(value);

export const REKOR_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';

/** Tolerated clock skew between the log and us before an entry counts as "from the future". */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface RekorSetResult {
  ok: boolean;
  /** Unix seconds the log integrated the entry: the trusted signing time. */
  integratedTime?: number;
  logIndex?: number;
  /** The decoded entry body (hashedrekord, rekord…); check it against the signature with checkRekorBody. */
  body?: unknown;
  reason?: string;
}

/**
 * Verifies the SET of a cosign bundle annotation. The log key is picked by logID among
 * `extraKeys` when any are given (a policy naming its own Rekor trusts only that), else
 * among the trust material's logs; its validity must cover integratedTime.
 */
export function verifyRekorSet(
  bundleAnnotation: string,
  trust: TrustMaterial,
  extraKeys: readonly TlogKey[] = [],
  now: Date = new Date(),
): RekorSetResult {
  const parsed = parseBundle(bundleAnnotation);
  if (typeof parsed === 'string') return { ok: false, reason: parsed };
  const { set, payload } = parsed;

  const logs = (extraKeys.length > 0 ? extraKeys : trust.tlogs).filter((l) => l.logId === payload.logID.toLowerCase());
  if (logs.length === 0) {
    return { ok: false, reason: `the transparency-log entry comes from an untrusted log (logID ${payload.logID.slice(0, 16)}…)` };
  }
  const at = new Date(payload.integratedTime * 1000);
  if (at.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    return { ok: false, reason: `the transparency-log entry claims a future time (${at.toISOString()})` };
  }
  const current = logs.filter((l) => (!l.validFrom || l.validFrom <= at) && (!l.validTo || at <= l.validTo));
  if (current.length === 0) {
    return { ok: false, reason: `the transparency log's key was not valid at the entry's time (${at.toISOString()})` };
  }
  // Go's json.Marshal of the Payload struct, then RFC 8785: keys sorted, integers plain.
  const signed = Buffer.from(canonicalize(payload), 'utf8');
  if (!current.some((log) => verifySetSignature(log, signed, set))) {
    return { ok: false, reason: 'the transparency-log entry\'s signed timestamp (SET) does not verify' };
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload.body, 'base64').toString('utf8'));
  } catch {
    return { ok: false, reason: 'the transparency-log entry body is not valid JSON' };
  }
  return { ok: true, integratedTime: payload.integratedTime, logIndex: payload.logIndex, body };
}

interface SetPayload {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
}

/** The annotation's JSON, shape-checked; a string is the reason it is unusable. */
function parseBundle(text: string): { set: Buffer; payload: SetPayload } | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'the rekor bundle annotation is not valid JSON';
  }
  const d = doc as { SignedEntryTimestamp?: unknown; Payload?: Record<string, unknown> } | null;
  const p = d?.Payload;
  if (
    typeof d?.SignedEntryTimestamp !== 'string' ||
    typeof p !== 'object' ||
    p === null ||
    typeof p.body !== 'string' ||
    !Number.isSafeInteger(p.integratedTime) ||
    !Number.isSafeInteger(p.logIndex) ||
    typeof p.logID !== 'string' ||
    !/^[0-9a-fA-F]{64}$/.test(p.logID)
  ) {
    return 'the rekor bundle annotation is malformed';
  }
  return {
    set: Buffer.from(d.SignedEntryTimestamp, 'base64'),
    // Only these four fields are signed; rebuild so stray fields cannot change the canonical form.
    payload: { body: p.body, integratedTime: p.integratedTime as number, logID: p.logID, logIndex: p.logIndex as number },
  };
}

function verifySetSignature(log: TlogKey, signed: Buffer, set: Buffer): boolean {
  try {
    const type = log.publicKey.asymmetricKeyType;
    if (type === 'ed25519') return nodeVerify(null, signed, log.publicKey, set);
    if (type === 'ec') return nodeVerify('sha256', signed, { key: log.publicKey, dsaEncoding: 'der' }, set);
    return nodeVerify('sha256', signed, log.publicKey, set);
  } catch {
    return false;
  }
}
