// After splicing, parse again and compare with what we meant (renovate's confirmIfDepUpdated):
// the original documents with only the edited scalars' values changed. Pure.

import { isDeepStrictEqual } from 'node:util';
import { isScalar, parseAllDocuments, visit } from 'yaml';
import { PinError, type ScalarEdit } from './types.js';

const OPTIONS = { merge: true, prettyErrors: false } as const;

/** Throws PIN_CHECK_FAILED unless `edited` parses to `original`'s data with exactly the edited values replaced. */
export function assertOnlyIntended(file: string, original: string, edited: string, edits: readonly ScalarEdit[]): void {
  const before = parseAllDocuments(original, OPTIONS);
  const pending = new Map(edits.map((e) => [e.start, e]));
  for (const doc of before) {
    visit(doc, {
      Scalar(_key, node) {
        const start = node.range?.[0];
        const edit = start === undefined ? undefined : pending.get(start);
        // Matched by position: a plain `1.25` tag is the number 1.25 here but "1.25" in the edit.
        if (edit && isScalar(node)) {
          node.value = edit.to;
          pending.delete(start!);
        }
      },
    });
  }
  if (pending.size > 0) {
    throw new PinError('PIN_CHECK_FAILED', `${file}: no scalar found at offset ${[...pending.keys()].join(', ')}`);
  }
  const after = parseAllDocuments(edited, OPTIONS);
  const error = after.flatMap((d) => d.errors)[0];
  if (error) throw new PinError('PIN_CHECK_FAILED', `${file}: the edited file does not parse: ${error.message.split('\n')[0]}`);
  const expected = before.map((d) => d.toJS());
  const actual = after.map((d) => d.toJS());
  if (!isDeepStrictEqual(expected, actual)) {
    throw new PinError('PIN_CHECK_FAILED', `${file}: the edit changed more than the pinned images; file left unchanged`);
  }
}
