// The local cache backend: one small file per sealed entry under <dir>/v2/, written atomically
// (temporary file, rename). Plain files, so the directory can be kept between CI runs or mounted
// into Jobs; what is read back is authenticated by the cache, not trusted for being here.

import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { makeDirectories } from './make-directories.js';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../config/load.js';
import type { EntryStore } from './verdict-cache.js';

/**
 * Opens (creating) the directory. A directory that cannot be created or written is a usage
 * error (exit 2) when the user named it, and otherwise only costs speed (`onWarning`).
 */
export function directoryStore(dir: string, opts: { explicit: boolean; onWarning?: (m: string) => void }): EntryStore | undefined {
  const root = path.join(dir, 'v2');
  try {
    makeDirectories(root);
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    const message = `cache directory ${dir} cannot be used: ${(e as Error).message}`;
    if (opts.explicit) throw new ConfigError(`${message} (choose another --cache-dir, or --no-cache)`);
    opts.onWarning?.(`${message}; running without the verdict cache`);
    return undefined;
  }
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
  return {
    async read(key) {
      if (!listing().has(`${key}.json`)) return undefined;
      // An entry is a few hundred bytes: one synchronous read, not four trips to the thread pool.
      try {
        return readFileSync(path.join(root, `${key}.json`), 'utf8');
      } catch {
        return undefined;
      }
    },
    async write(entries) {
      try {
        for (const [key, text] of entries) {
          const target = path.join(root, `${key}.json`);
          const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
          await writeFile(tmp, text, { mode: 0o600 });
          await rename(tmp, target); // atomic: readers see the old file or the new one
        }
      } catch {
        // A cache that cannot be written only costs speed.
      }
    },
  };
}
