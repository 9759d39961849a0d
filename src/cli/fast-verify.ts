// The plain `verify` invocation — paths and the flags of verify — parsed with yargs-parser from
// the same option table yargs registers, without building the yargs CLI (its usage machinery is
// ~0.1 s of every run's start-up). Anything else (another command, --help, a GitOps or cluster
// flag, an unknown flag, a parse error) returns undefined and the full CLI handles it, so the
// two paths cannot disagree: test/cli/fast-verify.test.ts compares them on generated arguments.

import parser from 'yargs-parser';
import type { ArgumentsCamelCase } from 'yargs';
import { protectArgs, restoreStdin } from './argv.js';
import { reportError } from './errors.js';
import { CLUSTER_OPTIONS, ROOT_OPTIONS, VERIFY_OPTIONS } from './options.js';
import { type CliIO, handler, type VerifyFlags } from './verify.js';

/** Every command name the full CLI registers; a first positional naming one is its business. */
export const COMMAND_NAMES = ['verify', 'version', 'hook', 'completion', 'pin', 'convert', 'test'] as const;

interface OptionSpec {
  alias?: string;
  type: 'string' | 'boolean' | 'number';
  array?: boolean;
  nargs?: number;
  choices?: readonly string[];
}

// The flags a plain verify reads: all global ones, verify's own, and kubectl's --kubeconfig,
// --context (for k8s:// keys), -n and --no-headers. --cluster and the rest go to the full CLI.
const { kubeconfig, context, namespace, headers } = CLUSTER_OPTIONS;
const SPECS: Record<string, OptionSpec> = { ...ROOT_OPTIONS, ...VERIFY_OPTIONS, kubeconfig, context, namespace, headers };

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const PARSER_OPTIONS = (() => {
  const opts = { alias: {} as Record<string, string[]>, array: [] as string[], boolean: [] as string[], string: [] as string[], number: [] as string[], narg: {} as Record<string, number> };
  for (const [name, spec] of Object.entries(SPECS)) {
    if (spec.alias) opts.alias[name] = [spec.alias];
    if (spec.array) opts.array.push(name);
    opts[spec.type].push(name);
    if (spec.nargs !== undefined) opts.narg[name] = spec.nargs;
  }
  // As yargs calls its parser (yargs-factory: positional numbers stay strings).
  return { ...opts, configuration: { 'parse-positional-numbers': false } };
})();

/** Keys yargs-parser may set for the flags above (names, camelCase forms, aliases). */
const KNOWN_KEYS = new Set(['_', ...Object.entries(SPECS).flatMap(([name, spec]) => [name, camel(name), ...(spec.alias ? [spec.alias] : [])])]);

/** The flags yargs would hand verify's handler, or undefined when the full CLI must decide. Pure. */
export function parseVerifyArgs(args: readonly string[]): ArgumentsCamelCase<VerifyFlags> | undefined {
  const parsed = parser.detailed(protectArgs(args), PARSER_OPTIONS);
  if (parsed.error) return undefined;
  const argv = parsed.argv as Record<string, unknown> & { _: (string | number)[] };
  for (const key of Object.keys(argv)) if (!KNOWN_KEYS.has(key)) return undefined;
  for (const [name, spec] of Object.entries(SPECS)) {
    const value = argv[name];
    if (spec.choices && value !== undefined && !(Array.isArray(value) ? value : [value]).every((v) => spec.choices!.includes(String(v)))) return undefined;
  }
  const positionals = argv._.map(String);
  // `verify` first is the command; a command name after a flag is yargs' to read (it reads
  // verify's own flags before the word differently from the global ones).
  if (args[0] === 'verify' && positionals[0] === 'verify') positionals.shift();
  else if ((COMMAND_NAMES as readonly string[]).includes(positionals[0] ?? '')) return undefined;
  const { _: _positionals, ...flags } = argv;
  const out = { ...flags, _: [], paths: positionals, $0: '' } as Record<string, unknown>;
  restoreStdin(out);
  return out as ArgumentsCamelCase<VerifyFlags>;
}

/** Runs a plain verify without yargs; undefined when the arguments are the full CLI's to parse. */
export async function fastVerify(args: readonly string[], scriptName: string, io: CliIO): Promise<number | undefined> {
  const argv = parseVerifyArgs(args);
  if (!argv) return undefined;
  try {
    return await handler(argv, io);
  } catch (err) {
    return reportError(err, io.stderr, scriptName);
  }
}
