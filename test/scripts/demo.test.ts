// `npm run demo` end to end: a real registry, signed and unsigned images, one pass and one block.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

t.test('the demo shows a pass and a block and reports the blocking exit code', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'demo.mjs')], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
  });
  t.match(stdout, /^PASS\s+127\.0\.0\.1:\d+\/demo\/web:1\.0\s+sha256:/m);
  t.match(stdout, /^FAIL\s+127\.0\.0\.1:\d+\/demo\/worker:1\.0\s+sha256:/m);
  t.match(stdout, /no signatures found/);
  t.match(stdout, /exit code 1/);
});

t.test('`npm run demo` on a system Node older than the CLI needs (20): the CLI runs on the pinned Node 24', async (t) => {
  const { spawnSync } = await import('node:child_process');
  // Node 20 from the npm registry, as the launcher's refusal test takes it.
  // @ts-expect-error: a plain .mjs script without types
  const { nodeBinary } = (await import('../../scripts/node-runtime.mjs')) as { nodeBinary: (major: number) => string };
  const old = nodeBinary(20);
  const run = spawnSync(old, [path.join(root, 'scripts', 'demo.mjs')], { cwd: root, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  t.notMatch(run.stdout + run.stderr, /needs Node >= 22\.22/);
  t.match(run.stdout, /^FAIL\s+127\.0\.0\.1:\d+\/demo\/worker:1\.0/m);
});

t.test('the README says what the demo does: the same counts, signing and exit codes', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const demo = await readFile(path.join(root, 'scripts', 'demo.mjs'), 'utf8');
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'demo.mjs')], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const summary = /^(\d+) images: (\d+) pass, (\d+) fail/m.exec(stdout);
  t.ok(summary, 'the demo prints a summary');
  t.match(readme, `\`${summary![0]}\``, 'the README quotes the summary the demo prints');
  const signed = (demo.match(/await signImage\(/g) ?? []).length;
  t.equal(signed, 2);
  t.match(readme, /signs two images, leaves one unsigned/);
  t.match(readme, /verification's exit code 1/);
  t.match(readme, /demo itself exits 0/);
});
