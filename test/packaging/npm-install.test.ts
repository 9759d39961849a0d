// `npm install -g kubectl-verify-images` must give kubectl its plugin: the package links
// `kubectl-verify_images` (the name kubectl looks for) beside `kubectl-verify-images`. Tested as a
// user would: npm pack, a global install into an empty prefix, the real kubectl, stdin piped.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { noKubectl } from '../helpers/tools.js';
import { pod, staticPolicy } from '../helpers/cli.js';

const exec = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const hasKubectl = !noKubectl;
const skip = !hasKubectl ? 'kubectl is not on PATH' : !existsSync(path.join(root, 'dist/cli/main.js')) ? 'dist/ is not built' : false;

t.test('npm pack + npm install -g: kubectl finds and runs the plugin', { skip, timeout: 300_000 }, async (t) => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'vi-npm-install-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));
  // --ignore-scripts: dist/ is built by pretest; `prepare` would rebuild it under running tests.
  const { stdout: packed } = await exec('npm', ['pack', root, '--ignore-scripts', '--pack-destination', work, '--silent'], { cwd: work });
  const tarball = path.join(work, packed.trim().split('\n').at(-1)!);
  const prefix = path.join(work, 'prefix');
  await exec('npm', ['install', '--global', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional', '--loglevel=error'], {
    cwd: work,
    maxBuffer: 1 << 24,
  });
  const bin = path.join(prefix, 'bin');
  t.match(await readlink(path.join(bin, 'kubectl-verify_images')), /plugin[/\\]kubectl-verify_images$/, 'the kubectl plugin name is linked');
  t.ok(existsSync(path.join(bin, 'kubectl-verify-images')), 'and the npm command name');

  const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, XDG_CACHE_HOME: path.join(work, 'cache'), XDG_CONFIG_HOME: path.join(work, 'config') };
  const list = await exec('kubectl', ['plugin', 'list'], { env });
  t.match(list.stdout, path.join(bin, 'kubectl-verify_images'));

  // An empty working directory; the image on stdin; a policy that blocks it.
  const cwd = path.join(work, 'cwd');
  await (await import('node:fs/promises')).mkdir(cwd);
  const policy = path.join(work, 'deny.yaml');
  await writeFile(policy, staticPolicy('deny', '**', 'fail'));
  const r = await new Promise<{ code: number; stdout: string }>((resolve, reject) => {
    const child = spawn('kubectl', ['verify-images', '-', '-p', policy, '-o', 'json'], { cwd, env });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout }));
    child.stdin.end(pod({ web: 'registry.internal/web:1.0' }));
  });
  t.equal(r.code, 1);
  t.same(JSON.parse(r.stdout).results.map((x: { image: string; status: string }) => [x.image, x.status]), [['registry.internal/web:1.0', 'fail']]);
});
