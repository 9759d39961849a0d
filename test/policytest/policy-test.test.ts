// `verify-images test`: record once against the real registry, then replay with the registry
// stopped (nothing else could produce the verdicts); per-image expectations, Kyverno's Test files,
// edited fixtures, requests never recorded, broken test files, report formats.
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry } from '../../src/testkit/registry-server.js';
import { runCli, tempRepo } from '../helpers/cli.js';
import { deployment, kyverno } from '../helpers/engine.js';

const key = generateKeyPair('ecdsa-p256');

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  return out;
}

/** A repository of policy tests recorded against a registry that is stopped before the test goes on. */
async function recorded(t: Test, extra: (host: string) => Record<string, string> = () => ({}), record = ['tests'], keepRunning = false) {
  const registry = await startRegistry({ htpasswd: { ci: 'registry-secret-pass-1' } });
  const auth = { username: 'ci', password: 'registry-secret-pass-1' };
  const signed = await pushImage(registry.host, 'team/web', '1.0', { seed: 'pt-signed', auth });
  await signImage({ registry: registry.host, repo: 'team/web', digest: signed, key, auth });
  const unsigned = await pushImage(registry.host, 'team/worker', '1.0', { seed: 'pt-unsigned', auth });
  const host = registry.host;
  const dir = await tempRepo(
    t,
    {
      'policies/signed.yaml': kyverno({ name: 'signed-images', refs: [`${host}/*`], keys: [key] }),
      'apps/deploy.yaml': deployment('web', `${host}/team/web:1.0`) + '---\n' + deployment('worker', `${host}/team/worker:1.0`),
      'tests/verify-images-test.yaml': `name: signed images only
policies: [../policies]
resources: [../apps]
fixtures: fixtures
now: 2026-11-27T12:00:00Z
results:
  - image: ${host}/team/web:1.0
    status: pass
  - image: ${host}/team/worker:1.0
    status: fail
    policy: signed-images
    rule: check
    reason: no signatures found
`,
      '.docker/config.json': JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') } } }),
      ...extra(host),
    },
    { prefix: 'vi-ptest-' },
  );
  const env = { XDG_CACHE_HOME: path.join(dir, '.cache'), XDG_CONFIG_HOME: path.join(dir, '.config'), DOCKER_CONFIG: path.join(dir, '.docker') };
  const rec = await runCli(dir, ['test', '--record', ...record], { env });
  if (keepRunning) t.teardown(() => registry.stop());
  else await registry.stop();
  return { dir, host, signed, unsigned, rec, env };
}

t.test('record once, then replay offline: the verdicts come from the fixtures alone', async (t) => {
  const { dir, rec, env } = await recorded(t);
  t.equal(rec.code, 0, rec.stdout + rec.stderr);
  t.match(rec.stderr, /recorded tests\/fixtures: \d+ files, [\d.]+ KB \(\d+ added, 0 removed, 0 unchanged\)/);

  const r = await runCli(dir, ['test', 'tests'], { env: { ...env, DOCKER_CONFIG: path.join(dir, 'nowhere') } });
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /PASS {3}tests\/verify-images-test\.yaml \(signed images only\): 2\/2 results as expected/);
  t.match(r.stdout, /1 tests: 1 passed, 0 failed/);

  // Nothing of the credentials was written: not the password, not the header, not the token.
  for (const f of await files(path.join(dir, 'tests/fixtures'))) {
    const text = (await readFile(f)).toString('latin1');
    t.notMatch(text, /registry-secret-pass-1|Basic |authorization|Y2k6cmVn/i, path.basename(f));
  }

  // The JSON report says the same.
  const json = JSON.parse((await runCli(dir, ['test', 'tests', '-o', 'json'], { env })).stdout);
  t.same(json.summary, { tests: 1, passed: 1, failed: 0, broken: 0 });
});

t.test('a wrong expectation fails with expected, got and the reasons', async (t) => {
  const { dir, host, env } = await recorded(t);
  const file = path.join(dir, 'tests/verify-images-test.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace(`team/worker:1.0\n    status: fail`, `team/worker:1.0\n    status: pass`));
  const r = await runCli(dir, ['test', 'tests'], { env });
  t.equal(r.code, 1);
  t.match(r.stdout, /FAIL {3}tests\/verify-images-test\.yaml \(signed images only\): 1\/2 results as expected/);
  t.match(r.stdout, new RegExp(`${host.replace(/\./g, '\\.')}/team/worker:1\\.0 under signed-images/check \\(line 9\\)\\n\\s+expected: pass\\n\\s+got: +fail\\n\\s+- .*no signatures found`));

  for (const [format, pattern] of [
    ['tap', /^TAP version 14\n1\.\.1\nnot ok 1 - tests\/verify-images-test\.yaml/],
    ['junit', /<testsuite name="verify-images test" tests="1" failures="1" errors="0">[\s\S]*<failure message="1 of 2 results differ">/],
  ] as const) {
    const out = await runCli(dir, ['test', 'tests', '-o', format], { env });
    t.equal(out.code, 1, format);
    t.match(out.stdout, pattern, format);
  }
});

t.test('an edited fixture and a request never recorded: errors, never a network call', async (t) => {
  const { dir, signed, host, env } = await recorded(t);
  const index = JSON.parse(await readFile(path.join(dir, 'tests/fixtures/registry.json'), 'utf8'));
  const sig = index.manifests[`${host}/team/web:${signed.replace(':', '-')}.sig`];
  t.ok(sig, 'the signature manifest was recorded');
  const blob = path.join(dir, 'tests/fixtures/blobs/sha256', sig.digest.slice(7));
  // The signature manifest, edited: caught by its digest.
  await writeFile(blob, (await readFile(blob, 'utf8')).replace('"schemaVersion":2', '"schemaVersion": 2'));
  const edited = await runCli(dir, ['test', 'tests', '-o', 'json'], { env });
  t.equal(edited.code, 1);
  const check = JSON.parse(edited.stdout).tests[0].checks[0];
  t.equal(check.got, 'error');
  t.match(check.reasons.join('\n'), /fixture .*blobs\/sha256\/[0-9a-f]{64}: content hashes to sha256:[0-9a-f]{64}, expected sha256:[0-9a-f]{64}: the fixture was changed after it was recorded \(record the fixtures again/);

  // A new image in the manifests: "not recorded", with the way out.
  await writeFile(path.join(dir, 'apps/new.yaml'), deployment('new', `${host}/team/new:2.0`));
  const file = path.join(dir, 'tests/verify-images-test.yaml');
  await writeFile(file, `${await readFile(file, 'utf8')}  - image: ${host}/team/new:2.0\n    status: error\n    reason: 'not recorded: ${host}/team/new:2.0'\n`);
  const fresh = await runCli(dir, ['test', 'tests', '-o', 'json'], { env });
  const checks = JSON.parse(fresh.stdout).tests[0].checks;
  t.equal(checks[2].got, 'error');
  t.ok(checks[2].ok, checks[2].reasons.join('; '));
  t.match(checks[2].reasons.join(), /record the fixtures again: verify-images test --record/);
});

t.test("Kyverno's kyverno-test.yaml runs as written, against fixtures beside it", async (t) => {
  const kyvernoTest = (host: string) => ({
    'kyverno/policy.yaml': kyverno({ name: 'check-image', refs: [`${host}/*`], keys: [key] }).replace('- name: check', '- name: verify-signature'),
    'kyverno/resources.yaml': `apiVersion: v1
kind: Pod
metadata: {name: signed-pod, namespace: apps}
spec: {containers: [{name: c, image: "${host}/team/web:1.0"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: unsigned-pod, namespace: apps}
spec: {containers: [{name: c, image: "${host}/team/worker:1.0"}]}
`,
    'kyverno/kyverno-test.yaml': `apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: check-image
policies: [policy.yaml]
resources: [resources.yaml]
results:
  - policy: check-image
    rule: verify-signature
    resources: [signed-pod]
    kind: Pod
    result: pass
  - policy: check-image
    rule: verify-signature
    resources: [apps/unsigned-pod]
    kind: Pod
    result: fail
`,
  });
  const { dir, env, rec } = await recorded(t, kyvernoTest, ['tests', 'kyverno']);
  t.equal(rec.code, 0, rec.stdout + rec.stderr);
  t.match(rec.stderr, /recorded kyverno\/fixtures: /);
  const r = await runCli(dir, ['test', 'kyverno'], { env });
  t.equal(r.code, 0, r.stdout);
  t.match(r.stdout, /PASS {3}kyverno\/kyverno-test\.yaml \(check-image\): 2\/2 results as expected/);
  // The expectation Kyverno users write for an unsigned image in Audit mode (fail) holds too; a wrong one does not.
  const file = path.join(dir, 'kyverno/kyverno-test.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace('resources: [signed-pod]\n    kind: Pod\n    result: pass', 'resources: [signed-pod]\n    kind: Pod\n    result: skip'));
  const wrong = await runCli(dir, ['test', 'kyverno'], { env });
  t.equal(wrong.code, 1);
  t.match(wrong.stdout, /check-image\/verify-signature on Pod signed-pod \(line \d+\)\n\s+expected: skip\n\s+got: +pass/);
});

t.test('broken test files are exit 2 with file:line; unsupported Kyverno fields are named', async (t) => {
  const dir = await tempRepo(
    t,
    {
      'a/verify-images-test.yaml': 'policies: [p]\nresources: [r]\nresultz: []\n',
      'b/kyverno-test.yaml': 'apiVersion: cli.kyverno.io/v1alpha1\nkind: Test\nmetadata: {name: x}\npolicies: [p.yaml]\nresources: [r.yaml]\nvariables: values.yaml\nresults:\n  - policy: p\n    rule: r\n    resources: [x]\n    result: pass\n',
      'c/verify-images-test.yaml': 'policies: [p]\nresources: [r]\nresults:\n  - image: x\n    status: passed\n',
    },
    { prefix: 'vi-ptest-' },
  );
  const r = await runCli(dir, ['test']);
  t.equal(r.code, 2);
  t.match(r.stdout, /BROKEN a\/verify-images-test\.yaml[\s\S]*a\/verify-images-test\.yaml:3: resultz: unknown field/);
  t.match(r.stdout, /b\/kyverno-test\.yaml:6: variables: not supported by verify-images test .*run this test with kyverno test/);
  t.match(r.stdout, /c\/verify-images-test\.yaml:4: results\[0\]: status must be one of pass, fail, warn, skip, error, unmatched/);
  const none = await runCli(await tempRepo(t, {}, { prefix: 'vi-ptest-' }), ['test']);
  t.equal(none.code, 2);
  t.match(none.stderr, /no test files/);
  await mkdir(path.join(dir, 'x'));
});

t.test('re-recording what did not change changes nothing (stable, reviewable diffs)', async (t) => {
  const { dir, env, rec } = await recorded(t, () => ({}), ['tests'], true);
  t.equal(rec.code, 0);
  const before = await readFile(path.join(dir, 'tests/fixtures/registry.json'), 'utf8');
  const again = await runCli(dir, ['test', '--record', 'tests'], { env });
  t.equal(again.code, 0);
  t.match(again.stderr, /\(0 added, 0 removed, \d+ unchanged\)/);
  t.equal(await readFile(path.join(dir, 'tests/fixtures/registry.json'), 'utf8'), before, 'registry.json byte for byte');
  t.match(before, /^\{\n "version": 1,\n "tags": \{\n/, 'one entry per line');
});

t.test('now: also fixes CEL time.now() in ImageValidatingPolicies', async (t) => {
  const policy = `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: until-2031
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE"]
        resources: ["pods"]
  matchImageReferences:
    - glob: "registry.example.test/*"
  validationConfigurations:
    mutateDigest: false
    verifyDigest: false
    required: false
  validations:
    - message: images are allowed until 2031
      expression: time.now() < "2031"
`;
  const test = (now: string, status: string) => `policies: [policy.yaml]\nresources: [pod.yaml]\nnow: "${now}"\nresults:\n  - image: registry.example.test/app:1\n    status: ${status}\n`;
  const dir = await tempRepo(
    t,
    {
      'policy.yaml': policy,
      'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: registry.example.test/app:1}]}\n',
      'a/verify-images-test.yaml': test('2030-06-01T00:00:00Z', 'pass').replace(/\[(policy|pod)\.yaml\]/g, '[../$1.yaml]'),
      'b/verify-images-test.yaml': test('2031-06-01T00:00:00Z', 'fail').replace(/\[(policy|pod)\.yaml\]/g, '[../$1.yaml]'),
    },
    { prefix: 'vi-ptest-' },
  );
  const r = await runCli(dir, ['test', '-o', 'json']);
  t.equal(r.code, 0, r.stdout);
  t.same(JSON.parse(r.stdout).tests.map((x: { checks: { got: string }[] }) => x.checks[0]!.got), ['pass', 'fail']);
});
