// `kubectl verify-images [verify] PATH…`: flags → options (pure), then the
// engine (imported lazily, so `--help` and `--version` stay fast).

import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { RepoConfig } from '../config/load.js';
import { parseDuration } from '../config/duration.js';
import { VERIFY_OPTIONS } from './options.js';

export interface VerifyFlags {
  paths?: string[];
  filename?: string[];
  /** `-R`: `-f` directories are read recursively (kubectl's flag). */
  recursive?: boolean;
  kustomize?: string[];
  policy?: string[];
  config?: string;
  output?: string;
  concurrency?: number;
  cacheDir?: string;
  cache?: boolean;
  cacheUrl?: string;
  publishVsa?: boolean;
  vsaKey?: string;
  vsaFormat?: string;
  vsaPolicyUri?: string;
  insecureRegistry?: string[];
  registryCa?: string;
  trustedRoot?: string;
  gpgKeys?: string;
  allowedSigners?: string;
  color?: boolean;
  verbose?: boolean;
  timeout?: string;
  requestTimeout?: string;
  offline?: boolean;
  /** Global kubectl flags (registered in cluster.ts): where `k8s://` / Secret keys are read. */
  kubeconfig?: string;
  context?: string;
  /** `-n`: the namespace manifests that name none are applied to (as `kubectl apply -n`). */
  namespace?: string;
}

export interface VerifyOptions {
  inputs: string[];
  /** Inputs given with `-f` (read as kubectl does), and `-R`. */
  filenames: string[];
  recursive: boolean;
  /** Whether the user named the inputs (else `.`): each must hold a Kubernetes object. */
  named: boolean;
  policyFlags: string[];
  configFile?: string;
  output: string;
  concurrency: number;
  cache: string | false | undefined;
  /** Shared verdict store (`--cache-url`, VERIFY_IMAGES_CACHE_URL, config cache.url). */
  cacheUrl?: string;
  cacheTtlMs?: number;
  insecureRegistries: string[];
  registryCa?: string;
  trustedRoot?: string;
  /** Keys for commit signatures (--gpg-keys, --allowed-signers). */
  commitKeys: { gpgKeys?: string; allowedSigners?: string };
  color: boolean;
  unmatched: 'allow' | 'fail';
  extractors?: RepoConfig['extractors'];
  /** Milliseconds; 0 = no deadline. */
  timeoutMs: number;
  requestTimeoutMs: number;
  offline: boolean;
  tanzuAllowUnmatchedImages?: boolean;
  defaultNamespace?: string;
}

export function builder(yargs: Argv): Argv<VerifyFlags> {
  return yargs
    .positional('paths', { type: 'string', array: true, describe: 'manifest files, directories (kustomize dirs are rendered) or - for stdin' })
    .options(VERIFY_OPTIONS)
    .example('$0 deploy/', 'verify every image in deploy/ against .verify-images/')
    .example('$0 -k overlays/prod -p policies/ -o json', 'render an overlay, use explicit policies, print JSON') as Argv<VerifyFlags>;
}

/** Flags + repository config → the options the engine runs with. Pure. */
export function toOptions(argv: VerifyFlags, config: RepoConfig, env: NodeJS.ProcessEnv, isTTY: boolean): VerifyOptions {
  const inputs = [...(argv.paths ?? []), ...(argv.filename ?? []), ...(argv.kustomize ?? [])].map(String);
  const colorAllowed = argv.color !== false && env.NO_COLOR === undefined;
  return {
    inputs: inputs.length > 0 ? inputs : ['.'],
    filenames: (argv.filename ?? []).map(String),
    recursive: argv.recursive === true,
    named: inputs.length > 0,
    policyFlags: (argv.policy ?? []).map(String),
    configFile: argv.config,
    output: argv.output ?? (isTTY ? 'table' : 'table'),
    concurrency: concurrencyOption(argv.concurrency ?? config.concurrency ?? 16),
    cache: argv.cache === false ? false : (argv.cacheDir ?? config.cacheDir),
    ...cacheUrlOption(argv.cacheUrl ?? env.VERIFY_IMAGES_CACHE_URL ?? config.cache?.url),
    ...(config.cache?.ttl !== undefined && { cacheTtlMs: durationFlag('cache.ttl', config.cache.ttl, 0) }),
    insecureRegistries: [...(argv.insecureRegistry ?? []), ...(config.insecureRegistries ?? [])],
    registryCa: argv.registryCa ?? config.registryCa,
    trustedRoot: argv.trustedRoot ?? config.trustedRoot,
    commitKeys: { ...(argv.gpgKeys && { gpgKeys: argv.gpgKeys }), ...(argv.allowedSigners && { allowedSigners: argv.allowedSigners }) },
    color: colorAllowed && isTTY,
    unmatched: config.unmatched ?? 'allow',
    ...(config.extractors && { extractors: config.extractors }),
    timeoutMs: durationFlag('--timeout', argv.timeout ?? config.timeout, DEFAULT_TIMEOUT_MS),
    requestTimeoutMs: durationFlag('--request-timeout', argv.requestTimeout ?? config.requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS),
    offline: argv.offline === true || config.offline === true,
    ...(config.tanzuAllowUnmatchedImages && { tanzuAllowUnmatchedImages: true }),
    ...(argv.namespace && { defaultNamespace: String(argv.namespace) }),
  };
}

/** Checked before any work: `0`, `-1` or `abc` would otherwise wait out the whole --timeout. */
function concurrencyOption(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency ${String(value)}: must be a whole number of at least 1`);
  return n;
}

/** An empty VERIFY_IMAGES_CACHE_URL (a Helm value left blank) means none. */
function cacheUrlOption(url: string | undefined): { cacheUrl?: string } {
  return url ? { cacheUrl: url } : {};
}

// Kept here (not imported from the engine) so parsing flags loads nothing heavy.
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

function durationFlag(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(String(value));
  if (ms === undefined) throw new UsageError(`${flag} ${value}: not a duration (e.g. 90s, 2m, 1m30s, 500ms)`);
  return ms;
}

/** The engine settings every verifying command shares (verify, pin, --cluster). */
export function engineOptions(options: VerifyOptions, argv: { kubeconfig?: string; context?: string }, io: CliIO) {
  return {
    unmatched: options.unmatched,
    concurrency: options.concurrency,
    cache: options.cache ?? '',
    ...(options.cacheUrl && { cacheUrl: options.cacheUrl }),
    ...(options.cacheTtlMs !== undefined && { cacheTtlMs: options.cacheTtlMs }),
    insecureRegistries: options.insecureRegistries,
    registryCa: options.registryCa,
    trustedRoot: options.trustedRoot,
    commitKeys: options.commitKeys,
    // 0 means no limit: the largest delay a timer takes.
    timeoutMs: options.timeoutMs === 0 ? 2 ** 31 - 1 : options.timeoutMs,
    requestTimeoutMs: options.requestTimeoutMs === 0 ? 2 ** 31 - 1 : options.requestTimeoutMs,
    offline: options.offline,
    ...(options.tanzuAllowUnmatchedImages && { tanzuAllowUnmatchedImages: true }),
    ...(options.extractors && { extractors: options.extractors }),
    ...(options.defaultNamespace && { defaultNamespace: options.defaultNamespace }),
    kubeconfig: argv.kubeconfig,
    context: argv.context,
    env: io.env,
    stdin: io.stdin,
    cwd: io.cwd,
  };
}

/** The formatter for `-o NAME`, or a usage error listing the choices. */
export async function formatterFor(name: string) {
  const { formats } = await import('../report/index.js');
  const formatter = formats.get(name);
  if (!formatter) throw new UsageError(`unknown output format "${name}" (choose from ${[...formats.keys()].join(', ')})`);
  return formatter;
}

/** Runs a verification and returns the exit code (0/1/3; 2 is thrown as a usage error). */
export async function handler(argv: ArgumentsCamelCase<VerifyFlags>, io: CliIO): Promise<number> {
  if ((argv as { cluster?: boolean }).cluster) return (await import('./cluster.js')).clusterHandler(argv, io);
  const { loadConfig, policyPaths } = await import('../config/load.js');
  const { config } = await loadConfig(io.cwd, argv.config);
  const options = toOptions(argv, config, io.env, io.isTTY);
  const formatter = await formatterFor(options.output);
  const paths = policyPaths(io.cwd, options.policyFlags, config);
  // Publishing is checked before anything is verified: a missing or unreadable key is exit 2 at once.
  const vsa = argv.publishVsa ? await (await import('./publish-vsa.js')).prepareVsa(argv, options, io) : undefined;
  const { run } = await import('../engine/run.js');
  const { exitCode } = await import('../engine/result.js');
  const { startProgress, startProgressLog } = await import('../report/progress.js');
  const counts = { total: 0, done: 0, inFlight: 0 };
  const label = () => (counts.total > 0 ? `verifying images: ${counts.done}/${counts.total} done, ${counts.inFlight} in flight` : 'reading manifests');
  const progress = argv.verbose && !io.progress?.isTTY ? startProgressLog(io.stderr, { label }) : startProgress(io.progress, { label });
  // Inputs a GitOps source prepared (gitops-source.ts) were not typed by the user: its directory app may hold non-manifest files.
  const prepared = (argv as { preparedInputs?: boolean }).preparedInputs === true;
  const inputs = { inputs: options.inputs, filenames: options.filenames, recursive: options.recursive, requireObjects: options.named && !prepared };
  // No input named: the current directory is verified. Manifests piped in meanwhile would be ignored: refuse them.
  const piped = options.named || prepared ? undefined : watchStdin(io.stdin, io.stdinIsTTY);
  let output;
  try {
    // The revision a GitOps source fetched (gitops-source.ts): its commit signature is judged when asked for.
    const revision = (argv as { revisionSubject?: import('../engine/commit-judge.js').Revision }).revisionSubject;
    output = await run({ ...inputs, policyPaths: paths, progress: counts, ...engineOptions(options, argv, io), ...(revision && { revision }) }).finally(() => progress.stop());
  } finally {
    // Settled whatever happened: a listener left on a pipe nobody closes would keep the process alive.
    if (piped && (await piped.settle())) {
      throw new UsageError('manifests are piped in, but no input is named, so they would be ignored and the current directory verified: add `-` (`… | kubectl verify-images -`)');
    }
  }
  const { result, stats, warnings, policyDigest } = output;
  for (const w of warnings) io.stderr(`warning: ${w}\n`);
  io.stdout(formatter(result, { color: options.color, noHeaders: (argv as { headers?: boolean }).headers === false }));
  if (options.output === 'github' && io.env.GITHUB_STEP_SUMMARY) {
    // The formatter stays pure; the job summary file is the CLI's one side effect here.
    const [{ summary }, { appendFile }] = await Promise.all([import('../report/github.js'), import('node:fs/promises')]);
    await appendFile(io.env.GITHUB_STEP_SUMMARY, summary(result));
  }
  if (argv.verbose) {
    for (const n of output.notes) io.stderr(`verify-images: ${n}\n`);
    io.stderr(
      `verify-images: ${stats.manifests} manifests, ${stats.uses} image uses, ${result.summary.images} images, ` +
        `${stats.registryRequests ?? 0} registry requests, ${stats.cacheHits} cache hits` +
        `${stats.cacheRejected > 0 ? `, ${stats.cacheRejected} cache ${stats.cacheRejected === 1 ? 'entry' : 'entries'} rejected (not authentic)` : ''}; ` +
        `read ${stats.ms.collect} ms, verify ${stats.ms.verify} ms, total ${Math.round(performance.now())} ms since start ` +
        `(cpu ${Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000)} ms)\n`,
    );
  }
  const code = exitCode(result);
  if (!vsa) return code;
  const published = await vsa.publish(result, policyDigest, paths);
  // A VSA that could not be pushed is exit 3 (as an undecided image), unless a failure already is exit 1.
  return published || code !== 0 ? code : 3;
}

export class UsageError extends Error {
  readonly code = 'USAGE_ERROR';
}

/**
 * Watches stdin while the current directory is verified: `settle()` says whether anything but
 * whitespace arrived by the end of the run (or within a short grace after it). Never waits for a
 * writer that keeps the pipe open without writing.
 */
function watchStdin(stdin: NodeJS.ReadableStream, isTTY: boolean | undefined): { settle(): Promise<boolean> } | undefined {
  if (isTTY) return undefined;
  let data = false;
  let ended = false;
  const onData = (chunk: unknown) => {
    if (String(chunk).trim() !== '') data = true;
  };
  const onEnd = () => void (ended = true);
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  stdin.once('error', onEnd);
  return {
    async settle() {
      if (!data && !ended) await new Promise((r) => setTimeout(r, STDIN_GRACE_MS));
      stdin.off('data', onData);
      stdin.pause();
      (stdin as { unref?: () => void }).unref?.();
      return data;
    },
  };
}
const STDIN_GRACE_MS = 100;

export interface CliIO {
  cwd: string;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** Whether stdin is a terminal (nothing is piped in); absent: not a terminal. */
  stdinIsTTY?: boolean;
  stdin: NodeJS.ReadableStream;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr as a stream, for the progress line shown on a terminal (absent: none). */
  progress?: import('../report/progress.js').ProgressStream;
}
