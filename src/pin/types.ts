// What the pin stage produces: the edits it made or would make, per file, and
// the images it left alone with the reason. git/ turns this into a commit and a PR.

import type { Status } from '../engine/result.js';

/** Where a pinned value lives: a manifest image scalar, a kustomization `images:` entry, a Helm values key. */
export type PinTarget = 'manifest' | 'kustomization' | 'helm';

/** One scalar rewritten. */
export interface PinChange {
  /** The image as the verified manifests wrote it. */
  image: string;
  /** The digest it resolved to and verified with. */
  digest: string;
  /** The source file (as shown to the user) and the scalar's 1-based line. */
  file: string;
  line: number;
  target: PinTarget;
  /** What uses the image: `Deployment prod/web (web)`; empty for Helm values. */
  use: string;
  /** The scalar's value before and after. */
  from: string;
  to: string;
  /** Policies that passed it and who signed. */
  verification: { policies: string[]; signers: string[] };
  /** The manifest signature annotation this edit invalidates (made with --allow-breaking-signatures). */
  breaksSignature?: string;
}

/** An image (or one of its uses) not pinned, and why. */
export interface PinSkip {
  image: string;
  status: Status;
  reason: string;
  file?: string;
  line?: number;
}

/** file → changes (sorted by line), plus what was not pinned. An empty `changes` means nothing to commit. */
export interface PinResult {
  changes: Record<string, PinChange[]>;
  skipped: PinSkip[];
}

/** A splice planned in one file: [start, end) of the scalar's source text and its new value. */
export interface ScalarEdit {
  start: number;
  end: number;
  from: string;
  to: string;
  change: PinChange;
}

export class PinError extends Error {
  constructor(
    readonly code: 'PIN_EDIT_FAILED' | 'PIN_CHECK_FAILED' | 'PIN_WRITE_FAILED',
    message: string,
  ) {
    super(message);
  }
}
