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

t.test('--concurrency 0|-1|abc is a usage error before any work', async (t) => {
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b) });
  for (const value of ['0', '-1', 'abc', '1.5']) {
    // The input does not exist: had anything been read first, that would be the error.
    const run = await runCli(dir, ['missing.yaml', '--concurrency', value], { env: { PATH: process.env.PATH, VERIFY_IMAGES_CACHE_KEY: 'k' } });
    t.equal(run.code, 2, `--concurrency ${value}`);
    t.match(run.stderr, /--concurrency .*: must be a whole number of at least 1/);
    t.notMatch(run.stderr, /missing\.yaml/, 'checked before the inputs are read');
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

// A full disk is a small tmpfs filled up: mounting one needs root. CI runs as root and must run it.
const noTmpfs = (() => {
  const probe = path.join(os.tmpdir(), `vi-tmpfs-probe-${process.pid}`);
  try {
    execFileSync('mkdir', ['-p', probe]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe]);
    return false;
  } catch {
    if (process.env.CI) throw new Error('cannot mount a tmpfs: CI must run the full-disk case of pin --write (it runs as root)');
    return 'mounting a tmpfs needs root: the full-disk case of pin --write is not run';
  } finally {
    execFileSync('rm', ['-rf', probe]);
  }
})();

t.test('pin --write on a full disk leaves no temporary file and names the file', { skip: noTmpfs }, async (t) => {
  const mnt = path.join(os.tmpdir(), `vi-full-${process.pid}`);
  await mkdir(mnt, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
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
  t.match(run.stderr, /nothing written: cannot write the new text of d\.yaml beside it: ENOSPC/, 'the error names the file and the cause');
  t.same((await readdir(mnt)).filter((n) => n.includes('verify-images-tmp')), [], 'no partial temporary file left');
});
