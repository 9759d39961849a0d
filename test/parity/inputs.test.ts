// Inputs read as the tool that applies them reads them: `-f`/`-R` as kubectl, `--repo/--path` as
// Argo CD's repo-server (no dot-file rule, its globs, its symlink rule, Jsonnet), plain PATHs
// recursively with hidden folders, in-repository symlinks followed, empty inputs refused,
// `.argocd-source.yaml` applied under -k. Each case let an unsigned image through before.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { cipPolicy, deployment, link, repo, startBench, verify } from './fixture.js';
import { noKubectl } from '../helpers/tools.js';

const b = await startBench();
t.teardown(() => b.close());

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_NOSYSTEM: '1' };
/** Makes `dir` a real git repository with everything committed (symlinks as git stores them). */
function commitAll(dir: string): void {
  execFileSync('rm', ['-rf', path.join(dir, '.git')]);
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['commit', '-q', '-m', 'x']]) execFileSync('git', args, { cwd: dir, env: GIT_ENV, stdio: 'ignore' });
}

t.test('Argo CD directory apps: dot-files are applied, so they are verified', async (t) => {
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'apps/web.yaml': deployment('web', b.signed), 'apps/.u.yaml': deployment('u', b.unsigned) });
  commitAll(dir);
  const run = await verify(dir, ['--repo', dir, '--path', 'apps']);
  t.equal(run.code, 1);
  t.same(run.verdicts, { 'apps/rogue:1.0': 'fail', 'apps/web:1.0': 'pass' });
  const local = await verify(dir, ['--path', 'apps']);
  t.same(local.verdicts, { 'apps/rogue:1.0': 'fail', 'apps/web:1.0': 'pass' }, '--path alone reads the same files');
});

t.test("Argo CD directory apps: recurse into hidden folders, exclude/include with Argo CD's globs", async (t) => {
  const dir = await repo(t, {
    '.verify-images/p.yaml': cipPolicy(b),
    'apps/web.yaml': deployment('web', b.signed),
    'apps/.hidden/u.yaml': deployment('u', b.unsigned),
    'apps/skip/x.yaml': deployment('x', `${b.registry.host}/apps/other:1.0`),
  });
  commitAll(dir);
  const top = await verify(dir, ['--repo', dir, '--path', 'apps']);
  t.same(top.verdicts, { 'apps/web:1.0': 'pass' }, 'without recurse: the top level only');
  const deep = await verify(dir, ['--repo', dir, '--path', 'apps', '--recurse', '--exclude', 'skip/*']);
  t.equal(deep.code, 1);
  t.same(deep.verdicts, { 'apps/rogue:1.0': 'fail', 'apps/web:1.0': 'pass' }, 'recurse reads .hidden/; `*` of the exclude crosses no files it should not');
  const included = await verify(dir, ['--repo', dir, '--path', 'apps', '--recurse', '--include', '{web.yaml,.hidden/*}']);
  t.same(included.verdicts, { 'apps/rogue:1.0': 'fail', 'apps/web:1.0': 'pass' }, '{a,b} alternatives as gobwas reads them');
});

t.test('Argo CD directory apps: Jsonnet is refused (exit 2), never skipped', async (t) => {
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'apps/web.yaml': deployment('web', b.signed), 'apps/u.jsonnet': '{}' });
  commitAll(dir);
  const run = await verify(dir, ['--repo', dir, '--path', 'apps']);
  t.equal(run.code, 2);
  t.match(run.stderr, /u\.jsonnet: Argo CD renders Jsonnet/);
});

t.test('Argo CD: an in-repository symlink is followed, one leading out of the repository refuses the revision', async (t) => {
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'common/u.yaml': deployment('u', b.unsigned), 'apps/shop/web.yaml': deployment('web', b.signed) });
  await link(dir, 'apps/shop/worker.yaml', '../../common/u.yaml');
  commitAll(dir);
  const inside = await verify(dir, ['--repo', dir, '--path', 'apps/shop']);
  t.same(inside.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'fail' });
  await link(dir, 'apps/other/out.yaml', '/etc/hostname');
  commitAll(dir);
  const out = await verify(dir, ['--repo', dir, '--path', 'apps/shop']);
  t.equal(out.code, 2, 'Argo CD refuses a repository with an out-of-bounds symlink anywhere');
  t.match(out.stderr, /out-of-bounds symlinks\. file: apps\/other\/out\.yaml/);
});

t.test('-f as kubectl: top level only; -R -f visits hidden folders; a PATH is read recursively, hidden folders included', async (t) => {
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'apps/web.yaml': deployment('web', b.signed), 'apps/.hidden/u.yaml': deployment('u', b.unsigned) });
  const flat = await verify(dir, ['-f', 'apps/']);
  t.same(flat.verdicts, { 'apps/web:1.0': 'pass' }, 'kubectl apply -f apps/ reads apps/*.yaml');
  const deep = await verify(dir, ['-R', '-f', 'apps/']);
  t.equal(deep.code, 1);
  t.same(deep.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'fail' }, 'kubectl apply -R -f apps/ visits apps/.hidden/');
  const plain = await verify(dir, ['apps']);
  t.same(plain.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'fail' });
});

t.test('PATH: a symlink inside the repository is followed; one leading outside is exit 2, not a warning', async (t) => {
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'common/u.yaml': deployment('u', b.unsigned), 'apps/shop/web.yaml': deployment('web', b.signed) });
  await link(dir, 'apps/shop/worker.yaml', '../../common/u.yaml');
  const inside = await verify(dir, ['apps/shop']);
  t.equal(inside.code, 1);
  t.same(inside.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'fail' });
  const outsider = await repo(t, { 'o.yaml': deployment('o', b.unsigned) });
  await link(dir, 'apps/shop/zz.yaml', path.join(outsider, 'o.yaml'));
  const out = await verify(dir, ['apps/shop']);
  t.equal(out.code, 2);
  t.match(out.stderr, /zz\.yaml: a symlink to .*outside the repository/);
  t.same(out.verdicts, {}, 'nothing verified');
});

t.test('empty inputs: a named input with no Kubernetes object is exit 2; piped data with no input is refused', async (t) => {
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'notes.yaml': '# nothing yet\n', 'empty/.keep': '' });
  const stdin = await verify(dir, ['-'], { stdin: '' });
  t.equal(stdin.code, 2, 'a failed `helm template … |` gives an empty stdin');
  t.match(stdin.stderr, /nothing to verify on stdin: it was empty or held no Kubernetes object \(did the command piping into it fail\?/);
  const file = await verify(dir, ['notes.yaml']);
  t.equal(file.code, 2);
  t.match(file.stderr, /nothing to verify in notes\.yaml: no document in it has an apiVersion and a kind/);
  const folder = await verify(dir, ['empty']);
  t.equal(folder.code, 2);
  t.match(folder.stderr, /nothing to verify in empty: no \*\.yaml, \*\.yml or \*\.json file below it/);
  await writeFile(path.join(dir, 'empty', 'deep.yaml'), '');
  await (await import('node:fs/promises')).mkdir(path.join(dir, 'nested', 'sub'), { recursive: true });
  await writeFile(path.join(dir, 'nested', 'sub', 'd.yaml'), deployment('web', b.signed));
  const flat = await verify(dir, ['-f', 'nested']);
  t.equal(flat.code, 2, '-f without -R reads nothing below the top level');
  t.match(flat.stderr, /nested: .*at its top level .*add -R/);
  t.same((await verify(dir, ['-R', '-f', 'nested'])).verdicts, { 'apps/web:1.0': 'pass' });
  await (await import('node:fs/promises')).rm(path.join(dir, 'nested'), { recursive: true });
  await writeFile(path.join(dir, 'd.yaml'), deployment('web', b.signed));
  const piped = await verify(dir, [], { stdin: deployment('u', b.unsigned) });
  t.equal(piped.code, 2, 'the pipe is not ignored in favour of the current directory');
  t.match(piped.stderr, /manifests are piped in, but no input is named.*add `-`/);
  const none = await verify(dir, [], { stdin: '' });
  t.equal(none.code, 0, 'nothing piped: the current directory, as before');
  t.same(none.verdicts, { 'apps/web:1.0': 'pass' });
});

t.test('.argocd-source.yaml is applied under -k; a per-app file is named, not silently dropped', { skip: noKubectl }, async (t) => {
  const dir = await repo(t, {
    '.verify-images/p.yaml': cipPolicy(b),
    'overlay/kustomization.yaml': 'resources: [d.yaml]\n',
    'overlay/d.yaml': deployment('web', b.signed),
    'overlay/.argocd-source.yaml': `kustomize:\n  images: ["${b.signed.replace(':1.0', '')}=${b.unsigned}"]\n`,
    'overlay/.argocd-source-shop.yaml': 'kustomize:\n  images: []\n',
  });
  const run = await verify(dir, ['-k', 'overlay']);
  t.equal(run.code, 1, 'the override switches the image, as Argo CD renders the app');
  t.same(run.verdicts, { 'apps/rogue:1.0': 'fail' });
  t.match(run.stderr, /\.argocd-source-shop\.yaml not applied/);
});
