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
  put(digest: string, requirement: unknown, entry: CachedPass): Promise<void>;
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
    .update(`${FORMAT}\n${digest}\n${canonical(requirement)}`)
    .digest('hex');
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
  let hits = 0;
  const file = (key: string) => path.join(root, key.slice(0, 2), `${key}.json`);
  return {
    get hits() {
      return hits;
    },
    async get(digest, requirement) {
      try {
        const entry = JSON.parse(await readFile(file(cacheKey(digest, requirement)), 'utf8')) as CachedPass & { digest?: string };
        // A cache file is only trusted for the digest it was written for.
        if (entry.digest !== digest || !Array.isArray(entry.reasons)) return undefined;
        hits++;
        return { signer: entry.signer, reasons: entry.reasons };
      } catch {
        return undefined;
      }
    },
    async put(digest, requirement, entry) {
      const target = file(cacheKey(digest, requirement));
      try {
        await mkdir(path.dirname(target), { recursive: true });
        const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(tmp, JSON.stringify({ digest, ...entry }));
        await rename(tmp, target); // atomic: readers see the old file or the new one
      } catch {
        // A cache that cannot be written only costs speed.
      }
    },
  };
}

/** `--no-cache`: remembers nothing. */
export const noCache: VerdictCache = {
  hits: 0,
  async get() {
    return undefined;
  },
  async put() {},
};
