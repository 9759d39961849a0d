// Completion scripts run in the REAL bash (and zsh when installed) and through the
// REAL kubectl's plugin completion (`kubectl __complete verify-images …`).
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { noKubectl } from '../helpers/tools.js';
import { completionScript } from '../../src/cli/completion.js';

const exec = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const has = (cmd: string) => exec('sh', ['-c', `command -v ${cmd}`]).then(() => true, () => false);
const hasZsh = await has('zsh');
const hasKubectl = !noKubectl;
const built = await exec('test', ['-f', path.join(root, 'dist/cli/main.js')]).then(() => true, () => false);

/** A PATH dir with the plugin under both executable names (and node, kubectl from the real PATH). */
async function binDir(t: { teardown(fn: () => unknown): void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-completion-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const name of ['kubectl-verify_images', 'kubectl-verify-images']) await symlink(path.join(root, 'plugin/kubectl-verify_images'), path.join(dir, name));
  return { dir, env: { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH}` } };
}

t.test('scripts name the executables and ask the CLI for candidates', async (t) => {
  t.match(completionScript('bash'), /complete .* -F _kubectl_verify_images_completions kubectl-verify-images kubectl-verify_images\n/);
  t.match(completionScript('zsh'), /^#compdef kubectl-verify-images kubectl-verify_images\n/);
  t.match(completionScript('kubectl'), /^#!\/bin\/sh\n/);
  for (const s of ['bash', 'zsh', 'kubectl'] as const) t.match(completionScript(s), /--get-yargs-completions/);
});

t.test('bash completes flags and subcommands', { skip: !built && 'dist/ is not built' }, async (t) => {
  const { dir, env } = await binDir(t);
  await writeFile(path.join(dir, 'complete.bash'), completionScript('bash'));
  const complete = async (...words: string[]) => {
    const script = `source ${JSON.stringify(path.join(dir, 'complete.bash'))}
COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}
_kubectl_verify_images_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
    return (await exec('bash', ['-c', script], { env })).stdout.split('\n').filter(Boolean);
  };
  t.same(await complete('kubectl-verify-images', '--clu'), ['--cluster']);
  t.same((await complete('kubectl-verify_images', '--all-n')).sort(), ['--all-namespaces']);
  t.ok((await complete('kubectl-verify-images', '')).includes('completion'), 'subcommands');
  const shells = await complete('kubectl-verify-images', 'completion', '');
  t.same(['bash', 'zsh', 'kubectl'].filter((s) => shells.includes(s)), ['bash', 'zsh', 'kubectl'], 'choices of the shell argument');
  t.same(await complete('kubectl-verify-images', 'completion', 'ba'), ['bash']);
});

t.test('zsh accepts the script', { skip: !hasZsh && 'zsh is not installed (apt-get install zsh)' }, async (t) => {
  const { dir } = await binDir(t);
  await writeFile(path.join(dir, '_kubectl-verify-images'), completionScript('zsh'));
  const { stderr } = await exec('zsh', ['-n', path.join(dir, '_kubectl-verify-images')]);
  t.equal(stderr, '');
});

t.test('kubectl verify-images <TAB> through kubectl plugin completion', { skip: (!built && 'dist/ is not built') || (!hasKubectl && 'kubectl is not on PATH') }, async (t) => {
  const { dir, env } = await binDir(t);
  const script = path.join(dir, 'kubectl_complete-verify_images');
  await writeFile(script, completionScript('kubectl'));
  await chmod(script, 0o755);
  const complete = async (...words: string[]) => (await exec('kubectl', ['__complete', 'verify-images', ...words], { env })).stdout.split('\n').filter(Boolean);
  t.same(await complete('--clu'), ['--cluster', ':0']);
  t.same(await complete('-n', 'prod', '--all-'), ['--all-namespaces', ':0']);
  t.same(await complete('completion', 'z'), ['zsh', ':0']);
  t.ok((await complete('')).includes('completion'));
  t.notOk((await complete('--')).includes('--n'), 'no --x forms of one-letter aliases');
});
