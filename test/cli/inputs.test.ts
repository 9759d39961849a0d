// Inputs that used to pass silently: stdin ignored, symlinks out of the tree, binary files,
// invalid references, nothing found. Each case runs where nothing else could give its result:
// a working directory holding only the case, a policy that decides without a registry.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { pod, runCli, staticPolicy, tempRepo } from '../helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DENY = staticPolicy('deny-all', '**', 'fail', 'not allowed');
const POD = pod({ web: 'registry.internal/web:1.0' });
const json = (stdout: string) => JSON.parse(stdout) as { summary: Record<string, number>; results: { image: string; status: string; uses: { file: string; line: number }[] }[] };

/** An empty working directory, and a policy directory beside it (not below it). */
async function emptyCase(t: { teardown: (fn: () => unknown) => void }) {
  const base = await mkdtemp(path.join(os.tmpdir(), 'vi-inputs-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  await mkdir(path.join(base, 'cwd'));
  await mkdir(path.join(base, 'policies'));
  await writeFile(path.join(base, 'policies', 'deny.yaml'), DENY);
  return { cwd: path.join(base, 'cwd'), policies: path.join(base, 'policies'), base };
}

/** The real launcher, as kubectl runs it, with `stdin` piped. */
function plugin(cwd: string, args: string[], stdin: string | null): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'plugin', 'kubectl-verify_images'), ...args], {
      cwd,
      env: { ...process.env, XDG_CACHE_HOME: path.join(cwd, '..', 'cache'), XDG_CONFIG_HOME: path.join(cwd, '..', 'config'), NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // null: the pipe stays open and empty until the launcher has exited (a CI step that never closes it).
    if (stdin === null) child.on('exit', () => child.stdin.end());
    else child.stdin.end(stdin);
  });
}

t.test('an open, empty stdin never keeps the launcher alive, also when the run fails (a policy error)', async (t) => {
  const { cwd } = await emptyCase(t);
  await writeFile(path.join(cwd, 'pod.yaml'), POD);
  await mkdir(path.join(cwd, '.git'));
  await mkdir(path.join(cwd, '.verify-images'));
  await writeFile(path.join(cwd, '.verify-images', 'p.yaml'), DENY.replace('spec:', 'spec:\n  imagez: []'));
  // Had the launcher kept listening on stdin, this would never settle: stdin is closed only once it has exited.
  const failed = await plugin(cwd, [], null);
  t.equal(failed.code, 2);
  t.match(failed.stderr, /imagez/);
});

t.test('`-` reads stdin: the real launcher, from an empty directory, blocks the piped image', async (t) => {
  const { cwd, policies } = await emptyCase(t);
  for (const args of [['-'], ['-f', '-'], ['verify', '-'], ['--filename=-']]) {
    const r = await plugin(cwd, [...args, '-p', policies, '-o', 'json'], POD);
    t.equal(r.code, 1, `${args.join(' ')}: blocked`);
    const out = json(r.stdout);
    t.same(out.results.map((x) => [x.image, x.status]), [['registry.internal/web:1.0', 'fail']], `${args.join(' ')}: the piped image, failed`);
    t.equal(out.results[0]!.uses[0]!.file, '<stdin>');
    t.equal(out.results[0]!.uses[0]!.line, 8);
  }
});

t.test('stdin is read once however often `-` is named, and never replaced by `.`', async (t) => {
  const { cwd, policies } = await emptyCase(t);
  // A manifest in the working directory that must NOT be read when `-` is given.
  await writeFile(path.join(cwd, 'other.yaml'), pod({ other: 'registry.internal/other:1' }));
  const r = await runCli(cwd, ['-', '-f', '-', '-p', policies, '-o', 'json'], { stdin: POD });
  t.equal(r.code, 1);
  t.same(json(r.stdout).results.map((x) => x.image), ['registry.internal/web:1.0']);
});

t.test('`pin -` verifies stdin and prints the diff against it; --write prints the pinned stream', async (t) => {
  const { cwd, policies } = await emptyCase(t);
  const r = await runCli(cwd, ['pin', '-', '-p', policies], { stdin: POD });
  t.equal(r.code, 1, 'the image failed: nothing to pin, and the exit code says why');
  t.match(r.stderr, /registry\.internal\/web:1\.0.*fail/);
});

t.test('below an input, a symlink leaving the repository (outside git: the input) is exit 2 naming it; loops and inner links are harmless', async (t) => {
  const { cwd, policies, base } = await emptyCase(t);
  await mkdir(path.join(base, 'outside'));
  await writeFile(path.join(base, 'outside', 'secret.yaml'), pod({ x: 'registry.internal/outside:1' }));
  await mkdir(path.join(cwd, 'apps'));
  await writeFile(path.join(cwd, 'apps', 'web.yaml'), POD);
  await symlink('.', path.join(cwd, 'apps', 'loop'));
  await symlink('web.yaml', path.join(cwd, 'apps', 'inside.yaml'));
  const r = await runCli(cwd, ['apps', '-p', policies, '-o', 'json']);
  t.equal(r.code, 1);
  t.same(json(r.stdout).results.map((x) => x.image), ['registry.internal/web:1.0'], 'the file inside the tree (once)');
  for (const [name, target] of [['leak.yaml', path.join(base, 'outside', 'secret.yaml')], ['up', '..'], ['etc', '/etc']] as const) {
    await symlink(target, path.join(cwd, 'apps', name));
    const out = await runCli(cwd, ['apps', '-p', policies, '-o', 'json']);
    t.equal(out.code, 2, `${name} -> ${target}`);
    t.match(out.stderr, new RegExp(`apps/${name.replace('.', '\\.')}: a symlink to .*, outside .*not in a git repository, so links must stay inside the input`));
    t.equal(out.stdout, '', 'nothing verified');
    await rm(path.join(cwd, 'apps', name));
  }
});

t.test('a file that is not text is exit 2 naming it, never "0 images"', async (t) => {
  const { cwd, policies } = await emptyCase(t);
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
  await writeFile(path.join(cwd, 'logo.yaml'), png);
  const r = await runCli(cwd, ['logo.yaml', '-p', policies]);
  t.equal(r.code, 2);
  t.match(r.stderr, /logo\.yaml: not a text file \(NUL byte at offset \d+\)/);
  t.equal(r.stdout, '');
  const piped = await runCli(cwd, ['-', '-p', policies], { stdin: `${POD}\u0000` });
  t.equal(piped.code, 2);
  t.match(piped.stderr, /<stdin>: not a text file/);
  await writeFile(path.join(cwd, 'latin1.yaml'), Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xe9, 0x0a]));
  const latin = await runCli(cwd, ['latin1.yaml', '-p', policies]);
  t.equal(latin.code, 2);
  t.match(latin.stderr, /latin1\.yaml: not UTF-8 text/);
});

t.test('an invalid image reference is a manifest error: exit 2 at file:line', async (t) => {
  const { cwd, policies } = await emptyCase(t);
  await writeFile(path.join(cwd, 'bad.yaml'), pod({ web: 'registry.internal/Web:1.0' }));
  const r = await runCli(cwd, ['bad.yaml', '-p', policies]);
  t.equal(r.code, 2);
  t.match(r.stderr, /^error: bad\.yaml:8:\d+: invalid image reference "registry\.internal\/Web:1\.0": repository name must be lowercase/m);
  t.equal(r.stdout, '');
});

t.test('no image found is said on stderr (exit 0: an app of CRDs only is legitimate)', async (t) => {
  const { cwd, policies } = await emptyCase(t);
  await writeFile(path.join(cwd, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n');
  const r = await runCli(cwd, ['cm.yaml', '-p', policies]);
  t.equal(r.code, 0);
  t.match(r.stderr, /warning: no container images found in cm\.yaml \(1 Kubernetes objects read\)/);
});

t.test("kubectl's habits: -v=6 and -v 6 are verbosity, not paths; -R is accepted", async (t) => {
  const dir = await tempRepo(t, { 'apps/pod.yaml': POD, 'p/deny.yaml': DENY }, { prefix: 'vi-habits-' });
  for (const args of [['-v=6'], ['-v', '6'], ['--v=2'], ['-R'], ['--recursive']]) {
    const r = await runCli(dir, ['apps', '-p', 'p', ...args, '-o', 'json']);
    t.equal(r.code, 1, `${args.join(' ')}: verified`);
    t.same(json(r.stdout).results.map((x) => x.image), ['registry.internal/web:1.0'], `${args.join(' ')}: only apps/ was read`);
    if (/^--?v\b/.test(args[0]!)) t.match(r.stderr, /verify-images: \d+ manifests/, `${args.join(' ')}: verbose`);
  }
  const quiet = await runCli(dir, ['apps', '-p', 'p', '-v=0']);
  t.notMatch(quiet.stderr, /manifests,/, '-v=0 is kubectl’s default level: not verbose');
});

t.test('a flag takes one value: a path after -p/-f/-k is an input, never another policy (which left `.` verified)', async (t) => {
  const { cwd, policies, base } = await emptyCase(t);
  await mkdir(path.join(base, 'rendered'));
  await writeFile(path.join(base, 'rendered', 'pod.yaml'), POD);
  const rendered = path.join(base, 'rendered');
  for (const args of [
    ['-p', policies, rendered],
    ['verify', '-p', policies, rendered],
    ['-f', path.join(rendered, 'pod.yaml'), '-p', policies],
    ['-p', policies, '-f', path.join(rendered, 'pod.yaml'), '--insecure-registry', 'localhost:1', rendered],
  ]) {
    const r = await runCli(cwd, [...args, '-o', 'json']);
    t.equal(r.code, 1, `${args.join(' ')}: blocked`);
    t.same(json(r.stdout).results.map((x) => [x.image, x.status]), [['registry.internal/web:1.0', 'fail']], `${args.join(' ')}: the image of the path given`);
  }
  const piped = await runCli(cwd, ['-p', policies, '-', '-o', 'json'], { stdin: POD });
  t.equal(piped.code, 1, '-p DIR - : stdin is the input, not a policy path');
  t.same(json(piped.stdout).results.map((x) => x.status), ['fail']);
  const twice = await runCli(cwd, ['-p', policies, '-p', path.join(policies, 'deny.yaml'), rendered, '-o', 'json']);
  t.equal(twice.code, 1, '-p repeated still adds policies');
});

t.test('paths after `--` are verified (yargs had left them aside and `.` was verified: 0 images, exit 0)', async (t) => {
  const { cwd, policies, base } = await emptyCase(t);
  await mkdir(path.join(base, 'rendered'));
  await writeFile(path.join(base, 'rendered', 'pod.yaml'), POD);
  const rendered = path.join(base, 'rendered');
  for (const args of [['-p', policies, '-o', 'json', '--', rendered], ['verify', '-p', policies, '-o', 'json', '--', rendered]]) {
    const full = await runCli(cwd, args);
    t.equal(full.code, 1, `${args.join(' ')}: blocked (yargs)`);
    t.same(json(full.stdout).results.map((x) => [x.image, x.status]), [['registry.internal/web:1.0', 'fail']]);
    const launched = await plugin(cwd, args, '');
    t.equal(launched.code, 1, `${args.join(' ')}: blocked (the launcher)`);
    t.same(json(launched.stdout).results.map((x) => [x.image, x.status]), [['registry.internal/web:1.0', 'fail']]);
  }
  const piped = await plugin(cwd, ['-p', policies, '-o', 'json', '--', '-'], POD);
  t.equal(piped.code, 1, '`-- -` is stdin');
});

t.test('-n NAMESPACE: objects that name none are judged there, as kubectl apply -n places them', async (t) => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'vi-ns-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  await mkdir(path.join(base, 'cwd'));
  await mkdir(path.join(base, 'policies'));
  // A namespaced Kyverno Policy in prod that no image can satisfy (a key nothing signed with).
  const prodOnly = [
    'apiVersion: kyverno.io/v1', 'kind: Policy', 'metadata: {name: prod-signed, namespace: prod}', 'spec:', '  rules:', '    - name: signed',
    '      match: {any: [{resources: {kinds: [Pod]}}]}', '      verifyImages:', '        - imageReferences: ["registry.internal/*"]', '          failureAction: Enforce',
    '          attestors: [{entries: [{keys: {publicKeys: "k8s://prod/cosign-pub"}}]}]', '',
  ].join('\n');
  await writeFile(path.join(base, 'policies', 'prod.yaml'), prodOnly);
  await writeFile(path.join(base, 'pod.yaml'), POD);
  await writeFile(path.join(base, 'dev-pod.yaml'), POD.replace(/metadata:\n/, 'metadata:\n  namespace: dev\n'));
  const cwd = path.join(base, 'cwd');
  const status = (r: { stdout: string }) => json(r.stdout).results.map((x) => x.status);
  const unnamed = await runCli(cwd, [path.join(base, 'pod.yaml'), '-p', path.join(base, 'policies'), '-o', 'json', '--offline']);
  t.same(status(unnamed), ['unmatched'], 'no -n: kubectl would apply it in default, where the prod Policy does not apply');
  for (const flag of [['-n', 'prod'], ['--namespace=prod']]) {
    const r = await runCli(cwd, [path.join(base, 'pod.yaml'), '-p', path.join(base, 'policies'), '-o', 'json', '--offline', ...flag]);
    t.same(status(r), ['error'], `${flag.join(' ')}: judged by the prod Policy (undecided offline: blocks)`);
    t.equal(r.code, 3);
    const launched = await plugin(cwd, [path.join(base, 'pod.yaml'), '-p', path.join(base, 'policies'), '-o', 'json', '--offline', ...flag], '');
    t.same(status(launched), ['error'], `${flag.join(' ')}: the same through the launcher`);
  }
  const named = await runCli(cwd, [path.join(base, 'dev-pod.yaml'), '-p', path.join(base, 'policies'), '-o', 'json', '--offline', '-n', 'prod']);
  t.same(status(named), ['unmatched'], 'a namespace written in the manifest stays');
});
