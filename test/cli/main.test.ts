// The CLI in-process: exit code 2 cases with file:line, and the JSON contract.
import path from 'node:path';
import t from 'tap';
import { pod, runCli, staticPolicy, tempRepo } from '../helpers/cli.js';

async function cli(cwd: string, args: string[], stdin = '') {
  return runCli(cwd, args, { stdin });
}

const repo = (t: { teardown: (fn: () => unknown) => void }, files: Record<string, string>) => tempRepo(t, files, { prefix: 'vi-cli-' });

const STATIC_PASS = staticPolicy('allow-internal', 'registry.internal/**', 'pass');
const POD = pod({ web: 'registry.internal/web:1.0', sidecar: 'docker.io/library/busybox:1.36' });

t.test('verifies from .verify-images/ with -o json in the documented shape', async (t) => {
  const dir = await repo(t, { '.verify-images/allow.yaml': STATIC_PASS, 'apps/pod.yaml': POD });
  const { code, stdout } = await cli(dir, ['apps', '-o', 'json']);
  t.equal(code, 0);
  const out = JSON.parse(stdout);
  t.same(out.summary, { images: 2, pass: 0, fail: 0, warn: 0, skip: 1, unmatched: 1, error: 0 });
  t.match(out.results[0], {
    image: 'registry.internal/web:1.0',
    normalized: 'registry.internal/web:1.0',
    status: 'skip',
    policies: [{ policy: 'allow-internal', file: path.join('.verify-images', 'allow.yaml'), line: Number, rule: String, mode: 'enforce', status: 'skip' }],
    uses: [{ file: path.join('apps', 'pod.yaml'), line: 8, kind: 'Pod', name: 'web', container: 'web' }],
  });
  t.equal(out.results[1].status, 'unmatched');
});

t.test('stdin and -f work', async (t) => {
  const dir = await repo(t, { '.verify-images/allow.yaml': STATIC_PASS, 'pod.yaml': POD });
  const piped = await cli(dir, ['-', '-o', 'json'], POD);
  t.equal(JSON.parse(piped.stdout).summary.images, 2);
  const f = await cli(dir, ['-f', 'pod.yaml', '-o', 'json']);
  t.equal(JSON.parse(f.stdout).results[0].uses[0].file, 'pod.yaml');
});

t.test('malformed YAML is exit 2 with file:line:column', async (t) => {
  const dir = await repo(t, { '.verify-images/allow.yaml': STATIC_PASS, 'apps/bad.yaml': 'apiVersion: v1\nkind: Pod\nspec: [a, b\n  c: d\n' });
  const { code, stderr, stdout } = await cli(dir, ['apps']);
  t.equal(code, 2);
  t.equal(stdout, '', 'nothing verified, nothing printed on stdout');
  t.match(stderr, /apps[/\\]bad\.yaml:\d+:\d+: /);
});

t.test('an invalid policy is exit 2 naming the file and line', async (t) => {
  const bad = STATIC_PASS.replace('"registry.internal/**"', '"[a-z]*"');
  const dir = await repo(t, { '.verify-images/allow.yaml': bad, 'apps/pod.yaml': POD });
  const { code, stderr } = await cli(dir, ['apps']);
  t.equal(code, 2);
  t.match(stderr, /allow\.yaml:7: /);
});

t.test('no policy anywhere is exit 2, not a silent pass', async (t) => {
  const dir = await repo(t, { 'apps/pod.yaml': POD });
  const { code, stderr } = await cli(dir, ['apps']);
  t.equal(code, 2);
  t.match(stderr, /no policy found/);
});

t.test('unknown output format and missing paths are usage errors', async (t) => {
  const dir = await repo(t, { '.verify-images/allow.yaml': STATIC_PASS, 'apps/pod.yaml': POD });
  t.equal((await cli(dir, ['apps', '-o', 'csv'])).code, 2);
  t.equal((await cli(dir, ['nope/'])).code, 2);
});

t.test('the table explains what is not passing', async (t) => {
  const dir = await repo(t, { '.verify-images/allow.yaml': staticPolicy('allow-internal', 'registry.internal/**', 'fail', 'internal images are frozen'), 'apps/pod.yaml': POD });
  const { code, stdout } = await cli(dir, ['apps']);
  t.equal(code, 1);
  t.match(stdout, /^STATUS\s+IMAGE\s+DIGEST\s+POLICIES/);
  t.match(stdout, /internal images are frozen/);
  t.match(stdout, /used by Pod\/web container web at apps[/\\]pod\.yaml:8/);
});

t.test('-k renders with the real kustomize and traces images to their source file', async (t) => {
  const dir = await repo(t, {
    '.verify-images/allow.yaml': STATIC_PASS,
    'base/kustomization.yaml': 'resources:\n  - pod.yaml\n',
    'base/pod.yaml': POD,
    'overlay/kustomization.yaml': 'resources:\n  - ../base\nimages:\n  - name: registry.internal/web\n    newTag: "2.0"\n',
  });
  const { code, stdout, stderr } = await cli(dir, ['-k', 'overlay', '-o', 'json']);
  t.equal(code, 0, stderr);
  const web = JSON.parse(stdout).results.find((r: { image: string }) => r.image.startsWith('registry.internal/web'));
  t.equal(web.image, 'registry.internal/web:2.0', 'the overlay changed the tag');
  t.equal(web.uses[0].file, path.join('base', 'pod.yaml'), 'traced back to the base file');
});
