// On-disk cache of verified (digest, requirement) pairs. Digests are immutable,
// so a pass stays a pass; failures are not cached, because a signature can be
// added later. Entries are plain files, so the directory can be shared between
// CI runs or mounted into Jobs.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
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
  const reads = new Map<string, Promise<CachedPass | undefined>>();
  const dirs = new Map<string, Promise<unknown>>();
  const writes: Promise<void>[] = [];
  let hits = 0;

  const read = async (key: string, digest: string): Promise<CachedPass | undefined> => {
    try {
      const entry = JSON.parse(await readFile(file(key), 'utf8')) as CachedPass & { digest?: string };
      // A cache file is only trusted for the digest it was written for.
      if (entry.digest !== digest || !Array.isArray(entry.reasons)) return undefined;
      hits++;
      return { signer: entry.signer, reasons: entry.reasons };
    } catch {
      return undefined;
    }
  };
  const write = async (target: string, body: string) => {
    try {
      const parent = path.dirname(target);
      let made = dirs.get(parent);
      if (!made) dirs.set(parent, (made = mkdir(parent, { recursive: true })));
      await made;
      const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, body);
      await rename(tmp, target); // atomic: readers see the old file or the new one
    } catch {
      // A cache that cannot be written only costs speed.
    }
  };
  return {
    get hits() {
      return hits;
    },
    get(digest, requirement) {
      const key = cacheKey(digest, requirement);
      let p = reads.get(key);
      if (!p) reads.set(key, (p = read(key, digest)));
      return p;
    },
    put(digest, requirement, entry) {
      const key = cacheKey(digest, requirement);
      reads.set(key, Promise.resolve(entry));
      writes.push(write(file(key), JSON.stringify({ digest, ...entry })));
    },
    async flush() {
      await Promise.all(writes);
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
