// The verdict cache: verified (digest, requirement) pairs, and the digest each tag last
// resolved to (for --offline). Digests are immutable, so a pass stays a pass; failures are not
// cached, because a signature can be added later. Every entry is sealed (seal.ts) so that
// whoever can write the store cannot forge a pass. Backends hold sealed texts by key
// (directory-store.ts, redis-store.ts): read in order (local, then shared), written to all.

import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { canonical, open, seal } from './seal.js';

export interface CachedPass {
  signer?: string;
  reasons: string[];
  /** When the evidence behind the pass stops being valid (ms since the epoch): the entry expires then at the latest. */
  until?: number;
}

/** Where sealed entries live: a directory, or a store shared by a fleet. */
export interface EntryStore {
  read(key: string): Promise<string | undefined>;
  /** Writes a batch; failures only cost speed (never thrown). */
  write(entries: ReadonlyMap<string, string>): Promise<void>;
  close?(): Promise<void>;
  /** false: tag resolutions are not kept here (a shared store holds verdicts only; tags are re-resolved). */
  tags?: boolean;
  /** Write each pass as soon as it is known (a shared store: other runners may be about to ask), not at the end. */
  eager?: boolean;
  /**
   * A short lock for a key nobody has answered yet (a shared store): true when this runner is the
   * one to verify it; false when another runner is verifying it right now.
   */
  claim?(key: string): Promise<boolean>;
  release?(key: string): Promise<void>;
}

export interface VerdictCache {
  /**
   * `where`: the repository the evidence was found in (`registry/repository`, the image's own or the
   * rule's signature repository). Part of the key: the same digest copied to a repository without
   * its signatures must not pass on a verdict found in another one.
   */
  get(digest: string, requirement: unknown, where: string): Promise<CachedPass | undefined>;
  /** Records a pass; written in the background, see flush(). */
  put(digest: string, requirement: unknown, where: string, entry: CachedPass): void;
  /** The digest `reference` (registry/repository:tag) resolved to last, and when (ms since the epoch). */
  getTag(reference: string): Promise<{ digest: string; at: number } | undefined>;
  putTag(reference: string, digest: string): void;
  /** Waits for pending writes: call once at the end of a run. */
  flush(): Promise<void>;
  /** Closes the stores' connections (after flush). */
  close?(): Promise<void>;
  /** The run has judged `digest`: locks it took for verdicts it did not write are released. */
  settle?(digest: string): void;
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

/** Stable key: where the evidence was found, the digest, and a canonical (key-sorted) rendering of the requirement. */
export function cacheKey(digest: string, requirement: unknown, where: string): string {
  return createHash('sha256').update(`verdict\n${where}\n${digest}\n${canonicalOf(requirement)}`).digest('hex');
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
  /** How long to wait for another runner verifying the same digest (default 3 s), polling every `pollMs` (100). */
  waitMs?: number;
  pollMs?: number;
}

export function createVerdictCache(stores: EntryStore | EntryStore[], secret: Uint8Array, opts: CacheOptions = {}): VerdictCache {
  const all = Array.isArray(stores) ? stores : [stores];
  const now = opts.now ?? Date.now;
  // Each key is read at most once per run, however many rules and images ask.
  const answers = new Map<string, Promise<{ body: unknown; at: number } | undefined>>();
  const pending = new Map<EntryStore, Map<string, string>>(all.map((s) => [s, new Map()]));
  let hits = 0;
  let rejected = 0;
  const holding = (tag: boolean) => (tag ? all.filter((s) => s.tags !== false) : all);

  const claimed = new Map<string, Set<string>>(); // digest → keys this runner holds the lock of
  const lookup = (key: string, tag: boolean, digest?: string) => {
    let answer = answers.get(key);
    if (!answer) {
      answer = (async () => {
        const missed: EntryStore[] = [];
        const found = (text: string) => {
          const opened = open(secret, key, text, now());
          if (!opened) rejected++;
          // Found further down (the shared store): keep it in the stores before it too.
          else for (const m of missed) pending.get(m)!.set(key, text);
          return opened;
        };
        let foreign = false;
        for (const store of holding(tag)) {
          const text = await store.read(key);
          const opened = text === undefined ? undefined : found(text);
          if (opened) return opened;
          foreign ||= text !== undefined;
          missed.push(store);
        }
        // Nobody has it: verify it ourselves, unless another runner is verifying it right now.
        // (An entry that did not open is no one's work in progress: ours will replace it.)
        const lock = tag || !digest || foreign ? undefined : all.find((s) => s.claim);
        if (!lock) return undefined;
        const take = async () => {
          if (!(await lock.claim!(key))) return false;
          if (!claimed.has(digest!)) claimed.set(digest!, new Set());
          claimed.get(digest!)!.add(key);
          return true;
        };
        if (await take()) return undefined;
        missed.splice(missed.indexOf(lock), 1);
        const until = Date.now() + (opts.waitMs ?? 3000);
        while (Date.now() < until) {
          await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
          const text = await lock.read(key);
          if (text !== undefined) return found(text);
          // Released without a pass (it failed there): verify it here, holding the lock in turn.
          if (await take()) return undefined;
        }
        return undefined; // slow over there: verified here too
      })();
      answers.set(key, answer);
    }
    return answer;
  };
  const releaseClaims = async (digest: string) => {
    const keys = claimed.get(digest);
    if (!keys) return;
    claimed.delete(digest);
    const lock = all.find((s) => s.release);
    await Promise.all([...keys].filter((k) => !written.has(k)).map((k) => lock?.release?.(k)));
  };
  const written = new Set<string>();
  const record = (key: string, body: unknown, tag: boolean, until?: number) => {
    const at = now();
    written.add(key);
    answers.set(key, Promise.resolve({ body, at }));
    const ttl = opts.ttlMs === undefined ? undefined : at + opts.ttlMs;
    const exp = until === undefined ? ttl : Math.min(until, ttl ?? until);
    const text = seal(secret, key, body, at, exp);
    for (const store of holding(tag)) {
      pending.get(store)!.set(key, text);
      if (store.eager) writeSoon(store);
    }
  };
  // Eager stores: the passes of one tick go out as one batch.
  const inFlight = new Set<Promise<void>>();
  const scheduled = new Set<EntryStore>();
  const writeSoon = (store: EntryStore) => {
    if (scheduled.has(store)) return;
    scheduled.add(store);
    setImmediate(() => {
      scheduled.delete(store);
      const entries = pending.get(store)!;
      if (entries.size === 0) return;
      const batch = new Map(entries);
      entries.clear();
      const p = store.write(batch).finally(() => inFlight.delete(p));
      inFlight.add(p);
    });
  };
  const counted = new Set<string>();

  return {
    get hits() {
      return hits;
    },
    get rejected() {
      return rejected;
    },
    async get(digest, requirement, where) {
      const key = cacheKey(digest, requirement, where);
      const found = await lookup(key, false, digest);
      const body = found?.body as CachedPass | undefined;
      if (!body || !Array.isArray(body.reasons)) return undefined;
      if (!written.has(key) && !counted.has(key)) {
        counted.add(key);
        hits++;
      }
      return { reasons: body.reasons, ...(typeof body.signer === 'string' && { signer: body.signer }) };
    },
    put(digest, requirement, where, entry) {
      if (entry.until !== undefined && entry.until <= now()) return; // already expired evidence
      record(cacheKey(digest, requirement, where), { reasons: entry.reasons, ...(entry.signer !== undefined && { signer: entry.signer }) }, false, entry.until);
    },
    async getTag(reference) {
      const found = await lookup(tagKey(reference), true);
      const digest = (found?.body as { digest?: unknown } | undefined)?.digest;
      return found && typeof digest === 'string' ? { digest, at: found.at } : undefined;
    },
    putTag(reference, digest) {
      record(tagKey(reference), { digest }, true);
    },
    settle(digest) {
      void releaseClaims(digest);
    },
    async flush() {
      await Promise.all([...claimed.keys()].map(releaseClaims));
      await new Promise((r) => setImmediate(r)); // eager batches scheduled this tick
      await Promise.all(inFlight);
      await Promise.all(
        [...pending].map(async ([store, entries]) => {
          if (entries.size === 0) return;
          const batch = new Map(entries);
          entries.clear();
          await store.write(batch);
        }),
      );
    },
    async close() {
      await Promise.all(all.map((s) => s.close?.()));
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
