// Commands answered without yargs say exactly what the full CLI says: --version, version,
// completion, and --help from the text rendered at build time (and yargs when it is stale).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { fastPath } from '../../src/cli/fast-paths.js';
import { HELP_NAMES, HELP_WIDTHS, renderHelp } from '../../src/cli/render-help.js';
import { runCli } from '../helpers/cli.js';

async function fast(args: string[], opts: { columns?: number; helpFile?: string; scriptName?: string } = {}) {
  let out = '';
  const answered = await fastPath(args, opts.scriptName ?? 'kubectl verify-images', (s) => void (out += s), opts);
  return answered ? out : undefined;
}

t.test('version and completion scripts are the full CLI’s, byte for byte', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-fast-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.match(await fast(['--version']), /^kubectl-verify-images \d+\.\d+\.\d+\n$/, '--version: as the launcher always printed it');
  for (const args of [['version'], ['completion', 'bash'], ['completion', 'zsh'], ['completion', 'kubectl']]) {
    const full = await runCli(dir, args);
    t.equal(full.code, 0);
    t.equal(await fast(args), full.stdout, args.join(' '));
  }
  t.equal(await fast(['completion', 'fish']), undefined, 'an unknown shell goes to the full CLI (which says what is wrong)');
  t.equal(await fast(['version', 'extra']), undefined);
});

t.test('--help: the rendered text for the name and width, or the full CLI when absent or stale', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-help-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'help.json');
  const rendered = await renderHelp();
  await writeFile(file, JSON.stringify(rendered));
  for (const scriptName of HELP_NAMES) {
    for (const width of HELP_WIDTHS) {
      const text = await fast(['--help'], { scriptName, columns: width, helpFile: file });
      t.match(text, new RegExp(`^Usage: ${scriptName} `), `${scriptName} at ${width}`);
      t.match(text, /--request-timeout/);
    }
  }
  t.equal(await fast(['-h'], { columns: 200, helpFile: file }), rendered.texts['kubectl verify-images']!['110'], 'wide terminals wrap at 110');
  t.equal(await fast(['--help'], { columns: 80, helpFile: file }), undefined, 'a narrow terminal: yargs wraps it');
  t.equal(await fast(['--help'], { helpFile: path.join(dir, 'missing.json') }), undefined);
  await writeFile(file, JSON.stringify({ ...rendered, version: '0.0.0-other' }));
  t.equal(await fast(['--help'], { helpFile: file }), undefined, 'rendered by another version: not used');
});
