// Issue 21.3: what policy-controller's ClusterImagePolicy webhook refuses (its Validate methods in
// pkg/apis/policy/v1beta1/clusterimagepolicy_validation.go, pkg/apis/policy/common/validation.go)
// is exit 2 here with its words and file:line; what it admits loads and is judged per image.
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { cipPolicy, deployment, repo, startBench, verify, type Bench } from '../parity/fixture.js';

// Started before the cases are written: they embed its host and key.
const b: Bench = await startBench();
t.teardown(() => b.close());

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const base = () => cipPolicy(b);
const edit = (from: string, to: string) => {
  const text = base();
  if (!text.includes(from)) throw new Error(`test bug: ${from}`);
  return text.replace(from, to);
};
const KEY = '    - key:\n';

const refused: [string, string, string, RegExp][] = [
  ['KeyRef.Validate: key.data that does not parse', edit(/data: \|[\s\S]*$/.exec(base())![0], 'data: REPLACE_WITH_COSIGN_PUBLIC_KEY\n'), 'data: REPLACE', /spec\.authorities\[0\]\.key\.data: invalid value: does not parse as a PEM public key/],
  ['KeyRef.Validate: data and kms', edit(KEY, `${KEY}        kms: awskms:///alias/k\n`), '- key:', /spec\.authorities\[0\]\.key: expected exactly one, got both: data, kms/],
  ['Authority.Validate: key and keyless', edit(KEY, '    - keyless: {identities: [{issuer: i, subject: s}]}\n      key:\n'), '- keyless:', /spec\.authorities\[0\]: expected exactly one, got both: key, keyless/],
  ['Authority.Validate: neither key, keyless nor static', edit(/    - key:[\s\S]*$/.exec(base())![0], '    - name: empty\n'), '- name: empty', /expected exactly one, got neither: key, keyless, static/],
  ['Authority.Validate: two sources', edit(KEY, '    - source: [{oci: a.example/sigs}, {oci: b.example/sigs}]\n      key:\n'), '- source:', /only single source is supported/],
  ['common/validation.go ValidateKMS: a KMS URI of no provider', edit(/data: \|[\s\S]*$/.exec(base())![0], 'kms: vault://k\n'), 'kms: vault', /malformed KMS format, should be prefixed by any of the supported providers: \[awskms:\/\/ gcpkms:\/\/ azurekms:\/\/ hashivault:\/\/\]/],
  ['StaticRef.Validate: an unknown action', edit(/    - key:[\s\S]*$/.exec(base())![0], '    - static: {action: maybe}\n'), '- static:', /invalid value: maybe: unsupported action/],
  ['ClusterImagePolicySpec.Validate: an unknown mode', edit('  images:\n', '  mode: shout\n  images:\n'), 'mode: shout', /spec\.mode: invalid value: shout: unsupported mode/],
  ['ImagePattern.Validate (pkg/apis/glob): a glob that does not compile', edit(`"${b.registry.host}/**"`, '"[a-z"'), 'glob:', /invalid value: \[a-z: glob is invalid/],
  ['Attestation.Validate: a predicateType that is no short name and no URL', edit(KEY, `${KEY}        hashAlgorithm: sha256\n`).replace(/(\n)$/, '$1      attestations:\n        - name: a\n          predicateType: not a type\n'), 'predicateType:', /invalid value: not a type: unsupported precicate type/],
  ['Policy.Validate: a policy type other than cue or rego', `${base()}  policy:\n    type: python\n    data: x\n`, 'type: python', /invalid value: python: only \[cue,rego\] are supported at the moment/],
  ['Identity.Validate: issuer and issuerRegExp', edit(/    - key:[\s\S]*$/.exec(base())![0], '    - keyless:\n        identities:\n          - {issuer: i, issuerRegExp: i.*, subject: s}\n'), '- {issuer', /expected exactly one, got both: issuer, issuerRegExp/],
];

for (const [name, policy, needle, message] of refused) {
  t.test(`clusterimagepolicy_validation.go ${name}`, async (t) => {
    const dir = await repo(t, { 'cip.yaml': policy, 'deploy/web.yaml': deployment('web', b.signed) });
    const run = await runCli(dir, ['deploy', '--policy', 'cip.yaml']);
    t.equal(run.code, 2, 'exit 2: the cluster would not have this policy');
    t.equal(run.stdout, '');
    t.match(run.stderr, `cip.yaml:${lineOf(policy, needle)}: `, 'at the line');
    t.match(run.stderr, message);
  });
}

t.test('what the webhook admits loads: a short predicate type, a URL one; a ca-cert that does not parse fails only its images', async (t) => {
  for (const [name, policy, verdicts, code] of [
    ['spdxjson', `${base()}      attestations:\n        - name: sbom\n          predicateType: spdxjson\n`, { 'apps/web:1.0': 'fail' }, 1],
    ['a URL', `${base()}      attestations:\n        - name: sbom\n          predicateType: https://example.com/sbom/v1\n`, { 'apps/web:1.0': 'fail' }, 1],
    [
      'a ca-cert placeholder',
      edit(/    - key:[\s\S]*$/.exec(base())![0], '    - keyless:\n        identities: [{issuer: i, subject: s}]\n        ca-cert:\n          data: REPLACE_WITH_CA_CERT\n'),
      { 'apps/web:1.0': 'error' },
      3,
    ],
  ] as const) {
    await t.test(name, async (t) => {
      const dir = await repo(t, { 'cip.yaml': policy, 'deploy/web.yaml': deployment('web', b.signed) });
      const run = await verify(dir, ['deploy', '--policy', 'cip.yaml']);
      // The signed image has no attestation: failed, not refused.
      t.equal(run.code, code, run.stderr);
      t.same(run.verdicts, verdicts);
      t.match(run.stdout, code === 3 ? 'does not parse as a PEM certificate — a placeholder?' : 'no attestation of type', 'for the reason the case is about');
    });
  }
});
