// The secret that authenticates cache entries: VERIFY_IMAGES_CACHE_KEY (CI: from a secret store,
// never from the cache itself), else a per-user key created on first use in
// $XDG_CONFIG_HOME/kubectl-verify-images/cache.key (0600), outside the cache directory.

import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeDirectories } from './make-directories.js';

export type CacheSecret = { secret: Buffer; source: string } | { unavailable: string };

export const CACHE_KEY_ENV = 'VERIFY_IMAGES_CACHE_KEY';

export function keyFile(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'kubectl-verify-images', 'cache.key');
}

export function cacheSecret(env: NodeJS.ProcessEnv): CacheSecret {
  const fromEnv = env[CACHE_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { secret: Buffer.from(fromEnv, 'utf8'), source: CACHE_KEY_ENV };
  const file = keyFile(env);
  try {
    return { secret: readKey(file), source: file };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { unavailable: (e as Error).message };
  }
  try {
    makeDirectories(path.dirname(file));
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
    } finally {
      closeSync(fd);
    }
    chmodSync(file, 0o600);
  } catch (e) {
    // Another run created it meanwhile: use theirs.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return { unavailable: `cannot create ${file}: ${(e as Error).message}` };
  }
  try {
    return { secret: readKey(file), source: file };
  } catch (e) {
    return { unavailable: (e as Error).message };
  }
}

/** A key others can read or write is no secret: refused (the cache is then not used). */
function readKey(file: string): Buffer {
  const info = statSync(file);
  if ((info.mode & 0o077) !== 0) throw new Error(`${file} is accessible to other users (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
  const text = readFileSync(file, 'utf8').trim();
  if (text.length < 32) throw new Error(`${file} is too short to be a cache key`);
  return Buffer.from(text, 'utf8');
}
