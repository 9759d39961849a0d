// The pipeline in order: sources → manifests → images →
// policy match → verify → one canonical Result. Nothing here prints.

import { setMaxListeners } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { createVerdictCache, defaultCacheDir, noCache, type EntryStore, type VerdictCache } from '../cache/verdict-cache.js';
import { directoryStore } from '../cache/directory-store.js';
import { CACHE_KEY_ENV, cacheSecret } from '../cache/secret.js';
import { parseCacheUrl, redisStore, sharedStoreCa } from '../cache/redis-store.js';
import { extractImages } from '../manifests/extract.js';
import { warnUncovered } from '../manifests/uncovered.js';
import { readManifests } from '../manifests/fast-parse.js';
import { extractParallel, PARALLEL_MIN_BYTES, slices, workerModule } from '../manifests/parallel-extract.js';
import { availableParallelism } from 'node:os';
import { ManifestError, type ImageUse, type ManifestObject, type Workload } from '../manifests/types.js';
import { parseReference } from '../images/reference.js';
import { loadPolicies, prepareLoaders } from '../policy/loaders.js';
import type { Policy } from '../policy/model.js';
import { asInstalled } from '../policy/installed.js';
import { registryClientFor } from '../registry/from-settings.js';
import type { CredentialStore } from '../registry/types.js';
import type { RegistryClient } from '../registry/types.js';
import { readSources, SourceError, STDIN_NAME, type SourceText } from '../sources/files.js';
import { renderKustomize } from '../sources/kustomize.js';
import { loadTrustMaterial, type TrustMaterial } from '../verify/trusted-root.js';
import { readPolicyFiles } from '../config/policy-files.js';
import { ConfigError } from '../config/load.js';
import { createKeyResolver } from '../keys/resolve.js';
import { createEvidence, offlineEvidence } from './evidence.js';
import { extraExtractor, type ConfigExtractors, type Extractor } from './extra-extract.js';
import { type JudgeDeps, judgeImages, prefetchImage, type RunProgress } from './judge.js';
import { type ImageResult, type Result, summarize } from './result.js';
import { hasManifestRules, judgeManifests } from './manifest-judge.js';
import { judgeRevision, wantsCommits, type CommitKeyFlags, type Revision } from './commit-judge.js';
import { secretOf, type SecretObject } from '../manifests/secrets.js';
import { parsePolicyDocuments } from '../policy/document.js';
import { subjectCollector } from './subjects.js';

import { policyDigest } from '../policy/files-digest.js';
import { withCelClock } from '../policy/ivpol/clock.js';

export interface RunOptions {
  /** Files, directories or `-`. */
  inputs: string[];
  /** Those of `inputs` given with `-f`: read as kubectl reads them (top level only without `recursive`, `-R`). */
  filenames?: string[];
  recursive?: boolean;
  /** Each input was named by the user: one that yields no Kubernetes object is an input error, not "0 images". */
  requireObjects?: boolean;
  /** Policy files or directories, already resolved by the config stage. */
  policyPaths: string[];
  unmatched: 'allow' | 'fail';
  concurrency: number;
  /** Cache directory, or false for --no-cache. */
  cache: string | false;
  /** A verdict store shared by a fleet (`--cache-url redis://…`), read after the local directory. */
  cacheUrl?: string;
  /** How long a cached verdict is trusted (config `cache.ttl`; default 24 h with a shared store, else unbounded). */
  cacheTtlMs?: number;
  insecureRegistries: string[];
  registryCa?: string;
  trustedRoot?: string;
  /** --kubeconfig / --context for `k8s://` and Secret keys (default: KUBECONFIG, current-context). */
  kubeconfig?: string;
  context?: string;
  /** Environment for KUBECONFIG and KMS credentials (default process.env). */
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  /** Directory relative inputs are resolved against and paths are shown from (default: process.cwd()). */
  cwd?: string;
  /** Injected for tests and benchmarks; created from the options otherwise. */
  registry?: RegistryClient;
  /** Registry credentials; default: the docker config (DOCKER_CONFIG, ~/.docker/config.json, helpers). */
  credentials?: CredentialStore;
  /** Image uses read elsewhere (the live cluster); `inputs` are not read when given. */
  uses?: ImageUse[];
  /** Manifest texts already read (a hook's rendered sources); `inputs` are not read when given. */
  sources?: SourceText[];
  /** The config's `extractors:` for in-house custom resources. */
  extractors?: ConfigExtractors;
  /**
   * The namespace objects that name none are applied to (`-n`, Argo CD's destination namespace),
   * as kubectl and Argo CD set it: rules restricted to namespaces judge them there. Default: `default`.
   */
  defaultNamespace?: string;
  /** No network at all: verdicts from the cache, keys and trust material from local files. */
  offline?: boolean;
  /** TAP installed with `allow_unmatched_images: true` (config `tanzuAllowUnmatchedImages`): images no Tanzu pattern matches are not denied. */
  tanzuAllowUnmatchedImages?: boolean;
  /** Deadline for the whole run (`--timeout`, default 60 s): images undecided then are `error`. */
  timeoutMs?: number;
  /** Deadline of one registry exchange (`--request-timeout`, default 10 s). */
  requestTimeoutMs?: number;
  /** Counters the engine keeps current (images done, in flight), for progress lines. */
  progress?: RunProgress;
  /** Policies loaded elsewhere (e.g. from the cluster), judged together with `policyPaths`. */
  policies?: Policy[];
  /** The time verdicts are judged at (`verify-images test` fixes it); default now. */
  now?: Date;
  /** Keys from Secrets and KMS are not fetched (replayed registries: nothing may reach the network). */
  keysOffline?: boolean;
  /** The revision verified (--repo/--revision, the hooks): its signature is judged when a rule or commitKeys ask. */
  revision?: Revision;
  /** `--gpg-keys`, `--allowed-signers`. */
  commitKeys?: CommitKeyFlags;
}

export interface RunOutput {
  result: Result;
  /** sha256 over the policy files the verdicts came from. */
  policyDigest: string;
  /** The Sigstore trusted root, when a check used it. */
  trustedRootJson?: string;
  /** Every rule judged with: what `verify-images test` expectations may name. */
  rules: { policy: string; rule: string; ruleName?: string }[];
  /** Stdin as read (once), when `-` was an input: `pin -` plans its edits on it. */
  stdin?: string;
  /** Said on stderr, not errors: a symlink left out, no image found. */
  warnings: string[];
  /** Said at -v: what was learnt about registries on the way (a referrers API that is not usable). */
  notes: string[];
  stats: {
    manifests: number;
    uses: number;
    registryRequests?: number;
    cacheHits: number;
    /** Cache entries that failed authentication (forged, edited, another key's): ignored, re-verified. */
    cacheRejected: number;
    ms: { collect: number; verify: number };
  };
}

/** Stage 1–3: every image use in the inputs, with file and line. */
export async function collectUses(
  inputs: string[],
  opts: {
    cwd?: string;
    stdin?: NodeJS.ReadableStream;
    onUse?: (use: ImageUse) => void;
    onWarning?: (message: string) => void;
    /** Texts already read (a hook's rendered sources): `inputs` are not read then. */
    sources?: SourceText[];
    /** More image uses of an object (ImageValidatingPolicy `images[]` extractors). */
    extract?: Extractor;
    /**
     * Keep each workload's whole object on its uses (CEL policies and Kyverno preconditions read
     * it). Without it memory holds only the uses, not the documents (default: keep).
     */
    keepObjects?: boolean;
    /** The namespace of objects that name none (see RunOptions.defaultNamespace). */
    defaultNamespace?: string;
    /** Inputs given with -f, read as kubectl reads them (see RunOptions). */
    filenames?: string[];
    recursive?: boolean;
    /** An input that yields no Kubernetes object throws (see RunOptions). */
    requireObjects?: boolean;
    /** Every object read, with the file it is shown at (signed-manifest rules judge whole objects). */
    onObject?: (obj: ManifestObject, file: string, source: SourceText) => void;
    /** Only texts this matches can hold an object onObject wants: none matching keeps the parallel reader. */
    onObjectIn?: RegExp;
    /** Inputs of at least `minBytes` characters are read by `workers` threads (default: 4 MiB, the cores up to 4; tests force it). */
    parallel?: { minBytes?: number; workers?: number };
  } = {},
): Promise<{ uses: ImageUse[]; manifests: number; sources: SourceText[] }> {
  const cwd = opts.cwd ?? process.cwd();
  const absolute = inputs.map((i) => (i === '-' ? i : path.resolve(cwd, i)));
  const onWarning = opts.onWarning && ((m: string) => opts.onWarning!(m.replaceAll(cwd + path.sep, '')));
  const kubectl = opts.filenames?.length ? { inputs: new Set(opts.filenames.map((i) => (i === '-' ? i : path.resolve(cwd, i)))), recursive: opts.recursive === true } : undefined;
  const flatInputs: ReadonlySet<string> = kubectl && !kubectl.recursive ? kubectl.inputs : new Set();
  // Objects read per input, to refuse a named input that holds none (a failed `helm template |`, a wrong path).
  const perInput = new Map<string | undefined, number>(absolute.map((i) => [i, 0]));
  const count = (input: string | undefined, n: number) => perInput.set(input, (perInput.get(input) ?? 0) + n);
  const sources =
    opts.sources ??
    (await readSources(absolute, { stdin: opts.stdin, kustomize: renderKustomize, onWarning, onRepeated: (i) => count(i, 1), ...(kubectl && { kubectl }) }).catch((e: unknown) => {
      // Paths as the user typed them, not as resolved.
      if (e instanceof SourceError) e.message = e.message.replaceAll(cwd + path.sep, '');
      throw e;
    }));
  const uses: ImageUse[] = [];
  const valid = new Set<string>();
  let manifests = 0;
  const accept = (found: ImageUse[]) => {
    const lean = new Map<Workload, Workload>();
    for (const use of found) {
      if (opts.defaultNamespace && use.workload.namespace === undefined) placeIn(use.workload, opts.defaultNamespace);
      const shown = { ...use, file: displayPath(cwd, use.file) };
      if (opts.keepObjects === false && use.workload.object) {
        // A copy has the enumerable fields only: the document can be collected.
        let w = lean.get(use.workload);
        if (!w) lean.set(use.workload, (w = { ...use.workload }));
        shown.workload = w;
      }
      if (!valid.has(shown.image)) {
        checkReference(shown);
        valid.add(shown.image);
      }
      uses.push(shown);
      opts.onUse?.(shown);
    }
  };
  // Large inputs, plain extraction: every core reads (same uses, same order, same errors).
  const bytes = sources.reduce((n, s) => n + s.text.length, 0);
  const workers = opts.parallel?.workers ?? Math.min(4, availableParallelism());
  const onObject = opts.onObject && (!opts.onObjectIn || sources.some((s) => opts.onObjectIn!.test(s.text))) ? opts.onObject : undefined;
  if (!opts.extract && !onObject && opts.keepObjects === false && bytes >= (opts.parallel?.minBytes ?? PARALLEL_MIN_BYTES) && workers > 1 && workerModule()) {
    // The input each slice was read for, in the order the results come back.
    const inputOf: (string | undefined)[] = [];
    const units = sources.flatMap((source) => {
      const parts = slices(displayPath(cwd, source.file), source.text, { ...(source.rendered && { rendered: true }), ...(source.origins && { origins: source.origins }) });
      inputOf.push(...parts.map(() => source.input));
      return parts;
    });
    let unit = 0;
    for await (const part of extractParallel(units, workers)) {
      manifests += part.manifests;
      for (const w of part.uncovered ?? []) onWarning?.(w);
      count(inputOf[unit++], part.manifests);
      accept(part.uses);
    }
    if (opts.requireObjects) refuseEmptyInputs(perInput, cwd, flatInputs);
    return { uses, manifests, sources };
  }
  for (const source of sources) {
    const file = displayPath(cwd, source.file);
    for (const obj of readManifests(source.text, file)) {
      manifests++;
      count(source.input, 1);
      onObject?.(obj, file, source);
      const found = extractImages(obj, source);
      if (opts.extract) found.push(...opts.extract(obj, found));
      if (found.length === 0 && onWarning) warnUncovered(obj, onWarning);
      accept(found);
      // Let network callbacks (prefetches) advance while the rest is parsed.
      if (opts.onUse && manifests % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (opts.requireObjects) refuseEmptyInputs(perInput, cwd, flatInputs);
  return { uses, manifests, sources };
}

/** A named input with no Kubernetes object in it: nothing was verified there, which must not read as a pass. */
function refuseEmptyInputs(perInput: ReadonlyMap<string | undefined, number>, cwd: string, flat: ReadonlySet<string>): void {
  for (const [input, n] of perInput) {
    if (input === undefined || n > 0) continue;
    if (input === '-') throw new SourceError('nothing to verify on stdin: it was empty or held no Kubernetes object (did the command piping into it fail? `set -o pipefail` makes the shell say so)');
    const shown = displayPath(cwd, input);
    const what = !isDirectory(input)
      ? 'no document in it has an apiVersion and a kind'
      : flat.has(input)
        ? 'no *.yaml, *.yml or *.json file at its top level holds a document with an apiVersion and a kind (-f reads the top level only; add -R for the folders below, as kubectl)'
        : 'no *.yaml, *.yml or *.json file below it holds a document with an apiVersion and a kind';
    throw new SourceError(`nothing to verify in ${shown}: ${what}`);
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** An object that names no namespace lands in the one it is applied to: the workload and the object (CEL, preconditions) say so. */
function placeIn(workload: Workload, namespace: string): void {
  workload.namespace = namespace;
  const meta = (workload.object as { metadata?: Record<string, unknown> } | undefined)?.metadata;
  if (meta && typeof meta === 'object' && meta.namespace === undefined) meta.namespace = namespace;
}

/** Kubernetes rejects such a pod (InvalidImageName): a manifest error at the image's file:line, exit 2. */
function checkReference(use: ImageUse): void {
  try {
    parseReference(use.image);
  } catch (err) {
    throw new ManifestError((err as Error).message, { file: use.file, line: use.line, column: use.column });
  }
}

/** Paths as the user sees them: relative to where they ran us, when inside it. */
export function displayPath(cwd: string, file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** The policies in the given files and directories, and what was read to find them. */
export interface PolicySet {
  policies: Policy[];
  /** Secrets among the policy files (Flux spec.verify keys). */
  secrets: SecretObject[];
  files: number;
  /** Files no loader reads by name (`policy.yaml.txt`), as shown to the user. */
  ignored: string[];
  /** sha256 over the policy files read (what a VSA names as its policy). */
  digest: string;
}

export async function loadPolicySet(paths: string[], cwd = process.cwd()): Promise<PolicySet> {
  const { files, ignored, trustStores } = await readPolicyFiles(paths);
  const shown = (f: string) => displayPath(cwd, f);
  const stores = new Map([...trustStores].map(([f, m]) => [shown(f), new Map([...m].map(([k, l]) => [k, l.map((x) => ({ ...x, file: shown(x.file) }))]))]));
  const texts = files.map((f) => ({ ...f, file: shown(f.file) }));
  await prepareLoaders(texts);
  const policies = loadPolicies(texts, { trustStores: stores });
  const secrets = texts.filter((t) => /\bkind:\s*"?Secret\b/.test(t.text)).flatMap((t) => parsePolicyDocuments(t.text, t.file).flatMap((d) => secretOf(d.value, t.file) ?? []));
  return { policies, secrets, files: files.length, ignored: ignored.map((f) => displayPath(cwd, f)), digest: policyDigest(texts) };
}

export async function loadPolicyPaths(paths: string[], cwd = process.cwd()): Promise<Policy[]> {
  return (await loadPolicySet(paths, cwd)).policies;
}

/**
 * Nothing to judge with is a usage error, never "every image unmatched" (exit 0): an empty policy
 * folder, a folder of ConfigMaps, policies under names no loader reads, rules without verifyImages.
 */
export function requireImageRules(set: PolicySet, paths: string[], others: Policy[] = [], cwd = process.cwd()): void {
  if ([...set.policies, ...others].some((p) => p.rules.length > 0 || (p.manifestRules?.length ?? 0) > 0 || (p.commitRules?.length ?? 0) > 0)) return;
  const where = paths.map((p) => displayPath(cwd, p)).join(', ') || '(none)';
  const found =
    set.files === 0
      ? 'no *.yaml, *.yml or *.json file there'
      : `${set.files} file${set.files === 1 ? '' : 's'} read, ${set.policies.length === 0 ? 'none of them an image policy' : 'no image verification rule in them'}`;
  const ignored = set.ignored.length > 0 ? `; not read (by name): ${set.ignored.slice(0, 5).join(', ')}${set.ignored.length > 5 ? ', …' : ''}` : '';
  throw new ConfigError(
    `no image policy loaded from ${where}: ${found}${ignored}. Every image would pass unchecked, so nothing is verified. ` +
      'Policies are Kyverno ClusterPolicy/Policy verifyImages rules, ImageValidatingPolicy, ClusterImagePolicy or a Notation trustpolicy.json.',
  );
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export async function run(options: RunOptions): Promise<RunOutput> {
  const started = performance.now();
  const warnings: string[] = [];
  const notes: string[] = [];
  const env = options.env ?? process.env;
  const cache = await openCache(options, env, (m) => warnings.push(m));
  // One deadline for the whole run: requests in flight are aborted, undecided images become errors.
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every request in flight listens to it
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<string>((resolve) => {
    timer = setTimeout(() => {
      stop.abort();
      resolve(`timed out after ${formatDuration(timeoutMs)} (--timeout) before this image was decided`);
    }, timeoutMs);
  });
  // --offline: no registry client at all (nor cluster, KMS or TUF): only what the cache recorded decides.
  const registry = options.offline
    ? undefined
    : (options.registry ??
      (await registryClientFor({
        env,
        insecureRegistries: options.insecureRegistries,
        ...(options.registryCa && { registryCaFile: options.registryCa }),
        concurrency: options.concurrency,
        timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        signal: stop.signal,
        onNote: (m) => notes.push(m),
        ...(options.credentials && { credentials: options.credentials }),
      })));
  let trust: TrustMaterial | undefined;
  const deps: JudgeDeps = {
    evidence: registry ? createEvidence(registry) : offlineEvidence(cache),
    cache,
    trust: () => (trust ??= loadTrustMaterial(options.trustedRoot ? { trustedRootFile: options.trustedRoot } : {})),
    concurrency: options.concurrency,
    keys: createKeyResolver({ kubeconfig: options.kubeconfig, context: options.context, env: options.env, offline: options.offline || options.keysOffline }),
    ...(options.now && { now: () => options.now! }),
    deadline,
    ...(options.offline && { offline: true }),
    ...(options.progress && { progress: options.progress }),
    env,
  };
  try {
    const out = { ...(await withCelClock(options.now, () => pipeline(options, registry, cache, deps, started, warnings))), notes };
    // What keyless checks were judged against: `verify-images test --record` keeps it with the fixtures.
    return trust?.trustedRootJson !== undefined ? { ...out, trustedRootJson: trust.trustedRootJson } : out;
  } finally {
    clearTimeout(timer);
    if (registry && !options.registry) await (registry as { close?: () => Promise<void> }).close?.();
    await cache.close?.();
  }
}

export const DEFAULT_SHARED_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The verdict cache the options ask for: the local directory, then the shared store. Without its
 * secret (or a usable directory) the run goes on without one; a shared store needs the secret in
 * VERIFY_IMAGES_CACHE_KEY (a usage error otherwise: a fleet must share the key, not a per-user one).
 */
async function openCache(options: RunOptions, env: NodeJS.ProcessEnv, warn: (m: string) => void): Promise<VerdictCache> {
  if (options.cache === false) return noCache;
  const shared = options.cacheUrl ? parseCacheUrl(options.cacheUrl, env) : undefined;
  if (shared && !env[CACHE_KEY_ENV]) {
    throw new ConfigError(`--cache-url ${shared.display}: a shared verdict store needs ${CACHE_KEY_ENV} (the same secret on every runner, e.g. from a Kubernetes Secret)`);
  }
  const key = cacheSecret(env);
  if ('unavailable' in key) {
    warn(`verdict cache not used: ${key.unavailable}`);
    return noCache;
  }
  const stores: EntryStore[] = [];
  const local = directoryStore(options.cache || defaultCacheDir(env), { explicit: Boolean(options.cache), onWarning: warn });
  if (local) stores.push(local);
  const ttlMs = options.cacheTtlMs ?? (shared ? DEFAULT_SHARED_TTL_MS : undefined);
  if (shared && options.offline) warn(`--offline: the shared verdict store ${shared.display} is not contacted; only the local cache decides`);
  else if (shared) {
    const timeoutMs = Math.min(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, SHARED_STORE_TIMEOUT_MS);
    const ca = shared.tls ? await sharedStoreCa(env) : undefined;
    stores.push(redisStore(shared, { ttlMs: ttlMs!, timeoutMs, onWarning: warn, ...(ca && { ca }) }));
  }
  return stores.length > 0 ? createVerdictCache(stores, key.secret, { ...(ttlMs !== undefined && { ttlMs }) }) : noCache;
}

/** A shared store is an optimisation: never wait on it longer than this per exchange. */
const SHARED_STORE_TIMEOUT_MS = 2000;

/** `60s`, `1m30s`, `500ms`: as the flags are written. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}` : `${s}s`;
}

async function pipeline(
  options: RunOptions,
  registry: RegistryClient | undefined,
  cache: VerdictCache,
  deps: JudgeDeps,
  started: number,
  warnings: string[],
): Promise<Omit<RunOutput, 'notes'>> {
  // Keys named on the command line (or the hook's env) that are not there are a usage error at once, not an undecided commit later.
  for (const [flag, file] of [['--gpg-keys', options.commitKeys?.gpgKeys], ['--allowed-signers', options.commitKeys?.allowedSigners]] as const) {
    if (file !== undefined && !existsSync(path.resolve(options.cwd ?? process.cwd(), file))) throw new ConfigError(`${flag} ${file}: no such file or directory`);
  }
  // Policies first (small), so each image can be prefetched the moment it is parsed.
  const set = await loadPolicySet(options.policyPaths, options.cwd);
  requireImageRules(set, options.policyPaths, options.policies, options.cwd);
  const policies = asInstalled([...set.policies, ...(options.policies ?? [])], {
    ...(options.defaultNamespace && { namespace: options.defaultNamespace }),
    ...(options.tanzuAllowUnmatchedImages && { allowUnmatchedImages: true }),
  });
  for (const p of policies) warnings.push(...(p.warnings ?? []));
  const seen = new Set<string>();
  const onUse = (use: ImageUse) => {
    if (seen.has(use.image)) return;
    seen.add(use.image);
    prefetchImage(use.image, policies, deps);
  };
  const extract = extraExtractor(policies, options.extractors);
  const collector = subjectCollector(policies, set.secrets, { revision: options.revision !== undefined, ...(options.defaultNamespace && { defaultNamespace: options.defaultNamespace }) });
  const { uses, manifests, sources } = options.uses
    ? { uses: options.uses, manifests: 0, sources: [] }
    : await collectUses(options.inputs, {
        cwd: options.cwd,
        stdin: options.stdin,
        sources: options.sources,
        onUse,
        onWarning: (m) => warnings.push(m),
        ...(extract && { extract }),
        ...(options.defaultNamespace && { defaultNamespace: options.defaultNamespace }),
        ...(options.filenames && { filenames: options.filenames, recursive: options.recursive === true }),
        ...(options.requireObjects && { requireObjects: true }),
        onObject: collector.onObject,
        ...(collector.onObjectIn && { onObjectIn: collector.onObjectIn }),
        keepObjects: policies.some((p) => p.rules.some((r) => r.requirement.kind === 'cel' || r.cel?.applies !== undefined || (r.cipPolicy && (r.cipPolicy.include.spec || r.cipPolicy.include.objectMeta || r.cipPolicy.include.typeMeta)))),
      });
  const stdin = sources.find((s) => s.file === STDIN_NAME)?.text;
  const subjects = collector.finish();
  warnings.push(...subjects.notes);
  // What only manifests hold is not in a cluster's workloads: said, not passed over in silence.
  if (options.uses && hasManifestRules(policies)) warnings.push('validate.manifests rules judge manifests, not the running workloads (--cluster): signed manifests are not checked in this run');
  // Legitimate (an app of CRDs only), but worth a word: a wrong path also finds nothing.
  if (uses.length === 0 && !options.uses && subjects.objects.length === 0 && subjects.sourceUses.length === 0) {
    warnings.push(`no container images found in ${options.inputs.map((i) => (i === '-' ? 'stdin' : i)).join(', ')} (${manifests} Kubernetes objects read)`);
  }
  const collected = performance.now();
  const commitKeys = options.commitKeys ?? {};
  let commit: ImageResult | undefined;
  if (options.revision) commit = await judgeRevision(options.revision, subjects.commitPolicies, subjects.secrets, commitKeys);
  else if (wantsCommits(policies, commitKeys)) warnings.push(`${wantsCommits(policies, {}) ? 'the policies ask for signed commits' : '--gpg-keys/--allowed-signers ask for a signed revision'}, but a revision's signature is judged only when it is fetched (--repo URL --revision REF, or the hooks): not checked here`);
  const results = [
    ...(commit ? [commit] : []),
    ...(await judgeManifests(subjects.objects, policies, deps)),
    ...(await judgeImages([...subjects.sourceUses, ...uses], [...policies, ...subjects.fluxPolicies], deps)),
  ];
  await cache.flush();
  const stats = (registry as { stats?: () => { requests: number } } | undefined)?.stats?.();
  return {
    result: { summary: summarize(results), results, unmatched: options.unmatched },
    policyDigest: set.digest,
    rules: policies.flatMap((p) => p.rules.map((r) => ({ policy: p.name, rule: r.path, ...(r.ruleName !== undefined && { ruleName: r.ruleName }) }))),
    ...(stdin !== undefined && { stdin }),
    warnings,
    stats: {
      manifests,
      uses: uses.length,
      registryRequests: stats?.requests,
      cacheHits: cache.hits,
      cacheRejected: cache.rejected,
      ms: { collect: Math.round(collected - started), verify: Math.round(performance.now() - collected) },
    },
  };
}
