// `pin [PATH…]`: verify, then pin the digests of the images that passed in their source
// files — as a diff (default), in the working tree (--write), or as a pull request (--pr).
// Everything heavy (engine, simple-git, @octokit/rest) is imported in the handler.

import type { Argv } from 'yargs';
import type { CommandContext, RegisterCommand } from './commands.js';
import { type GitOpsFlags, parseHelmSet } from './gitops-source.js';
import { builder as verifyBuilder, type CliIO, engineOptions, toOptions, UsageError, type VerifyFlags } from './verify.js';

export interface PinFlags extends VerifyFlags, Pick<GitOpsFlags, 'repo' | 'path' | 'app' | 'appNamespace' | 'helmValues' | 'helmSet' | 'fluxKustomization'> {
  write?: boolean;
  force?: boolean;
  allowBreakingSignatures?: boolean;
  pr?: boolean;
  branch?: string;
  base?: string;
  remote?: string;
  githubRepo?: string;
  githubApiUrl?: string;
}

export const registerPin: RegisterCommand = (cli: Argv, ctx: CommandContext) =>
  cli.command<PinFlags>(
    'pin [paths..]',
    'pin verified image digests (tag@sha256:…) in the source files: a diff, --write, or --pr',
    (y) =>
      verifyBuilder(y)
        .option('write', { type: 'boolean', describe: 'edit the files in the working tree (default: print a unified diff)', group: 'Pin:' })
        .option('force', { type: 'boolean', describe: 'with --write, rewrite read-only files too', group: 'Pin:' })
        .option('allow-breaking-signatures', { type: 'boolean', describe: 'pin images in manifests that carry a manifest signature too (it no longer matches; the PR body says so)', group: 'Pin:' })
        .option('pr', { type: 'boolean', describe: 'commit on a branch from --base, push it and open or update a GitHub pull request', group: 'Pin:' })
        .option('branch', { type: 'string', describe: 'branch for --pr (default verify-images/pin-digests)', group: 'Pin:' })
        .option('base', { type: 'string', describe: 'base branch for --pr (default: the current branch)', group: 'Pin:' })
        .option('remote', { type: 'string', describe: 'git remote for --pr (default origin)', group: 'Pin:' })
        .option('github-repo', { type: 'string', describe: 'GitHub owner/name for --pr (default: from the origin remote URL)', group: 'Pin:' })
        .option('github-api-url', { type: 'string', describe: 'GitHub API URL, for GitHub Enterprise (default https://api.github.com); token from GITHUB_TOKEN or GH_TOKEN', group: 'Pin:' })
        .conflicts('write', 'pr')
        .example('$0 pin deploy/', 'show the diff that pins every verified image in deploy/')
        .example('$0 pin -k overlays/prod --pr', 'open or update a PR pinning the overlay')
        .example('$0 pin --path charts/web --helm-values values-prod.yaml --write', 'render the chart and pin its values files') as Argv<PinFlags>,
    async (argv) => {
      ctx.setExitCode(await pinHandler(argv, ctx.io));
    },
  );

export async function pinHandler(argv: PinFlags, io: CliIO): Promise<number> {
  const { exitCode } = await import('../engine/result.js');
  const { formatPinReport } = await import('../pin/report.js');
  checkSourceFlags(argv);
  if (argv.pr) {
    const out = await pinPr(argv, io);
    io.stdout(formatPinReport(out.output.pin, { mode: 'pr' }));
    if (out.push === 'none') io.stdout('nothing to pin: no branch pushed, no pull request changed\n');
    else {
      io.stdout(`branch ${out.branch} (from ${out.base}): ${out.push === 'forced' ? 'force-updated' : out.push === 'created' ? 'pushed' : 'unchanged'}\n`);
      if (out.pr) io.stdout(`pull request #${out.pr.number} ${out.pr.action}: ${out.pr.url}\n`);
    }
    return exitCode(out.output.result);
  }
  const out = await runPin(argv, io, io.cwd, (p) => p, argv.write === true);
  for (const w of out.warnings) io.stderr(`warning: ${w}\n`);
  if (argv.output === 'json') {
    io.stdout(`${JSON.stringify({ result: out.result, pin: out.pin }, null, 2)}\n`);
  } else if (argv.write && out.pinnedStdin !== undefined) {
    // Stdin cannot be written back: the pinned stream goes to stdout (`… | pin - --write | kubectl apply -f -`).
    io.stdout(out.pinnedStdin);
    io.stderr(formatPinReport(out.pin, { mode: 'write' }));
  } else if (argv.write) {
    io.stdout(formatPinReport(out.pin, { mode: 'write' }));
  } else {
    const { unifiedDiff } = await import('../pin/diff.js');
    io.stdout(unifiedDiff(out.files));
    io.stderr(formatPinReport(out.pin, { mode: 'diff' }));
  }
  return exitCode(out.result);
}

/** Loads config and policies from `cwd` (the worktree for --pr) and runs verify + pin there. */
async function runPin(argv: PinFlags, io: CliIO, cwd: string, move: (p: string) => string, write: boolean) {
  const path = await import('node:path');
  const { loadConfig, policyPaths } = await import('../config/load.js');
  const at = (p: string | undefined) => (p === undefined ? undefined : move(path.resolve(io.cwd, p)));
  const { config } = await loadConfig(cwd, at(argv.config));
  const flags: VerifyFlags = {
    ...argv,
    paths: argv.paths?.map((p) => (p === '-' ? p : at(p)!)),
    filename: argv.filename?.map((p) => (p === '-' ? p : at(p)!)),
    kustomize: argv.kustomize?.map((p) => at(p)!),
    policy: argv.policy?.map((p) => at(p)!),
  };
  if (argv.path !== undefined) {
    const { repoRoot } = await import('../config/load.js');
    flags.paths = [path.resolve(repoRoot(cwd), argv.path)];
  }
  const options = toOptions(flags, config, io.env, io.isTTY);
  const { pinImages } = await import('../pin/pin.js');
  return pinImages({
    ...engineOptions(options, argv, io),
    inputs: options.inputs.map((i) => (i === '-' ? i : path.resolve(cwd, i))),
    policyPaths: policyPaths(cwd, options.policyFlags, config),
    cwd,
    helm: config.pin?.helm,
    chart: {
      app: { name: argv.app, namespace: argv.appNamespace },
      ...(argv.helmValues || argv.helmSet ? { source: { helm: { valueFiles: argv.helmValues, parameters: (argv.helmSet ?? []).map(parseHelmSet) } } } : {}),
    },
    write,
    force: argv.force,
    ...(argv.allowBreakingSignatures && { allowBreakingSignatures: true }),
  });
}

/** pin edits the checkout it runs in: `--path` names the app there; a fetched `--repo` has nothing to edit. */
function checkSourceFlags(argv: PinFlags): void {
  if (argv.repo) throw new UsageError('pin edits the files of this checkout: run it inside a clone of the repository (with --path for the app), not with --repo');
  if (argv.fluxKustomization) throw new UsageError('pin does not render --flux-kustomization: pass its path (-k DIR) instead');
  const given = [...(argv.paths ?? []), ...(argv.filename ?? []), ...(argv.kustomize ?? [])];
  if (argv.path !== undefined && given.length > 0) throw new UsageError('--path names the app itself: drop the PATH, -f and -k arguments');
}

async function pinPr(argv: PinFlags, io: CliIO) {
  const { publishPins, DEFAULT_PIN_BRANCH } = await import('../git/publish.js');
  const { checkApiUrl, DEFAULT_GITHUB_API, githubPullRequests, githubToken } = await import('../git/github.js');
  const { parseSlug, slugFromRemoteUrl, GitError } = await import('../git/remote.js');
  const { repoInfo } = await import('../git/worktree.js');
  const remote = argv.remote ?? 'origin';
  // Fail before any git work when the token or the repository is missing.
  const token = githubToken(io.env);
  checkApiUrl(argv.githubApiUrl ?? DEFAULT_GITHUB_API);
  let slug = argv.githubRepo ? parseSlug(argv.githubRepo) : undefined;
  if (!slug) {
    const info = await repoInfo(io.cwd, remote);
    slug = info.remoteUrl ? slugFromRemoteUrl(info.remoteUrl) : undefined;
    if (!slug) throw new GitError(`cannot tell the GitHub repository from remote "${remote}": pass --repo owner/name`);
  }
  const repo = slug;
  if ([...(argv.paths ?? []), ...(argv.filename ?? [])].includes('-')) throw new UsageError('--pr reads manifests from the repository, not stdin');
  return publishPins({
    cwd: io.cwd,
    remote,
    branch: argv.branch ?? DEFAULT_PIN_BRANCH,
    base: argv.base,
    pin: (cwd, move) => runPin(argv, io, cwd, move, true),
    pullRequests: () => githubPullRequests(repo, token, argv.githubApiUrl),
  });
}
