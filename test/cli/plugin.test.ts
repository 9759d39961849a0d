// The real kubectl must discover and run the plugin (kubectl plugin list, kubectl verify-images).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { noKubectl } from '../helpers/tools.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pluginDir = path.join(root, 'plugin');
const env = { ...process.env, PATH: `${pluginDir}${path.delimiter}${process.env.PATH ?? ''}` };

async function kubectl(args: string[]) {
  try {
    const { stdout, stderr } = await run('kubectl', args, { env, cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') return null;
    return { code: Number(e.code), stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const hasKubectl = !noKubectl;
const skip = hasKubectl ? false : 'kubectl is not on PATH';

t.test('kubectl plugin list finds kubectl-verify_images', { skip }, async (t) => {
  const out = (await kubectl(['plugin', 'list']))!;
  t.match(out.stdout, path.join(pluginDir, 'kubectl-verify_images'));
  t.notMatch(out.stderr, /verify_images.*(warning|not executable)/i);
});

t.test('kubectl verify-images runs the CLI and says so in its usage', { skip }, async (t) => {
  const version = (await kubectl(['verify-images', '--version']))!;
  t.equal(version.code, 0, version.stderr);
  t.match(version.stdout, /^kubectl-verify-images \d+\.\d+\.\d+\n$/);
  const help = await kubectl(['verify-images', '--help']);
  t.equal(help!.code, 0);
  t.match(help!.stdout, /^Usage: kubectl verify-images /);
  const bad = await kubectl(['verify-images', '--bogus-flag']);
  t.equal(bad!.code, 2, 'unknown flags are usage errors');
  t.match(bad!.stderr, /bogus-flag/);
});

t.test('npm bin name keeps its own name in usage', async (t) => {
  const { stdout } = await run(process.execPath, [path.join(pluginDir, 'kubectl-verify_images'), '--help'], { cwd: root }).catch(() => ({ stdout: '' }));
  // Run through a link named like the npm bin.
  const { mkdtemp, symlink, rm } = await import('node:fs/promises');
  const os = await import('node:os');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-bin-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await symlink(path.join(pluginDir, 'kubectl-verify_images'), path.join(dir, 'kubectl-verify-images'));
  const viaBin = await run(path.join(dir, 'kubectl-verify-images'), ['--help']);
  t.match(viaBin.stdout, /^Usage: kubectl-verify-images /);
  t.match(stdout, /^Usage: kubectl verify-images /, 'the plugin file name means kubectl started us');
});
