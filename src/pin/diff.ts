// Unified diffs of the planned edits, for `pin` without `--write`.

import { createTwoFilesPatch } from 'diff';

export interface FileEdit {
  /** As shown to the user (relative to where they ran us). */
  file: string;
  before: string;
  after: string;
}

/** `--- a/file` / `+++ b/file` hunks with 3 lines of context, files in the given order. */
export function unifiedDiff(edits: readonly FileEdit[]): string {
  return edits
    .filter((e) => e.before !== e.after)
    .map((e) => {
      const patch = createTwoFilesPatch(`a/${e.file}`, `b/${e.file}`, e.before, e.after, '', '', { context: 3 });
      // Drop the "Index:"/"====" header lines the library adds: git-style output starts at ---.
      return patch.slice(patch.indexOf('--- '));
    })
    .join('');
}
