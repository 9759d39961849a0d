// Planned edits → new file texts, each checked by re-parsing. Pure.

import { assertOnlyIntended } from './check.js';
import type { Plan } from './plan.js';
import { applyEdits } from './splice.js';
import type { PinChange, PinResult } from './types.js';

export interface EditedFile {
  /** Absolute path. */
  path: string;
  /** As shown to the user. */
  file: string;
  before: string;
  after: string;
}

/** Applies every file's edits; throws PinError (nothing is written) when a check fails. */
export function applyPlan(plan: Plan): { files: EditedFile[]; pin: PinResult } {
  const files: EditedFile[] = [];
  const changes: Record<string, PinChange[]> = {};
  const ordered = [...plan.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [path, { text, edits }] of ordered) {
    if (edits.length === 0) continue;
    const file = edits[0]!.change.file;
    const after = applyEdits(text, edits);
    assertOnlyIntended(file, text, after, edits);
    files.push({ path, file, before: text, after });
    changes[file] = edits.map((e) => e.change).sort((a, b) => a.line - b.line);
  }
  return { files, pin: { changes, skipped: plan.skipped } };
}
