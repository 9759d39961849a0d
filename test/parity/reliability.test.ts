// From the same trial: flags checked before any work, control characters from manifests escaped
// in every human format, and `pin --write` on a full disk leaving nothing behind.
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { cipPolicy, deployment, repo, startBench, verify } from './fixture.js';
import { runCli } from '../helpers/cli.js';
import { formats } from '../../src/report/index.js';

const b = await startBench();
t.teardown(() => b.close());

t.test('--concurrency 0|-1|abc is a usage error at once, before any work', async (t) => {
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'd.yaml': deployment('web', b.signed) });
  for (const value of ['0', '-1', 'abc', '1.5']) {
    const started = Date.now();
    const run = await runCli(dir, ['d.yaml', '--concurrency', value, '--timeout', '30s'], { env: { PATH: process.env.PATH, VERIFY_IMAGES_CACHE_KEY: 'k' } });
    t.equal(run.code, 2, `--concurrency ${value}`);
    t.match(run.stderr, /--concurrency .*: must be a whole number of at least 1/);
    t.ok(Date.now() - started < 20_000, 'long before the 30 s deadline');
  }
});

t.test('terminal control characters from manifests are escaped in every human format', async (t) => {
  const name = 'web\u001b[32m PASS\r\u202e';
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'd.yaml': deployment('x', b.unsigned).replace('- name: x', `- name: "web\\e[32m PASS\\r\\u202e"`) });
  const run = await verify(dir, ['d.yaml']);
  const result = JSON.parse(run.stdout);
  t.equal(result.results[0].uses[0].container, name, 'JSON keeps the value (it encodes it safely)');
  for (const [format, f] of formats) {
    if (format === 'json' || format === 'yaml') continue;
    const text = f(result, { color: false });
    t.notMatch(text, /[\u001b\r\u202e]/, `${format}: no raw control character`);
  }
  t.match(formats.get('table')!(result, { color: false }), /web\\x1b\[32m PASS\\r\\u202e/, 'shown escaped');
});

t.test('pin --write on a full disk leaves no temporary file and names the file', { skip: process.getuid?.() === 0 ? false : 'needs root to mount a small tmpfs' }, async (t) => {
  const mnt = path.join(os.tmpdir(), `vi-full-${process.pid}`);
  await mkdir(mnt, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
  } catch {
    t.comment('tmpfs cannot be mounted here: the full-disk case is not exercised');
    return;
  }
  t.teardown(async () => {
    execFileSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });
  await mkdir(path.join(mnt, '.git'));
  await mkdir(path.join(mnt, '.verify-images'));
  await writeFile(path.join(mnt, '.verify-images/p.yaml'), cipPolicy(b));
  await writeFile(path.join(mnt, 'd.yaml'), deployment('web', b.signed) + `# ${'x'.repeat(30_000)}\n`);
  // Every block taken: the temporary file can be created, its text cannot be written.
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${path.join(mnt, 'fill')}`, 'bs=1k'], { stdio: 'ignore' });
  } catch {
    // dd stops at ENOSPC: the disk is full now
  }
  const run = await runCli(mnt, ['pin', 'd.yaml', '--write'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, XDG_CACHE_HOME: path.join(os.tmpdir(), `vi-full-cache-${process.pid}`), VERIFY_IMAGES_CACHE_KEY: 'k' } });
  t.not(run.code, 0);
  t.match(run.stderr, /d\.yaml/, 'the error names the file');
  t.same((await readdir(mnt)).filter((n) => n.includes('verify-images-tmp')), [], 'no partial temporary file left');
});
