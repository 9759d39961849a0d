// The command line: yargs commands that hold only options; handlers import the
// engine lazily and return an exit code (0 ok, 1 fail, 2 usage, 3 undecided).

import yargs, { type Argv, type ArgumentsCamelCase } from 'yargs';
import { mergeDoubleDash, protectArgs, restoreStdin } from './argv.js';
import { builder as verifyBuilder, type CliIO, handler as verifyHandler, UsageError, type VerifyFlags } from './verify.js';
import { commands } from './commands.js';
import { VERSION, versionText } from './version.js';
import { helpWidth } from './fast-paths.js';
import { ROOT_OPTIONS } from './options.js';
import { reportError } from './errors.js';

export interface MainOptions {
  /** How the user started us: `kubectl verify-images` through kubectl, else `kubectl-verify-images`. */
  scriptName: string;
  io: CliIO;
  /** Terminal width for help text (default: stdout's). */
  columns?: number;
  /** What the default command runs (default: verify's handler); tests compare parsers through it. */
  verify?: (argv: ArgumentsCamelCase<VerifyFlags>, io: CliIO) => Promise<number>;
}

export async function main(args: string[], { scriptName, io, columns, verify = verifyHandler }: MainOptions): Promise<number> {
  let code = 0;
  const run = (fn: () => Promise<number>) => async () => {
    code = await fn();
  };
  let cli: Argv = yargs(protectArgs(args))
    .parserConfiguration({ 'populate--': true })
    .middleware((argv) => {
      mergeDoubleDash(argv);
      restoreStdin(argv);
    }, true)
    .scriptName(scriptName)
    .usage(`Usage: ${scriptName} [verify] [PATH…] [flags]\n\nVerify the container images in Kubernetes manifests against the image policies kept in the repository.`)
    .options(ROOT_OPTIONS)
    .command<VerifyFlags>(['verify [paths..]', '$0 [paths..]'], 'verify images in manifests (default command)', verifyBuilder, (argv) =>
      run(() => verify(argv, io))(),
    )
    .command('version', 'print the version and the formats understood', {}, () => {
      io.stdout(versionText());
    });
  const ctx = { io, scriptName, setExitCode: (c: number) => void (code = c) };
  for (const register of commands) cli = register(cli, ctx);
  cli = cli
    .version(VERSION)
    .exitProcess(false)
    .strictOptions()
    .help()
    .alias('help', 'h')
    .wrap(helpWidth(columns ?? process.stdout.columns))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
  try {
    await cli.parseAsync();
  } catch (err) {
    return reportError(err, io.stderr, scriptName);
  }
  return code;
}
