// Issue 21.3: what Kyverno's own policy validation refuses is refused here (exit 2, Kyverno's
// words, file:line), and what it admits loads. Each case names the upstream source of the check.
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { deployment, kyvernoPolicy, repo, startBench, verify, type Bench } from '../parity/fixture.js';

// Started before the cases are written: they embed its host and key.
const b: Bench = await startBench();
t.teardown(() => b.close());

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** The bench policy with its verifyImages entry edited. */
const edit = (spec: string, from: string, to: string) => {
  const text = kyvernoPolicy(b, { spec });
  if (!text.includes(from)) throw new Error(`test bug: ${from}`);
  return text.replace(from, to);
};
const ENTRY = '        - imageReferences:';
const KEYS = '                - keys:\n';

const refused: [string, string, string, RegExp][] = [
  [
    'api/kyverno/v1/image_verification_types.go ImageVerification.Validate: Audit with mutateDigest: true',
    edit('  validationFailureAction: Audit\n', 'mutateDigest: false', 'mutateDigest: true'),
    'mutateDigest: true',
    /spec\.rules\[0\]\.verifyImages\[0\]\.mutateDigest: mutateDigest must be set to false for 'Audit' failure action/,
  ],
  [
    'image_verification_types.go ImageVerification.Validate: a rule-level failureAction: Audit with mutateDigest: true',
    edit('  validationFailureAction: Enforce\n', 'mutateDigest: false', 'failureAction: Audit\n          mutateDigest: true'),
    'mutateDigest: true',
    /mutateDigest must be set to false for 'Audit' failure action/,
  ],
  [
    'image_verification_types.go ImageVerification.Validate: no image reference',
    edit('  validationFailureAction: Enforce\n', `${ENTRY} ["${b.registry.host}/*"]`, `${ENTRY} []`),
    'imageReferences: []',
    /imageReferences: An image reference is required/,
  ],
  [
    'image_verification_types.go ImageVerification.Validate: keys under type Notary',
    edit('  validationFailureAction: Enforce\n', ENTRY, '        - type: Notary\n          imageReferences:'),
    '- keys:',
    /keys: Keys field is not allowed for type notary/,
  ],
  [
    'image_verification_types.go ImageVerification.Validate: keyless under type Notary',
    edit('  validationFailureAction: Enforce\n', ENTRY, '        - type: Notary\n          imageReferences:').replace(KEYS, '                - keyless: {subject: a, issuer: b}\n                  keys:\n'),
    '- keyless:',
    /keyless: Keyless field is not allowed for type notary/,
  ],
  [
    'image_verification_types.go Attestor.Validate: an entry with two signers',
    edit('  validationFailureAction: Enforce\n', KEYS, '                - keyless: {subject: a, issuer: b}\n                  keys:\n'),
    '- keyless:',
    /keys, certificates, keyless, or a nested attestor is required/,
  ],
  [
    'image_verification_types.go StaticKeyAttestor.Validate: keys without publicKeys, kms or secret',
    edit('  validationFailureAction: Enforce\n', KEYS, '                - keys: {rekor: {ignoreTlog: true}}\n                  repository: x\n                - keys:\n'),
    'keys: {rekor',
    /A key is required/,
  ],
  [
    'pkg/validation/policy/validate.go: a verifyImages rule that also validates',
    edit('  validationFailureAction: Enforce\n', '      verifyImages:\n', '      validate:\n        message: x\n        pattern: {metadata: {name: "*"}}\n      verifyImages:\n'),
    'validate:',
    /multiple operations defined in the rule 'check', only one operation \(mutate,validate,generate,verifyImages\) is allowed per rule/,
  ],
];

for (const [name, policy, needle, message] of refused) {
  t.test(name, async (t) => {
    const dir = await repo(t, { 'p.yaml': policy, 'deploy/web.yaml': deployment('web', b.signed) });
    const run = await runCli(dir, ['deploy', '--policy', 'p.yaml']);
    t.equal(run.code, 2, 'exit 2: the cluster would not have this policy');
    t.equal(run.stdout, '', 'no verdicts');
    t.match(run.stderr, `p.yaml:${lineOf(policy, needle)}: `, 'at the line');
    t.match(run.stderr, message);
  });
}

t.test('what Kyverno admits loads, and is judged per image', async (t) => {
  const cases: [string, string, Record<string, string>, number][] = [
    ['Audit with mutateDigest: false', edit('  validationFailureAction: Audit\n', 'verifyDigest: false', 'verifyDigest: false'), { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'warn' }, 0],
    // kyverno/policies ships Audit policies without mutateDigest, and its own tests apply them.
    ['Audit with mutateDigest unset', edit('  validationFailureAction: Audit\n', '          mutateDigest: false\n', ''), { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'warn' }, 0],
    ['a kms key written with a variable (resolved at admission): undecided where the other key verifies, failed where it does not', edit('  validationFailureAction: Enforce\n', KEYS, '                - keys:\n                    kms: "awskms:///{{ request.namespace }}"\n                - keys:\n'), { 'apps/web:1.0': 'error', 'apps/rogue:1.0': 'fail' }, 1],
  ];
  for (const [name, policy, verdicts, code] of cases) {
    await t.test(name, async (t) => {
      const dir = await repo(t, { 'p.yaml': policy, 'deploy/web.yaml': deployment('web', b.signed), 'deploy/rogue.yaml': deployment('rogue', b.unsigned) });
      const run = await verify(dir, ['deploy', '--policy', 'p.yaml']);
      t.equal(run.code, code, run.stderr);
      t.same(run.verdicts, verdicts);
    });
  }
});
