import t from 'tap';
import { blocking, exitCode, type ImageResult, type PolicyVerdict, type Result, summarize, worst } from '../../src/engine/result.js';

const verdict = (status: PolicyVerdict['status'], extra: Partial<PolicyVerdict> = {}): PolicyVerdict => ({
  policy: 'p',
  file: 'p.yaml',
  line: 1,
  rule: 'rules[0].verifyImages[0]',
  mode: 'enforce',
  status,
  reasons: [],
  onError: 'block',
  ...extra,
});
const image = (status: ImageResult['status'], policies: PolicyVerdict[] = []): ImageResult => ({
  image: 'x',
  normalized: 'docker.io/library/x:latest',
  status,
  policies,
  uses: [],
});
const result = (results: ImageResult[], unmatched: Result['unmatched'] = 'allow'): Result => ({
  summary: summarize(results),
  results,
  unmatched,
});

t.test('worst verdict wins', async (t) => {
  t.equal(worst([]), 'unmatched');
  t.equal(worst(['skip', 'pass']), 'pass');
  t.equal(worst(['pass', 'warn']), 'warn');
  t.equal(worst(['warn', 'error']), 'error');
  t.equal(worst(['error', 'fail', 'pass']), 'fail');
});

t.test('summary counts statuses', async (t) => {
  t.same(summarize([image('pass'), image('fail'), image('pass'), image('unmatched')]), {
    images: 4, pass: 2, fail: 1, warn: 0, skip: 0, unmatched: 1, error: 0,
  });
});

t.test('exit codes: 0 ok, 1 enforced failure, 3 undecided', async (t) => {
  t.equal(exitCode(result([image('pass', [verdict('pass')]), image('skip'), image('unmatched')])), 0);
  t.equal(exitCode(result([image('warn', [verdict('warn', { mode: 'audit' })])])), 0, 'audit failures do not block');
  t.equal(exitCode(result([image('fail', [verdict('fail')])])), 1);
  t.equal(exitCode(result([image('error', [verdict('error')])])), 3, 'undecided under a blocking failure policy');
  t.equal(exitCode(result([image('error', [verdict('error', { onError: 'allow' })])])), 0, 'failurePolicy Ignore');
  t.equal(exitCode(result([image('error', [verdict('error', { mode: 'audit' })])])), 0, 'audit rules never block');
  t.equal(exitCode(result([image('error', [verdict('error')]), image('fail', [verdict('fail')])])), 1, 'a failure outranks an error');
  t.equal(exitCode(result([image('unmatched')], 'fail')), 1, 'unmatched: fail');
  t.equal(exitCode(result([image('error')])), 3, 'an unparseable reference blocks');
});

t.test('blocking names the reason', async (t) => {
  t.equal(blocking(image('pass', [verdict('pass')]), 'allow'), null);
  t.equal(blocking(image('fail', [verdict('fail')]), 'allow'), 'fail');
  t.equal(blocking(image('error', [verdict('error')]), 'allow'), 'error');
});
