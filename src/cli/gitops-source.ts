// `verify --repo URL|PATH --revision REF --path DIR` and `--flux-kustomization FILE`: a
// middleware that fetches and renders the source, then hands `verify` its inputs as if it
// had been started at the root of that checkout (so its config, `.verify-images/` and
// file names are the repository's). Heavy modules are imported only when these flags are used.

import path from 'node:path';
import type { Argv } from 'yargs';
import type { CommandContext, RegisterCommand } from './commands.js';
import { UsageError } from './verify.js';

export interface GitOpsFlags {
  repo?: string;
  revision?: string;
  path?: string;
  app?: string;
  appNamespace?: string;
  kustomizeImage?: string[];
  helmValues?: string[];
  helmSet?: string[];
  recurse?: boolean;
  include?: string;
  exclude?: string;
  fluxKustomization?: string;
}

type Argument = Record<string, unknown> & GitOpsFlags & { _: (string | number)[]; namespace?: string };

/** `--helm-set a.b=c` → a Helm parameter; the value may itself hold `=`. Pure. */
export function parseHelmSet(spec: string): { name: string; value: string } {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`--helm-set ${spec}: expected NAME=VALUE`);
  return { name: spec.slice(0, eq), value: spec.slice(eq + 1) };
}

export const registerGitOpsSource: RegisterCommand = (cli: Argv, ctx: CommandContext) =>
  cli
    .option('repo', { type: 'string', describe: 'Git repository URL or path: fetch --revision shallowly and verify it (Argo CD-style rendering)', group: 'GitOps source:' })
    .option('revision', { type: 'string', describe: 'branch, tag or commit to fetch with --repo (default HEAD)', group: 'GitOps source:' })
    .option('path', { type: 'string', describe: 'app directory inside the repository (Argo CD spec.source.path)', group: 'GitOps source:' })
    .option('app', { type: 'string', describe: 'Argo CD application name (selects .argocd-source-<app>.yaml)', group: 'GitOps source:' })
    .option('app-namespace', { type: 'string', describe: 'destination namespace (helm --namespace; where objects naming none are judged)', group: 'GitOps source:' })
    .option('kustomize-image', { type: 'string', array: true, nargs: 1, describe: 'Argo CD kustomize image override [name=]image[:tag][@digest]', group: 'GitOps source:' })
    .option('helm-values', { type: 'string', array: true, nargs: 1, describe: 'Helm values file, relative to the chart', group: 'GitOps source:' })
    .option('helm-set', { type: 'string', array: true, nargs: 1, describe: 'Helm parameter NAME=VALUE', group: 'GitOps source:' })
    .option('recurse', { type: 'boolean', describe: 'directory apps: include subdirectories', group: 'GitOps source:' })
    .option('include', { type: 'string', describe: 'directory apps: glob of files to include', group: 'GitOps source:' })
    .option('exclude', { type: 'string', describe: 'directory apps: glob of files to exclude', group: 'GitOps source:' })
    .option('flux-kustomization', { type: 'string', describe: 'Flux Kustomization file: render its spec.path with spec.images and postBuild.substitute', group: 'GitOps source:' })
    .middleware(async (raw) => {
      const argv = raw as unknown as Argument;
      if (!argv.repo && !argv.fluxKustomization && argv.path === undefined) return;
      const command = argv._[0];
      if (command !== undefined && command !== 'verify') return;
      const given = [...((argv.paths as string[] | undefined) ?? []), ...((argv.filename as string[] | undefined) ?? []), ...((argv.kustomize as string[] | undefined) ?? [])];
      if (given.length > 0) throw new UsageError('--repo/--path/--flux-kustomization name the manifests themselves: drop the PATH, -f and -k arguments');
      const { resolveGitOpsSource } = await import('../sources/gitops.js');
      const { redactUrl } = await import('../sources/git.js');
      const { repoRoot } = await import('../config/load.js');
      const io = ctx.io;
      const source = await resolveGitOpsSource({
        repo: argv.repo,
        revision: argv.revision,
        root: argv.repo ? undefined : repoRoot(io.cwd),
        path: argv.path,
        app: { name: argv.app, namespace: argv.appNamespace },
        source: sourceFromFlags(argv),
        fluxKustomization: argv.fluxKustomization,
        env: io.env,
        cwd: io.cwd,
      });
      // The temporary checkout lives until the process is done with it.
      cleanupAtExit(source.cleanup);
      // Paths the user typed stay relative to where they typed them.
      const abs = (p: unknown) => (typeof p === 'string' ? path.resolve(io.cwd, p) : p);
      if (Array.isArray(argv.policy)) argv.policy = (argv.policy as string[]).map(abs);
      for (const key of ['config', 'cacheDir', 'registryCa', 'trustedRoot', 'gpgKeys', 'allowedSigners'] as const) if (argv[key] !== undefined) argv[key] = abs(argv[key]);
      if (source.checkout) (argv as { revisionSubject?: unknown }).revisionSubject = source.checkout;
      argv.paths = source.inputs;
      (argv as { preparedInputs?: boolean }).preparedInputs = true;
      // The destination namespace is where objects naming none land (as Argo CD applies them), unless -n says otherwise.
      if (argv.appNamespace && argv.namespace === undefined) argv.namespace = argv.appNamespace;
      if (source.commit) io.stderr(`verify-images: ${argv.repo ? redactUrl(argv.repo) : ''} at ${source.commit} (${source.tool}${source.overrides.length ? `, overrides: ${source.overrides.map((f) => path.basename(f)).join(', ')}` : ''})\n`);
      io.cwd = source.root;
    });

/** One `beforeExit` listener for every checkout of the process (a test runs many in one). */
const pendingCleanups = new Set<() => Promise<void>>();
function cleanupAtExit(cleanup: () => Promise<void>): void {
  if (pendingCleanups.size === 0) {
    process.once('beforeExit', () => {
      const all = [...pendingCleanups];
      pendingCleanups.clear();
      for (const c of all) void c();
    });
  }
  pendingCleanups.add(cleanup);
}

function sourceFromFlags(argv: GitOpsFlags) {
  return {
    ...(argv.kustomizeImage ? { kustomize: { images: argv.kustomizeImage } } : {}),
    ...(argv.helmValues || argv.helmSet ? { helm: { valueFiles: argv.helmValues, parameters: (argv.helmSet ?? []).map(parseHelmSet) } } : {}),
    ...(argv.recurse !== undefined || argv.include || argv.exclude ? { directory: { recurse: argv.recurse, include: argv.include, exclude: argv.exclude } } : {}),
  };
}
