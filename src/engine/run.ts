// The pipeline in order: sources → manifests → images →
// policy match → verify → one canonical Result. Nothing here prints.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultCacheDir, noCache, openVerdictCache, type VerdictCache } from '../cache/verdict-cache.js';
import { extractImages } from '../manifests/extract.js';
import { parseManifests } from '../manifests/parse.js';
import type { ImageUse } from '../manifests/types.js';
import { loadPolicies } from '../policy/loaders.js';
import type { Policy } from '../policy/model.js';
import { createRegistryClient } from '../registry/client.js';
import { loadCredentialStore } from '../registry/credentials.js';
import type { CredentialStore } from '../registry/types.js';
import type { RegistryClient } from '../registry/types.js';
import { readSources } from '../sources/files.js';
import { renderKustomize } from '../sources/kustomize.js';
import { loadTrustMaterial, type TrustMaterial } from '../verify/trusted-root.js';
import { readPolicyFiles } from '../config/policy-files.js';
import { createKeyResolver } from '../keys/resolve.js';
import { createEvidence } from './evidence.js';
import { type JudgeDeps, judgeImages, prefetchImage } from './judge.js';
import { type Result, summarize } from './result.js';

export interface RunOptions {
  /** Files, directories or `-`. */
  inputs: string[];
  /** Policy files or directories, already resolved by the config stage. */
  policyPaths: string[];
  unmatched: 'allow' | 'fail';
  concurrency: number;
  /** Cache directory, or false for --no-cache. */
  cache: string | false;
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
  /** Policies loaded elsewhere (e.g. from the cluster), judged together with `policyPaths`. */
  policies?: Policy[];
}

export interface RunOutput {
  result: Result;
  stats: { manifests: number; uses: number; registryRequests?: number; cacheHits: number; ms: { collect: number; verify: number } };
}

/** Stage 1–3: every image use in the inputs, with file and line. */
export async function collectUses(
  inputs: string[],
  opts: { cwd?: string; stdin?: NodeJS.ReadableStream; onUse?: (use: ImageUse) => void } = {},
): Promise<{ uses: ImageUse[]; manifests: number }> {
  const cwd = opts.cwd ?? process.cwd();
  const absolute = inputs.map((i) => (i === '-' ? i : path.resolve(cwd, i)));
  const sources = await readSources(absolute, { stdin: opts.stdin, kustomize: renderKustomize });
  const uses: ImageUse[] = [];
  let manifests = 0;
  for (const source of sources) {
    const file = displayPath(cwd, source.file);
    for (const obj of parseManifests(source.text, file)) {
      manifests++;
      for (const use of extractImages(obj, source)) {
        const shown = { ...use, file: displayPath(cwd, use.file) };
        uses.push(shown);
        opts.onUse?.(shown);
      }
      // Let network callbacks (prefetches) advance while the rest is parsed.
      if (opts.onUse && manifests % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { uses, manifests };
}

/** Paths as the user sees them: relative to where they ran us, when inside it. */
export function displayPath(cwd: string, file: string): string {
  if (!path.isAbsolute(file)) return file;
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

export async function loadPolicyPaths(paths: string[], cwd = process.cwd()): Promise<Policy[]> {
  const files = await readPolicyFiles(paths);
  return loadPolicies(files.map((f) => ({ ...f, file: displayPath(cwd, f.file) })));
}

export async function run(options: RunOptions): Promise<RunOutput> {
  const started = performance.now();
  const registry =
    options.registry ??
    createRegistryClient({
      insecureRegistries: options.insecureRegistries,
      registryCa: options.registryCa ? await readFile(options.registryCa, 'utf8') : undefined,
      concurrency: options.concurrency,
      credentials: options.credentials ?? loadCredentialStore(options.env ?? process.env),
    });
  const cache = options.cache === false ? noCache : openVerdictCache(options.cache || defaultCacheDir(options.env));
  let trust: TrustMaterial | undefined;
  const deps: JudgeDeps = {
    evidence: createEvidence(registry),
    cache,
    trust: () => (trust ??= loadTrustMaterial(options.trustedRoot ? { trustedRootFile: options.trustedRoot } : {})),
    concurrency: options.concurrency,
    keys: createKeyResolver({ kubeconfig: options.kubeconfig, context: options.context, env: options.env }),
  };
  try {
    return await pipeline(options, registry, cache, deps, started);
  } finally {
    if (!options.registry) await (registry as { close?: () => Promise<void> }).close?.();
  }
}

async function pipeline(
  options: RunOptions,
  registry: RegistryClient,
  cache: VerdictCache,
  deps: JudgeDeps,
  started: number,
): Promise<RunOutput> {
  // Policies first (small), so each image can be prefetched the moment it is parsed.
  const policies = [...(await loadPolicyPaths(options.policyPaths, options.cwd)), ...(options.policies ?? [])];
  const seen = new Set<string>();
  const onUse = (use: ImageUse) => {
    if (seen.has(use.image)) return;
    seen.add(use.image);
    prefetchImage(use.image, policies, deps);
  };
  const { uses, manifests } = options.uses
    ? { uses: options.uses, manifests: 0 }
    : await collectUses(options.inputs, { cwd: options.cwd, stdin: options.stdin, onUse });
  const collected = performance.now();
  const results = await judgeImages(uses, policies, deps);
  await cache.flush();
  const stats = (registry as { stats?: () => { requests: number } }).stats?.();
  return {
    result: { summary: summarize(results), results, unmatched: options.unmatched },
    stats: {
      manifests,
      uses: uses.length,
      registryRequests: stats?.requests,
      cacheHits: cache.hits,
      ms: { collect: Math.round(collected - started), verify: Math.round(performance.now() - collected) },
    },
  };
}
