// Commands answered without yargs or the engine, so they start as fast as node itself:
// `--version`, `version`, `completion <shell>`, and `--help` from the text rendered at build time
// (scripts/render-help.mjs writes dist/cli/help.json with yargs' own output).

import { readFileSync } from 'node:fs';
import { versionText, VERSION } from './version.js';

/** Help as yargs prints it, by script name and wrap width, for one version. */
export interface RenderedHelp {
  version: string;
  texts: Record<string, Record<string, string>>;
}

/** The wrap width main() gives yargs for this terminal. */
export const helpWidth = (columns: number | undefined) => Math.min(110, columns || 100);

/** True when `args` was answered here (output written); false: run the full CLI. */
export async function fastPath(args: readonly string[], scriptName: string, out: (text: string) => void, opts: { columns?: number; helpFile?: string } = {}): Promise<boolean> {
  if (args.length === 1 && args[0] === '--version') return void out(`kubectl-verify-images ${VERSION}\n`), true;
  if (args.length === 1 && args[0] === 'version') return void out(versionText()), true;
  if (args.length === 2 && args[0] === 'completion') {
    const { completionScript, SHELLS } = await import('./completion.js');
    if (!(SHELLS as readonly string[]).includes(args[1]!)) return false; // the full CLI says what is wrong
    out(completionScript(args[1] as (typeof SHELLS)[number]));
    return true;
  }
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h') && opts.helpFile) {
    const text = renderedHelp(opts.helpFile)?.texts[scriptName]?.[String(helpWidth(opts.columns))];
    if (text === undefined) return false;
    out(text);
    return true;
  }
  return false;
}

function renderedHelp(file: string): RenderedHelp | undefined {
  try {
    const help = JSON.parse(readFileSync(file, 'utf8')) as RenderedHelp;
    // Written by another build: yargs renders it afresh.
    return help.version === VERSION ? help : undefined;
  } catch {
    return undefined;
  }
}
