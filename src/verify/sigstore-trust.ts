// Trust material for certificates and bundles, in @sigstore/verify's shape: the
// public-good root from the @sigstore/tuf seed (offline), or a trusted_root.json
// text, with a policy's own roots / Rekor / CT log keys / TSA chain replacing the
// matching part. Built once per distinct input.

import { createHash, type KeyObject } from 'node:crypto';
import { X509Certificate, crypto as sigstoreCrypto } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial as SigstoreTrust } from '@sigstore/verify';
import { splitPem, loadPublicKey } from './keys.js';
import { embeddedTrustedRoot, TrustRootError } from './trusted-root.js';
import type { TlogKey } from './types.js';

export type { SigstoreTrust };

/** What a requirement says about trust; every field optional (public-good defaults). */
export interface TrustSpec {
  trustedRoot?: string;
  /** PEM CA certificates (roots and intermediates) replacing the root's Fulcio CAs. */
  roots?: readonly string[];
  rekorPublicKeys?: readonly string[];
  ctlogPublicKeys?: readonly string[];
  tsaCertChain?: string;
}

const BEGINNING = new Date(0);
const END = new Date(8640000000000000);
const memo = new Map<string, SigstoreTrust>();

/** The trust material for a spec; throws TrustRootError when a root or key does not parse. */
export function sigstoreTrust(spec: TrustSpec = {}): SigstoreTrust {
  const key = JSON.stringify([spec.trustedRoot ?? null, spec.roots ?? null, spec.rekorPublicKeys ?? null, spec.ctlogPublicKeys ?? null, spec.tsaCertChain ?? null]);
  let trust = memo.get(key);
  if (!trust) {
    trust = build(spec);
    memo.set(key, trust);
  }
  return trust;
}

function build(spec: TrustSpec): SigstoreTrust {
  const text = spec.trustedRoot ?? embeddedTrustedRoot();
  let base: SigstoreTrust;
  try {
    const doc = JSON.parse(text) as Record<string, unknown>;
    assertValidityStarts(doc);
    base = toTrustMaterial(TrustedRoot.fromJSON(doc));
  } catch (err) {
    throw new TrustRootError(`trusted root does not parse: ${(err as Error).message}`, { cause: err });
  }
  const out: SigstoreTrust = { ...base };
  if (spec.roots && spec.roots.length > 0) {
    out.certificateAuthorities = [{ certChain: certificatesOf(spec.roots, 'roots'), validFor: { start: BEGINNING, end: END } }];
  }
  if (spec.rekorPublicKeys && spec.rekorPublicKeys.length > 0) out.tlogs = logsOf(spec.rekorPublicKeys, 'rekor public key');
  if (spec.ctlogPublicKeys && spec.ctlogPublicKeys.length > 0) out.ctlogs = logsOf(spec.ctlogPublicKeys, 'CT log public key');
  if (spec.tsaCertChain) {
    out.timestampAuthorities = [{ certChain: certificatesOf([spec.tsaCertChain], 'tsaCertChain'), validFor: { start: BEGINNING, end: END } }];
  }
  return out;
}

/**
 * A validity window without a start is malformed (the spec requires it): reject the
 * root rather than read the missing bound as "forever" (sigstore-conformance).
 */
function assertValidityStarts(doc: Record<string, unknown>): void {
  for (const field of ['tlogs', 'ctlogs'] as const) {
    const list = doc[field];
    if (!Array.isArray(list)) continue;
    for (const [i, log] of list.entries()) {
      const validFor = (log as { publicKey?: { validFor?: { start?: unknown } } } | null)?.publicKey?.validFor;
      if (validFor && typeof validFor === 'object' && !validFor.start) throw new Error(`${field}[${i}].publicKey.validFor has no start`);
    }
  }
}

/** Every certificate in PEM texts, parsed. */
export function certificatesOf(pems: readonly string[], what: string): X509Certificate[] {
  const certs = pems.flatMap((t) => splitPem(t).filter((b) => b.type === 'CERTIFICATE'));
  if (certs.length === 0) throw new TrustRootError(`${what}: no PEM certificate found`);
  return certs.map((b, i) => {
    try {
      return X509Certificate.parse(b.pem);
    } catch (err) {
      throw new TrustRootError(`${what}: certificate ${i + 1} does not parse`, { cause: err });
    }
  });
}

function logsOf(pems: readonly string[], what: string): SigstoreTrust['tlogs'] {
  return pems.flatMap((text) => {
    const blocks = splitPem(text).filter((b) => b.type === 'PUBLIC KEY' || b.type === 'RSA PUBLIC KEY');
    if (blocks.length === 0) throw new TrustRootError(`${what}: no PEM public key found`);
    return blocks.map((b) => {
      let publicKey: KeyObject;
      try {
        publicKey = loadPublicKey(b.pem);
      } catch (err) {
        throw new TrustRootError(`${what} does not parse`, { cause: err });
      }
      // Rekor v1 and RFC 6962 CT logs both name themselves by sha256(DER SPKI).
      const logID = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest();
      return { logID, baseURL: '', publicKey: sigstoreCrypto.createPublicKey(publicKey.export({ type: 'spki', format: 'der' })), validFor: { start: BEGINNING, end: END } };
    });
  });
}

/** The transparency logs as the legacy SET checker (rekor-set.ts) wants them. */
export function tlogKeys(trust: SigstoreTrust): TlogKey[] {
  return trust.tlogs.map((t) => ({
    logId: Buffer.from(t.logID).toString('hex'),
    publicKey: t.publicKey,
    ...(t.validFor.start.getTime() > 0 && { validFrom: t.validFor.start }),
    ...(t.validFor.end.getTime() < END.getTime() && { validTo: t.validFor.end }),
  }));
}

const tlogTrustMemo = new WeakMap<readonly TlogKey[], SigstoreTrust>();

/** Trust in transparency logs only (key-signed bundles): the logs of a legacy TrustMaterial. */
export function sigstoreTrustFromTlogs(tlogs: readonly TlogKey[]): SigstoreTrust {
  let trust = tlogTrustMemo.get(tlogs);
  if (!trust) {
    trust = {
      certificateAuthorities: [],
      timestampAuthorities: [],
      ctlogs: [],
      tlogs: tlogs.map((t) => ({
        logID: Buffer.from(t.logId, 'hex'),
        baseURL: t.baseUrl ?? '',
        publicKey: t.publicKey,
        validFor: { start: t.validFrom ?? BEGINNING, end: t.validTo ?? END },
      })),
      publicKey: () => {
        throw new Error('no public key');
      },
    };
    tlogTrustMemo.set(tlogs, trust);
  }
  return trust;
}
