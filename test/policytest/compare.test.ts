// Expectations that name something the test's policies do not define fail loudly: a misspelled policy
// or rule must never read as "skip" or "unmatched" and pass.
import t from 'tap';
import type { Result } from '../../src/engine/result.js';
import { compare } from '../../src/policytest/compare.js';
import { parseTestFile } from '../../src/policytest/test-file.js';

const result: Result = {
  summary: { images: 1, pass: 1, fail: 0, warn: 0, skip: 0, unmatched: 0, error: 0 },
  unmatched: 'allow',
  results: [
    {
      image: 'r.example/app:1',
      normalized: 'r.example/app:1',
      status: 'pass',
      uses: [{ file: 'pod.yaml', line: 5, kind: 'Pod', name: 'web', namespace: 'shop', container: 'c' }],
      policies: [{ policy: 'signed', file: 'p.yaml', line: 1, rule: 'rules[0].verifyImages[0]', ruleName: 'check', mode: 'enforce', status: 'pass', reasons: ['ok'], onError: 'block' }],
    },
  ],
};
const rules = [{ policy: 'signed', rule: 'rules[0].verifyImages[0]', ruleName: 'check' }, { policy: 'images', rule: 'spec' }];

t.test('a policy or rule the policies do not define is a failing check, whatever status is expected', async (t) => {
  const test = parseTestFile(
    `policies: [p]\nresources: [r]\nresults:\n  - {image: r.example/app:1, status: unmatched, policy: signd}\n  - {image: r.example/app:1, status: unmatched, policy: signed, rule: chek}\n  - {image: r.example/app:1, status: pass, policy: signed, rule: check}\n`,
    '/x/verify-images-test.yaml',
    'verify-images-test.yaml',
  );
  const checks = compare(test, result, rules);
  t.same(checks.map((c) => c.ok), [false, false, true]);
  t.match(checks[0]!.reasons[0], 'no policy named signd in the test\'s policies (they define signed, images)');
  t.match(checks[1]!.reasons[0], 'policy signed has no rule chek (its rules: check)');
});

t.test("Kyverno results: an ImageValidatingPolicy's result names no rule; a misspelled policy fails", async (t) => {
  const test = parseTestFile(
    `apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: x}\npolicies: [p.yaml]\nresources: [r.yaml]\nresults:\n  - {policy: images, isImageValidatingPolicy: true, resources: [web], kind: Pod, result: skip}\n  - {policy: signed, rule: check, resources: [shop/web], kind: Pod, result: pass}\n  - {policy: sigend, rule: check, resources: [web], kind: Pod, result: skip}\n`,
    '/x/kyverno-test.yaml',
    'kyverno-test.yaml',
  );
  const checks = compare(test, result, rules);
  t.same(checks.map((c) => [c.ok, c.got]), [[true, 'skip'], [true, 'pass'], [false, 'not found']]);
});
