// What every hook does after rendering: verify exactly the text it will print or report on,
// with the repository's config and policies. Writes the text to a temporary file so that the
// engine reads the very bytes the hook emits.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countText, type Result } from '../engine/result.js';
import type { RenderedSources } from '../sources/render.js';
import { parseDuration } from '../config/duration.js';
import { ConfigError } from '../config/load.js';

export interface HookSettings {
  /** Policy paths (relative to the repository root); default: config, then `.verify-images/`. */
  policies?: string[];
  unmatched?: 'allow' | 'fail';
  insecureRegistries?: string[];
  cacheDir?: string;
  /** The fleet's shared verdict store: the container's VERIFY_IMAGES_CACHE_URL only (never an app's or a repository's). */
  cacheUrl?: string;
  concurrency?: number;
  trustedRoot?: string;
  /** Milliseconds (VERIFY_IMAGES_TIMEOUT, e.g. `60s`); default 60 s, before Argo CD's 90 s exec limit. */
  timeoutMs?: number;
  /** Where objects that name no namespace land: the Application's destination namespace. */
  defaultNamespace?: string;
  /** The fetched revision (PreSync, the Flux hook with --repo): its signature is judged when a rule asks. */
  revision?: import('../engine/commit-judge.js').Revision;
  /** VERIFY_IMAGES_GPG_KEYS, VERIFY_IMAGES_ALLOWED_SIGNERS (--gpg-keys, --allowed-signers). */
  commitKeys?: { gpgKeys?: string; allowedSigners?: string };
}

/** How the rendered stream is named in reports. */
export const RENDERED = '<rendered>';

export interface RenderedVerification {
  result: Result;
  /** For stderr: symlinks left out, no image found. */
  warnings: string[];
  exitCode: 0 | 1 | 3;
}

function badTimeout(value: string): never {
  throw new ConfigError(`VERIFY_IMAGES_TIMEOUT=${value}: not a duration (e.g. 60s, 1m30s)`);
}

/** Reads a hook setting: the app-level `ARGOCD_ENV_<NAME>` wins over the container's `<NAME>`. */
export function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[`ARGOCD_ENV_${name}`] ?? env[name];
  return v === undefined || v === '' ? undefined : v;
}

export function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Hook settings from the environment (VERIFY_IMAGES_POLICY, _UNMATCHED, _INSECURE_REGISTRIES, _CACHE_DIR, _TRUSTED_ROOT). */
export function settingsFromEnv(env: NodeJS.ProcessEnv): HookSettings {
  const unmatched = setting(env, 'VERIFY_IMAGES_UNMATCHED');
  const timeout = setting(env, 'VERIFY_IMAGES_TIMEOUT');
  return {
    policies: list(setting(env, 'VERIFY_IMAGES_POLICY')),
    unmatched: unmatched === 'fail' || unmatched === 'allow' ? unmatched : undefined,
    insecureRegistries: list(setting(env, 'VERIFY_IMAGES_INSECURE_REGISTRIES')),
    cacheDir: setting(env, 'VERIFY_IMAGES_CACHE_DIR'),
    ...(env.VERIFY_IMAGES_CACHE_URL && { cacheUrl: env.VERIFY_IMAGES_CACHE_URL }),
    trustedRoot: setting(env, 'VERIFY_IMAGES_TRUSTED_ROOT'),
    // The container's keys only: an app must not bring the keys its own commits are checked with.
    ...((env.VERIFY_IMAGES_GPG_KEYS || env.VERIFY_IMAGES_ALLOWED_SIGNERS) && {
      commitKeys: { ...(env.VERIFY_IMAGES_GPG_KEYS && { gpgKeys: env.VERIFY_IMAGES_GPG_KEYS }), ...(env.VERIFY_IMAGES_ALLOWED_SIGNERS && { allowedSigners: env.VERIFY_IMAGES_ALLOWED_SIGNERS }) },
    }),
    timeoutMs: timeout === undefined ? undefined : (parseDuration(timeout) ?? badTimeout(timeout)),
  };
}

/**
 * Verifies what a hook renders. Given the sources it was joined from, the verdicts name the source
 * files (kustomize origins included) and only temporary renderings (Helm output, substituted Flux
 * text) are named `<app> (rendered)`; given only text, lines point into `<rendered>`.
 */
export async function verifyRendered(
  rendered: string | RenderedSources,
  root: string,
  settings: HookSettings,
  app = '.',
): Promise<RenderedVerification> {
  const { loadConfig, policyDirs, policyPaths } = await import('../config/load.js');
  const { run } = await import('../engine/run.js');
  const { exitCode } = await import('../engine/result.js');
  const { config } = await loadConfig(root);
  const dir = await mkdtemp(path.join(tmpdir(), 'verify-images-hook-'));
  try {
    const file = path.join(dir, 'rendered.yaml');
    if (typeof rendered === 'string') await writeFile(file, rendered);
    const { result, warnings } = await run({
      inputs: typeof rendered === 'string' ? [file] : [],
      ...(typeof rendered !== 'string' && { sources: rendered.sources }),
      // The root's `.verify-images/` and those between it and the app: nearer folders add, never replace.
      policyPaths: policyPaths(root, settings.policies ?? (config.policies ? undefined : nonEmpty(policyDirs(path.resolve(root, app), root))), config),
      unmatched: settings.unmatched ?? config.unmatched ?? 'allow',
      concurrency: settings.concurrency ?? config.concurrency ?? 16,
      cache: settings.cacheDir ?? config.cacheDir ?? '',
      ...(settings.cacheUrl && { cacheUrl: settings.cacheUrl }),
      insecureRegistries: [...(settings.insecureRegistries ?? []), ...(config.insecureRegistries ?? [])],
      registryCa: config.registryCa,
      trustedRoot: settings.trustedRoot ?? config.trustedRoot,
      timeoutMs: settings.timeoutMs ?? (config.timeout === undefined ? undefined : parseDuration(config.timeout)),
      ...(config.extractors && { extractors: config.extractors }),
      ...(config.tanzuAllowUnmatchedImages && { tanzuAllowUnmatchedImages: true }),
      ...(settings.defaultNamespace && { defaultNamespace: settings.defaultNamespace }),
      ...(settings.revision && { revision: settings.revision }),
      ...(settings.commitKeys && { commitKeys: settings.commitKeys }),
      cwd: root,
    });
    // Lines point into the repository, or into the rendered stream (what Argo CD/Flux apply), never into a temp file.
    const label = typeof rendered === 'string' ? RENDERED : `${app} (rendered)`;
    for (const image of result.results) {
      for (const use of image.uses) if (use.file === file || path.isAbsolute(use.file)) use.file = label;
    }
    const before = typeof rendered === 'string' ? [] : rendered.warnings;
    return { result, exitCode: exitCode(result), warnings: [...before, ...warnings] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** None found: policyPaths() says so (the root is passed explicitly: the CMP's tree may have no `.git` to find it by). */
function nonEmpty(list: string[]): string[] | undefined {
  return list.length > 0 ? list : undefined;
}

/** One line for a Job termination message or an Event: the verdict and the first blocking reasons. */
export function oneLine(result: Result, exit: number): string {
  const s = result.summary;
  const counts = `${countText(s)}: ${s.pass} pass, ${s.fail} fail, ${s.warn} warn, ${s.error} error, ${s.skip} skip, ${s.unmatched} unmatched`;
  if (exit === 0) return `verify-images passed: ${counts}`;
  const blocked = result.results
    .filter((r) => r.status === 'fail' || r.status === 'error' || (r.status === 'unmatched' && result.unmatched === 'fail'))
    .slice(0, 3)
    .map((r) => `${r.image} (${firstReason(r)})`);
  return `verify-images blocked the sync: ${counts}; ${blocked.join('; ')}`.slice(0, 1000);
}

function firstReason(r: Result['results'][number]): string {
  const reason = r.policies.find((p) => p.status === r.status)?.reasons[0] ?? r.reasons?.[0] ?? r.status;
  return reason.replace(/\s+/g, ' ');
}
