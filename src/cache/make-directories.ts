// `mkdir -p` that cannot hang.

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * `mkdir -p`, one level at a time: node's recursive mkdir never returns for a path below /proc
 * (mkdir answers ENOENT although the parent exists, and it retries the parent forever).
 */
export function makeDirectories(dir: string): void {
  const missing: string[] = [];
  let at = path.resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const d of missing) mkdirSync(d, { mode: 0o700 });
}
