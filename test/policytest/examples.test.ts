// The project's own policy tests (one per format) run offline from their committed fixtures: the
// images are named registry.example.test (a name that cannot resolve), no registry is started, and
// no docker config is given, so only the fixtures can produce these verdicts.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runCli, tempRepo } from '../helpers/cli.js';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/policy-tests');

t.test('every example policy test passes offline, per image', async (t) => {
  const cwd = await tempRepo(t, {}, { prefix: 'vi-examples-' });
  const r = await runCli(cwd, ['test', examples, '-o', 'json'], { env: { XDG_CACHE_HOME: path.join(cwd, '.cache'), XDG_CONFIG_HOME: path.join(cwd, '.config'), DOCKER_CONFIG: path.join(cwd, 'none') } });
  t.equal(r.code, 0, r.stdout);
  const tests = JSON.parse(r.stdout).tests as { file: string; format: string; checks: { subject: string; got: string; ok: boolean }[] }[];
  t.same(
    tests.map((x) => path.basename(path.dirname(x.file.replace('/.kyverno-test', '')))).sort(),
    ['cip', 'ivpol', 'kyverno', 'notation', 'tanzu'],
    'one test per format',
  );
  for (const test of tests) {
    t.same(test.checks.map((c) => c.got).sort(), ['fail', 'pass'], `${test.file}: the signed image passes, the unsigned fails`);
    t.ok(test.checks.every((c) => c.ok), test.file);
  }
});

t.test('the Argo CD and Flux examples test their own policies against the rendered apps, offline', async (t) => {
  const cwd = await tempRepo(t, {}, { prefix: 'vi-examples-' });
  const root = path.resolve(examples, '..');
  const r = await runCli(cwd, ['test', path.join(root, 'argocd-app'), path.join(root, 'flux-app'), '-o', 'json'], {
    env: { XDG_CACHE_HOME: path.join(cwd, '.cache'), XDG_CONFIG_HOME: path.join(cwd, '.config'), DOCKER_CONFIG: path.join(cwd, 'none') },
  });
  t.equal(r.code, 0, r.stdout);
  const tests = JSON.parse(r.stdout).tests as { name: string; checks: { subject: string; got: string; reasons: string[] }[] }[];
  t.same(
    tests.map((x) => [x.name, x.checks.map((c) => [c.subject, c.got])]),
    [
      ['guestbook prod overlay is signed', [['ghcr.io/example/guestbook:1.1 under signed-example-images', 'pass']]],
      ['shop app is signed', [['ghcr.io/example/shop:1.0 under signed-example-images', 'pass']]],
    ],
  );
  t.match(tests[0]!.checks[0]!.reasons.join(), /signed by/, 'a verified signature, from the fixtures');
});
