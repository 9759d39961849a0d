// Checked evidence handed to the verifiers, and what they answer.

import type { KeyObject } from 'node:crypto';

/** One cosign legacy `.sig` layer: the payload blob (already hashed) and its annotations. */
export interface SignatureLayer {
  mediaType: string;
  digest: string;
  payload: Uint8Array;
  annotations: Record<string, string>;
}

/** The answer for one requirement leaf on one image digest. */
export interface LeafResult {
  ok: boolean;
  /** Why it failed (deployer's words), or what verified (e.g. "signed by key 1 of 2 (ECDSA P-256)"). */
  reasons: string[];
  /** Who signed, when known (key fingerprint, certificate identity). */
  signer?: string;
  /** On failure: the code of the most telling failure (the layer that got furthest). */
  code?: VerificationErrorCode;
}

/** One transparency log's key, as a trusted root (or a policy's `rekor.pubkey`) names it. */
export interface TlogKey {
  /** Hex sha256 of the DER SPKI for Rekor v1: what SETs and bundles name as `logID`. */
  logId: string;
  publicKey: KeyObject;
  validFrom?: Date;
  validTo?: Date;
  baseUrl?: string;
}

/** The keys and roots verification may trust; data only, loaded once by trusted-root.ts. */
export interface TrustMaterial {
  tlogs: TlogKey[];
  /** The trusted_root.json text this came from: certificate checks build their CAs and CT logs from it. */
  trustedRootJson?: string;
}

export type VerificationErrorCode =
  | 'NO_SIGNATURES'
  | 'SIGNATURE_MISMATCH'
  | 'DIGEST_MISMATCH'
  | 'PAYLOAD_INVALID'
  | 'ANNOTATIONS_MISSING'
  | 'TLOG_MISSING'
  | 'TLOG_INVALID'
  | 'KEY_INVALID'
  | 'CERTIFICATE_INVALID'
  | 'ATTESTATION_INVALID';

/** A verification failure: the image fails the requirement (exit 1), unlike transport errors. */
export class VerificationError extends Error {
  constructor(
    readonly code: VerificationErrorCode,
    message: string,
  ) {
    super(message);
  }
}
