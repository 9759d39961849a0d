// `--help` as yargs renders it, for both names the CLI runs under and the widths main() uses
// off a terminal (100) and on a wide one (110). scripts/render-help.mjs stores it at build time.

import { Readable } from 'node:stream';
import type { RenderedHelp } from './fast-paths.js';
import { VERSION } from './version.js';

export const HELP_NAMES = ['kubectl verify-images', 'kubectl-verify-images'];
export const HELP_WIDTHS = [100, 110];

export async function renderHelp(): Promise<RenderedHelp> {
  const { main } = await import('./main.js');
  const texts: RenderedHelp['texts'] = {};
  for (const scriptName of HELP_NAMES) {
    texts[scriptName] = {};
    for (const width of HELP_WIDTHS) {
      let out = '';
      const io = { cwd: process.cwd(), env: {}, isTTY: false, stdin: Readable.from([]), stdout: (s: string) => void (out += s), stderr: () => {} };
      // yargs prints help with console.log.
      const log = console.log;
      console.log = (...a: unknown[]) => void (out += `${a.join(' ')}\n`);
      const code = await main(['--help'], { scriptName, io, columns: width }).finally(() => (console.log = log));
      if (code !== 0) throw new Error(`--help exited ${code}`);
      texts[scriptName]![String(width)] = out;
    }
  }
  return { version: VERSION, texts };
}
