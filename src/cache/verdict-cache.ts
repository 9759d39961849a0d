// On-disk cache of verified (digest, requirement) pairs. Digests are immutable,
// so a pass stays a pass; failures are not cached, because a signature can be
// added later. Entries are plain files, so the directory can be shared between
// CI runs or mounted into Jobs.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Bump when the meaning of a cached pass changes. */
const FORMAT = 1;

export interface CachedPass {
  signer?: string;
  reasons: string[];
}

export interface VerdictCache {
  get(digest: string, requirement: unknown): Promise<CachedPass | undefined>;
  /** Records a pass; written in the background, see flush(). */
  put(digest: string, requirement: unknown, entry: CachedPass): void;
  /** Waits for pending writes: call once at the end of a run. */
  flush(): Promise<void>;
  /** Distinct (digest, requirement) pairs answered from the cache in this run. */
  readonly hits: number;
}

/** `$XDG_CACHE_HOME/kubectl-verify-images`, else `~/.cache/kubectl-verify-images`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'kubectl-verify-images');
}

/** Stable key: the digest plus a canonical (key-sorted) rendering of the requirement. */
export function cacheKey(digest: string, requirement: unknown): string {
  return createHash('sha256')
    .update(`${FORMAT}\n${digest}\n${canonicalOf(requirement)}`)
    .digest('hex');
}

// Requirements are long-lived objects asked about once per image: render each once.
const rendered = new WeakMap<object, string>();
function canonicalOf(requirement: unknown): string {
  if (!requirement || typeof requirement !== 'object') return canonical(requirement);
  let text = rendered.get(requirement);
  if (text === undefined) rendered.set(requirement, (text = canonical(requirement)));
  return text;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function openVerdictCache(dir: string): VerdictCache {
  const root = path.join(dir, 'verdicts');
  const file = (key: string) => path.join(root, `${key}.json`);
  // Each pair is read at most once per run, however many rules and images ask.
  const answers = new Map<string, CachedPass | undefined>();
  const pending = new Map<string, string>();
  let hits = 0;
  // One directory listing instead of a failed open per miss: a cold run asks about every image.
  let present: Set<string> | undefined;
  const listing = (): Set<string> => {
    if (!present) {
      try {
        present = new Set(readdirSync(root));
      } catch {
        present = new Set();
      }
    }
    return present;
  };

  const read = (key: string, digest: string): CachedPass | undefined => {
    if (!listing().has(`${key}.json`)) return undefined;
    try {
      const entry = JSON.parse(readFileSync(file(key), 'utf8')) as CachedPass & { digest?: string };
      // A cache file is only trusted for the digest it was written for.
      if (entry.digest !== digest || !Array.isArray(entry.reasons)) return undefined;
      hits++;
      return { signer: entry.signer, reasons: entry.reasons };
    } catch {
      return undefined;
    }
  };
  return {
    get hits() {
      return hits;
    },
    async get(digest, requirement) {
      const key = cacheKey(digest, requirement);
      if (!answers.has(key)) answers.set(key, read(key, digest));
      return answers.get(key);
    },
    put(digest, requirement, entry) {
      const key = cacheKey(digest, requirement);
      answers.set(key, entry);
      pending.set(key, JSON.stringify({ digest, ...entry }));
    },
    async flush() {
      if (pending.size === 0) return;
      try {
        mkdirSync(root, { recursive: true });
        for (const [key, body] of pending) {
          const target = file(key);
          const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
          writeFileSync(tmp, body);
          renameSync(tmp, target); // atomic: readers see the old file or the new one
        }
      } catch {
        // A cache that cannot be written only costs speed.
      }
      pending.clear();
    },
  };
}

/** `--no-cache`: remembers nothing. */
export const noCache: VerdictCache = {
  hits: 0,
  async get() {
    return undefined;
  },
  put() {},
  async flush() {},
};
