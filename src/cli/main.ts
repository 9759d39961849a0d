// The command line: yargs commands that hold only options; handlers import the
// engine lazily and return an exit code (0 ok, 1 fail, 2 usage, 3 undecided).

import yargs, { type Argv } from 'yargs';
import { protectArgs, restoreStdin } from './argv.js';
import { builder as verifyBuilder, type CliIO, handler as verifyHandler, UsageError, type VerifyFlags } from './verify.js';
import { commands } from './commands.js';
import { VERSION, versionText } from './version.js';
import { helpWidth } from './fast-paths.js';

/** Errors whose message is the whole story for the user: exit 2, no stack. */
const USAGE_CODES = new Set(['USAGE_ERROR', 'CONFIG_ERROR', 'POLICY_ERROR', 'MANIFEST_ERROR', 'SOURCE_ERROR']);

export interface MainOptions {
  /** How the user started us: `kubectl verify-images` through kubectl, else `kubectl-verify-images`. */
  scriptName: string;
  io: CliIO;
  /** Terminal width for help text (default: stdout's). */
  columns?: number;
}

export async function main(args: string[], { scriptName, io, columns }: MainOptions): Promise<number> {
  let code = 0;
  const run = (fn: () => Promise<number>) => async () => {
    code = await fn();
  };
  let cli: Argv = yargs(protectArgs(args))
    .middleware((argv) => restoreStdin(argv), true)
    .scriptName(scriptName)
    .usage(`Usage: ${scriptName} [verify] [PATH…] [flags]\n\nVerify the container images in Kubernetes manifests against the image policies kept in the repository.`)
    .option('policy', { alias: 'p', type: 'string', array: true, nargs: 1, describe: 'policy file or directory (repeatable: -p A -p B; one path each)' })
    .option('config', { type: 'string', describe: 'config file (default: search for .verify-imagesrc.* up to the repository root)' })
    .option('output', { alias: 'o', type: 'string', describe: 'output format: table|wide|json|yaml|sarif|junit|github|markdown|html|name' })
    .option('concurrency', { type: 'number', describe: 'images verified at once (default 16)' })
    .option('cache-dir', { type: 'string', describe: 'verdict cache directory (default $XDG_CACHE_HOME/kubectl-verify-images)' })
    .option('cache', { type: 'boolean', describe: 'use the verdict cache (--no-cache to disable)' })
    .option('publish-vsa', { type: 'boolean', describe: 'attach a signed SLSA Verification Summary Attestation to every image that passed (needs --vsa-key and push access)' })
    .option('vsa-key', { type: 'string', describe: 'key to sign VSAs: PEM private key, cosign key (COSIGN_PASSWORD) or k8s://ns/secret' })
    .option('vsa-format', { type: 'string', choices: ['legacy', 'bundle'], describe: 'how VSAs are attached: legacy .att image (default) or Sigstore bundle referrer' })
    .option('vsa-policy-uri', { type: 'string', describe: 'policy.uri written in VSAs (default: the policy paths)' })
    .option('cache-url', { type: 'string', describe: 'verdict store shared by a fleet: redis://HOST:PORT[/DB] or rediss://… (env VERIFY_IMAGES_CACHE_URL; needs VERIFY_IMAGES_CACHE_KEY)' })
    .option('insecure-registry', { type: 'string', array: true, nargs: 1, describe: 'registry host reached over plain HTTP' })
    .option('registry-ca', { type: 'string', describe: 'PEM file with extra CA certificates for registries' })
    .option('trusted-root', { type: 'string', describe: 'sigstore trusted_root.json (default: the public-good root shipped offline)' })
    .option('color', { type: 'boolean', describe: 'colour the table (--no-color, or NO_COLOR, disables)' })
    .option('offline', { type: 'boolean', describe: 'no network at all: verdicts from the verdict cache, keys and trust roots from local files; anything else is an error' })
    .option('timeout', { type: 'string', describe: 'deadline for the whole run, e.g. 60s, 2m (default 60s; 0: none); images undecided then are errors' })
    .option('request-timeout', { type: 'string', describe: 'deadline for one registry exchange (default 10s)' })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'print counts on stderr (and progress lines when stderr is not a terminal)' })
    .command<VerifyFlags>(['verify [paths..]', '$0 [paths..]'], 'verify images in manifests (default command)', verifyBuilder, (argv) =>
      run(() => verifyHandler(argv, io))(),
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
    const e = err as Error & { code?: string };
    if (e.code && USAGE_CODES.has(e.code)) {
      io.stderr(`error: ${e.message}\n`);
      if (e.code === 'USAGE_ERROR') io.stderr(`Run '${scriptName} --help' for usage.\n`);
      return 2;
    }
    io.stderr(`error: ${e.message ?? String(err)}\n`);
    return 2;
  }
  return code;
}
