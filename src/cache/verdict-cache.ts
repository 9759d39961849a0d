// The verdict cache: verified (digest, requirement) pairs, and the digest each tag last
// resolved to (for --offline). Digests are immutable, so a pass stays a pass; failures are not
// cached, because a signature can be added later. Every entry is sealed (seal.ts) so that
// whoever can write the store cannot forge a pass. Backends hold sealed texts by key
// (directory-store.ts; a shared store implements the same EntryStore).

import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { canonical, open, seal } from './seal.js';

export interface CachedPass {
  signer?: string;
  reasons: string[];
}

/** Where sealed entries live: a directory, or a store shared by a fleet. */
export interface EntryStore {
  read(key: string): Promise<string | undefined>;
  /** Writes a batch; failures only cost speed (never thrown). */
  write(entries: ReadonlyMap<string, string>): Promise<void>;
  close?(): Promise<void>;
}

export interface VerdictCache {
  get(digest: string, requirement: unknown): Promise<CachedPass | undefined>;
  /** Records a pass; written in the background, see flush(). */
  put(digest: string, requirement: unknown, entry: CachedPass): void;
  /** The digest `reference` (registry/repository:tag) resolved to last, and when (ms since the epoch). */
  getTag(reference: string): Promise<{ digest: string; at: number } | undefined>;
  putTag(reference: string, digest: string): void;
  /** Waits for pending writes: call once at the end of a run. */
  flush(): Promise<void>;
  /** Distinct (digest, requirement) pairs answered from the cache in this run. */
  readonly hits: number;
  /** Entries present but not authentic (forged, edited, written under another key or for another key): ignored. */
  readonly rejected: number;
}

/** `$XDG_CACHE_HOME/kubectl-verify-images`, else `~/.cache/kubectl-verify-images`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'kubectl-verify-images');
}

/** Stable key: the digest plus a canonical (key-sorted) rendering of the requirement. */
export function cacheKey(digest: string, requirement: unknown): string {
  return createHash('sha256').update(`verdict\n${digest}\n${canonicalOf(requirement)}`).digest('hex');
}

export function tagKey(reference: string): string {
  return `tag-${createHash('sha256').update(`tag\n${reference}`).digest('hex')}`;
}

// Requirements are long-lived objects asked about once per image: render each once.
const rendered = new WeakMap<object, string>();
function canonicalOf(requirement: unknown): string {
  if (!requirement || typeof requirement !== 'object') return canonical(requirement);
  let text = rendered.get(requirement);
  if (text === undefined) rendered.set(requirement, (text = canonical(withoutPositions(requirement))));
  return text;
}

/** Where a requirement is written (`path`, `line`) is not what it requires: moving it keeps its verdicts. */
function withoutPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPositions);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'path' && k !== 'line').map(([k, v]) => [k, withoutPositions(v)]));
  }
  return value;
}

export interface CacheOptions {
  /** How long an entry is trusted after it is written (default: as long as it exists). */
  ttlMs?: number;
  now?: () => number;
}

export function createVerdictCache(store: EntryStore, secret: Uint8Array, opts: CacheOptions = {}): VerdictCache {
  const now = opts.now ?? Date.now;
  // Each key is read at most once per run, however many rules and images ask.
  const answers = new Map<string, Promise<{ body: unknown; at: number } | undefined>>();
  const pending = new Map<string, string>();
  let hits = 0;
  let rejected = 0;

  const lookup = (key: string) => {
    let answer = answers.get(key);
    if (!answer) {
      answer = store.read(key).then((text) => {
        if (text === undefined) return undefined;
        const opened = open(secret, key, text, now());
        if (!opened) rejected++;
        return opened;
      });
      answers.set(key, answer);
    }
    return answer;
  };
  const written = new Set<string>();
  const record = (key: string, body: unknown) => {
    const at = now();
    written.add(key);
    answers.set(key, Promise.resolve({ body, at }));
    pending.set(key, seal(secret, key, body, at, opts.ttlMs === undefined ? undefined : at + opts.ttlMs));
  };
  const counted = new Set<string>();

  return {
    get hits() {
      return hits;
    },
    get rejected() {
      return rejected;
    },
    async get(digest, requirement) {
      const key = cacheKey(digest, requirement);
      const found = await lookup(key);
      const body = found?.body as CachedPass | undefined;
      if (!body || !Array.isArray(body.reasons)) return undefined;
      if (!written.has(key) && !counted.has(key)) {
        counted.add(key);
        hits++;
      }
      return { reasons: body.reasons, ...(typeof body.signer === 'string' && { signer: body.signer }) };
    },
    put(digest, requirement, entry) {
      record(cacheKey(digest, requirement), { reasons: entry.reasons, ...(entry.signer !== undefined && { signer: entry.signer }) });
    },
    async getTag(reference) {
      const found = await lookup(tagKey(reference));
      const digest = (found?.body as { digest?: unknown } | undefined)?.digest;
      return found && typeof digest === 'string' ? { digest, at: found.at } : undefined;
    },
    putTag(reference, digest) {
      record(tagKey(reference), { digest });
    },
    async flush() {
      if (pending.size === 0) return;
      const batch = new Map(pending);
      pending.clear();
      await store.write(batch);
    },
  };
}

/** `--no-cache`: remembers nothing. */
export const noCache: VerdictCache = {
  hits: 0,
  rejected: 0,
  async get() {
    return undefined;
  },
  put() {},
  async getTag() {
    return undefined;
  },
  putTag() {},
  async flush() {},
};
