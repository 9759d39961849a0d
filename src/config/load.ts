// Finds the repository's config (cosmiconfig name `verify-images`) and the
// policy paths: `--policy` wins, then the config's `policies`, then
// `.verify-images/` at the repository root. No policy anywhere is a usage error.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDuration } from './duration.js';

export interface RepoConfig {
  /** Policy files or directories, relative to the config file. */
  policies?: string[];
  /** Whether images no policy covers block the sync. */
  unmatched?: 'allow' | 'fail';
  concurrency?: number;
  cacheDir?: string;
  /** The shared verdict store and how long verdicts are trusted (`ttl`, e.g. 24h). */
  cache?: { url?: string; ttl?: string };
  insecureRegistries?: string[];
  registryCa?: string;
  /** A sigstore `trusted_root.json` to use instead of the public-good root. */
  trustedRoot?: string;
  /** `--timeout` / `--request-timeout` defaults, e.g. `45s`. */
  timeout?: string;
  requestTimeout?: string;
  /** `--offline` by default. */
  offline?: boolean;
  /** Mirrors TAP's install value `allow_unmatched_images` (default false: images no Tanzu pattern matches are denied). */
  tanzuAllowUnmatchedImages?: boolean;
  /** In-house custom resources: kind → image paths, as Kyverno's imageExtractors (every policy judges them). */
  extractors?: Record<string, { name: string; path: string; value?: string; key?: string; jmesPath?: string }[]>;
  /** `pin` settings: Helm values image maps to pin (values files absolute). */
  pin?: { helm?: Array<{ values: string; image?: string }> };
}

export interface LoadedConfig {
  config: RepoConfig;
  /** The file it came from, when there was one. */
  file?: string;
}

/** A usage or configuration problem: exit 2, nothing verified. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_ERROR';
}

const KNOWN_KEYS = new Set([
  'policies',
  'unmatched',
  'concurrency',
  'cacheDir',
  'cache',
  'insecureRegistries',
  'registryCa',
  'trustedRoot',
  'timeout',
  'requestTimeout',
  'offline',
  'tanzuAllowUnmatchedImages',
  'extractors',
  'pin',
]);

/** The repository root above `from`: the nearest directory holding `.git`, else `from` itself. */
export function repoRoot(from: string): string {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(from);
    dir = parent;
  }
}

/** Loads `--config FILE`, or searches from `cwd` up to the repository root. */
export async function loadConfig(cwd: string, explicit?: string): Promise<LoadedConfig> {
  const { cosmiconfig } = await import('cosmiconfig');
  const root = repoRoot(cwd);
  const explorer = cosmiconfig('verify-images', { stopDir: root, searchStrategy: 'global' });
  let found: { config: unknown; filepath: string; isEmpty?: boolean } | null;
  try {
    found = explicit ? await explorer.load(path.resolve(cwd, explicit)) : await explorer.search(cwd);
  } catch (err) {
    throw await configParseError(err as Error, explicit ? path.resolve(cwd, explicit) : undefined);
  }
  if (!found || found.isEmpty) return { config: {}, file: found?.filepath };
  return { config: validateConfig(found.config, found.filepath, await keyLines(found.filepath)), file: found.filepath };
}

/** Text configs (YAML, JSON, extension-less rc files): where each top-level key is written. */
async function keyLines(file: string): Promise<(key: string) => number | undefined> {
  if (/\.(c|m)?(j|t)s$/.test(file)) return () => undefined;
  const [{ readFile }, { LineCounter, parseDocument, isMap, isScalar }] = await Promise.all([import('node:fs/promises'), import('yaml')]);
  const text = await readFile(file, 'utf8').catch(() => '');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lines = new Map<string, number>();
  const root = /package\.json$/.test(file) && isMap(doc.contents) ? doc.contents.get('verify-images', true) : doc.contents;
  if (isMap(root)) {
    for (const pair of root.items) {
      if (isScalar(pair.key) && pair.key.range) lines.set(String(pair.key.value), lineCounter.linePos(pair.key.range[0]).line);
    }
  }
  return (key) => lines.get(key);
}

/** cosmiconfig's parse errors as `file:line: message`, like every other input error. */
async function configParseError(err: Error, explicit: string | undefined): Promise<ConfigError> {
  const file = /(?:in|from) (\S+?):?\s*$/m.exec(err.message.split('\n')[0] ?? '')?.[1] ?? explicit;
  const position = /\((\d+):\d+\)/.exec(err.message) ?? /line (\d+)/.exec(err.message);
  let line = position ? Number(position[1]) : undefined;
  if (line === undefined && file) {
    const { readFile } = await import('node:fs/promises');
    const { errorLine } = await import('./parse-error.js');
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) line = errorLine(text, file.endsWith('.json'));
  }
  const detail = err.message.split('\n').find((l, i) => i > 0 && l.trim() !== '') ?? err.message.split('\n')[0];
  const where = file ? `${file}${line ? `:${line}` : ''}` : 'config';
  return new ConfigError(`${where}: cannot read the config: ${detail?.replace(/\s*\(\d+:\d+\)$/, '').trim()}`, { cause: err });
}

function validateConfig(raw: unknown, file: string, lineOf: (key: string) => number | undefined = () => undefined): RepoConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${file}: the config must be a mapping`);
  }
  const c = raw as Record<string, unknown>;
  // Every message names the line of the setting it is about.
  const at = (key: string) => {
    const line = lineOf(key);
    return line === undefined ? file : `${file}:${line}`;
  };
  for (const key of Object.keys(c)) {
    if (!KNOWN_KEYS.has(key)) throw new ConfigError(`${at(key)}: unknown setting "${key}" (known: ${[...KNOWN_KEYS].join(', ')})`);
  }
  const strings = (key: string): string[] | undefined => {
    const v = c[key];
    if (v === undefined) return undefined;
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
      throw new ConfigError(`${at(key)}: "${key}" must be a string or a list of strings`);
    }
    return list as string[];
  };
  const string = (key: string): string | undefined => {
    const v = c[key];
    if (v !== undefined && typeof v !== 'string') throw new ConfigError(`${at(key)}: "${key}" must be a string`);
    return v as string | undefined;
  };
  const duration = (key: string): string | undefined => {
    const v = c[key];
    if (v === undefined) return undefined;
    if ((typeof v !== 'string' && typeof v !== 'number') || parseDuration(String(v)) === undefined) {
      throw new ConfigError(`${at(key)}: "${key}" must be a duration such as 60s or 2m`);
    }
    return String(v);
  };
  const bool = (key: string): boolean | undefined => {
    const v = c[key];
    if (v !== undefined && typeof v !== 'boolean') throw new ConfigError(`${at(key)}: "${key}" must be true or false`);
    return v as boolean | undefined;
  };
  const unmatched = c.unmatched;
  if (unmatched !== undefined && unmatched !== 'allow' && unmatched !== 'fail') {
    throw new ConfigError(`${at('unmatched')}: "unmatched" must be "allow" or "fail"`);
  }
  const concurrency = c.concurrency;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || (concurrency as number) < 1)) {
    throw new ConfigError(`${at('concurrency')}: "concurrency" must be a positive integer`);
  }
  const dir = path.dirname(file);
  const rel = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));
  return {
    policies: strings('policies')?.map((p) => path.resolve(dir, p)),
    unmatched: unmatched as RepoConfig['unmatched'],
    concurrency: concurrency as number | undefined,
    cacheDir: rel(string('cacheDir')),
    insecureRegistries: strings('insecureRegistries'),
    registryCa: rel(string('registryCa')),
    trustedRoot: rel(string('trustedRoot')),
    timeout: duration('timeout'),
    requestTimeout: duration('requestTimeout'),
    offline: bool('offline'),
    ...(c.tanzuAllowUnmatchedImages !== undefined && { tanzuAllowUnmatchedImages: bool('tanzuAllowUnmatchedImages') }),
    ...(c.cache !== undefined && { cache: cacheConfig(c.cache, at('cache')) }),
    ...(c.extractors !== undefined && { extractors: extractorsConfig(c.extractors, at('extractors')) }),
    ...(c.pin !== undefined && { pin: pinConfig(c.pin, file, at('pin')) }),
  };
}

/** `cache: {url: redis://…, ttl: 24h}`. */
function cacheConfig(raw: unknown, where: string): NonNullable<RepoConfig['cache']> {
  const bad = (why: string) => new ConfigError(`${where}: "cache" ${why} (cache: {url: redis://HOST:PORT/DB, ttl: 24h})`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('must be a mapping');
  const c = raw as Record<string, unknown>;
  const unknown = Object.keys(c).find((k) => k !== 'url' && k !== 'ttl');
  if (unknown) throw bad(`has an unknown field "${unknown}"`);
  if (c.url !== undefined && typeof c.url !== 'string') throw bad('url must be a string');
  if (c.ttl !== undefined && ((typeof c.ttl !== 'string' && typeof c.ttl !== 'number') || !parseDuration(String(c.ttl)))) throw bad('ttl must be a duration such as 24h or 90m');
  return { ...(c.url !== undefined && { url: c.url as string }), ...(c.ttl !== undefined && { ttl: String(c.ttl) }) };
}

/** `extractors: {Kind: [{path: /spec/steps/*, value?: image, name?, key?, jmesPath?}]}`. */
function extractorsConfig(raw: unknown, where: string): NonNullable<RepoConfig['extractors']> {
  const bad = (why: string) => new ConfigError(`${where}: "extractors" ${why} (kind → [{path: /spec/steps/*, value: image, name, jmesPath}])`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('must be a mapping');
  const out: NonNullable<RepoConfig['extractors']> = {};
  for (const [kind, list] of Object.entries(raw)) {
    if (!Array.isArray(list)) throw bad(`"${kind}" must be a list`);
    out[kind] = list.map((x: unknown) => {
      const e = x as Record<string, unknown> | null;
      if (!e || typeof e.path !== 'string' || !e.path.startsWith('/')) throw bad(`"${kind}": each entry needs a path starting with /`);
      const unknown = Object.keys(e).find((k) => !['path', 'value', 'name', 'key', 'jmesPath'].includes(k));
      if (unknown) throw bad(`"${kind}": unknown field "${unknown}"`);
      for (const k of ['value', 'name', 'key', 'jmesPath']) if (e[k] !== undefined && typeof e[k] !== 'string') throw bad(`"${kind}": ${k} must be a string`);
      return { name: (e.name as string | undefined) ?? 'custom', path: e.path, ...(e.value !== undefined && { value: e.value as string }), ...(e.key !== undefined && { key: e.key as string }), ...(e.jmesPath !== undefined && { jmesPath: e.jmesPath as string }) };
    });
  }
  return out;
}

/** `pin: {helm: [{values: FILE, image?: dotted.path}]}`; values files relative to the config file; without `image`, pin finds the image maps. */
function pinConfig(raw: unknown, file: string, where: string): NonNullable<RepoConfig['pin']> {
  const bad = () => new ConfigError(`${where}: "pin.helm" must be a list of {values: FILE, image: path.to.image (optional)}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${where}: "pin" must be a mapping`);
  const { helm, ...rest } = raw as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new ConfigError(`${where}: unknown setting "pin.${unknown}"`);
  if (helm === undefined) return {};
  if (!Array.isArray(helm)) throw bad();
  return {
    helm: helm.map((m: unknown) => {
      const e = m as Record<string, unknown> | null;
      if (!e || typeof e.values !== 'string' || (e.image !== undefined && (typeof e.image !== 'string' || e.image === ''))) throw bad();
      return { values: path.resolve(path.dirname(file), e.values), ...(e.image !== undefined && { image: e.image as string }) };
    }),
  };
}

/**
 * Every `.verify-images/` from the repository root down to `cwd`, the root's first: nearer folders
 * add policies (an app's own in a monorepo), never replace the root's. Otherwise running in an app
 * folder (as Argo CD's CMP does) could drop what a run from the root enforces.
 */
export function policyDirs(cwd: string, root = repoRoot(cwd)): string[] {
  const found: string[] = [];
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.verify-images');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) found.unshift(candidate);
    if (dir === root || path.dirname(dir) === dir) return found;
  }
}

/**
 * Where policies come from, in order: `--policy` paths, the config's `policies`,
 * every `.verify-images/` from the repository root down to `cwd`. Throws ConfigError when there is none.
 */
export function policyPaths(cwd: string, flags: string[] | undefined, config: RepoConfig): string[] {
  if (flags && flags.length > 0) {
    const paths = flags.map((p) => path.resolve(cwd, p));
    for (const p of paths) if (!existsSync(p)) throw new ConfigError(`--policy ${p}: no such file or directory`);
    return paths;
  }
  if (config.policies && config.policies.length > 0) {
    for (const p of config.policies) if (!existsSync(p)) throw new ConfigError(`policy path ${p} (from the config): no such file or directory`);
    return config.policies;
  }
  const dirs = policyDirs(cwd);
  if (dirs.length > 0) return dirs;
  throw new ConfigError(
    'no policy found: pass --policy FILE|DIR, list "policies" in .verify-imagesrc.yaml, or add a .verify-images/ directory at the repository root',
  );
}
