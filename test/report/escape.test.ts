import t from 'tap';
import { escapeControls, escapeResult } from '../../src/report/escape.js';
import type { Result } from '../../src/engine/result.js';

const result = (container: string): Result => ({
  summary: { images: 1, pass: 1, fail: 0, warn: 0, skip: 0, unmatched: 0, error: 0 },
  results: [{ image: 'r/app:1', normalized: 'r/app:1', status: 'pass', policies: [], uses: [{ file: 'a.yaml', line: 1, kind: 'Pod', container }] }],
  unmatched: 'allow',
});

t.test('control characters and bidi overrides are written out; tab and newline are kept', async (t) => {
  t.equal(escapeControls('a\u001b[31mb\rc\u202ed\te\nf\u0085'), 'a\\x1b[31mb\\rc\\u202ed\te\nf\\x85');
});

t.test('a result with nothing to escape is returned as it is; one with is copied, the original untouched', async (t) => {
  const clean = result('app');
  t.equal(escapeResult(clean), clean, 'no copy of 10,000 uses for nothing');
  const dirty = result('app\u001b[32m');
  const shown = escapeResult(dirty);
  t.equal(shown.results[0]!.uses[0]!.container, 'app\\x1b[32m');
  t.equal(dirty.results[0]!.uses[0]!.container, 'app\u001b[32m', 'JSON still prints the value as it is');
  t.equal(shown.summary, dirty.summary, 'untouched parts are shared');
});
