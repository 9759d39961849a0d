// Large inputs are read on every core: each file is cut into slices of whole documents, worker
// threads read the slices (fast-parse + extract), and the uses come back in input order, so the
// result is the sequential reader's. Only for plain extraction: CEL extractors and policies that
// read whole objects keep the sequential path.

import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { TextBase } from './parse.js';
import { ManifestError, type ImageUse, type SourceContext, type SourcePosition } from './types.js';

/** Below this many bytes in all, workers cost more than they save. */
export const PARALLEL_MIN_BYTES = 4 << 20;
/** About this many bytes of documents per slice. */
const SLICE_BYTES = 1 << 20;

export interface ExtractUnit {
  file: string;
  text: string;
  base: TextBase;
  context: SourceContext;
}

export type UnitResult = { uses: ImageUse[]; manifests: number; uncovered?: string[] } | { error: { message: string; code?: string; position?: unknown } };

/** A file's text cut at `---` lines into slices of about `size` characters (whole documents each). */
export function slices(file: string, text: string, context: SourceContext, size = SLICE_BYTES): ExtractUnit[] {
  // Directives and `...` ends tie documents together: such a file is one slice.
  if (/^(?:%|\.\.\.(?:[ \t\r\n]|$))|\r(?!\n)/m.test(text)) return [{ file, text, base: { offset: 0, line: 1 }, context }];
  const out: ExtractUnit[] = [];
  const marker = /^---(?=[ \t\r\n]|$)/gm;
  let start = 0;
  let line = 1;
  const cut = (end: number) => {
    const part = text.slice(start, end);
    out.push({ file, text: part, base: { offset: start, line }, context });
    for (let i = part.indexOf('\n'); i !== -1; i = part.indexOf('\n', i + 1)) line++;
    start = end;
  };
  for (let m = marker.exec(text); m; m = marker.exec(text)) {
    if (m.index - start >= size) cut(m.index);
  }
  if (start < text.length || out.length === 0) cut(text.length);
  return out;
}

/**
 * The results of `units` in their order, read by up to `workers` threads (default: the cores,
 * at most 4). A slice's error is thrown where the sequential reader would have thrown it.
 */
export async function* extractParallel(units: readonly ExtractUnit[], workers = Math.min(4, availableParallelism())): AsyncGenerator<{ uses: ImageUse[]; manifests: number; uncovered?: string[] }> {
  const pool = Array.from({ length: Math.max(1, Math.min(workers, units.length)) }, () => startWorker());
  const pending = new Map<number, { resolve: (r: UnitResult) => void; reject: (e: Error) => void }>();
  const results: Promise<UnitResult>[] = [];
  for (const w of pool) {
    w.on('message', ({ id, result }: { id: number; result: UnitResult }) => {
      pending.get(id)?.resolve(result);
      pending.delete(id);
    });
    w.on('error', (err) => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
  }
  try {
    // Bounded: two slices in flight per worker, so memory holds a few slices, not the input.
    const inFlight = pool.length * 2;
    const send = (id: number) => {
      results[id] = new Promise<UnitResult>((resolve, reject) => pending.set(id, { resolve, reject }));
      pool[id % pool.length]!.postMessage({ id, unit: units[id] });
    };
    let next = 0;
    for (; next < Math.min(inFlight, units.length); next++) send(next);
    for (let i = 0; i < units.length; i++) {
      const result = await results[i]!;
      delete results[i];
      if (next < units.length) send(next++);
      if ('error' in result) {
        const { message, code, position } = result.error;
        if (code === 'MANIFEST_ERROR' && position) {
          // The message already names file:line:column; keep it and the position as they were.
          const err = new ManifestError('', position as SourcePosition);
          err.message = message;
          throw err;
        }
        throw new Error(message);
      }
      yield result;
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/**
 * The worker's module, when this build ships one: extract-worker.js beside this file (the .ts under
 * the test runner's TypeScript loader). The single-binary bundle has none: it reads sequentially.
 */
export function workerModule(): URL | undefined {
  const base = (import.meta as { url?: unknown }).url;
  if (typeof base !== 'string' || !base.startsWith('file:')) return undefined;
  const url = new URL(`./extract-worker${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
  return existsSync(url) ? url : undefined;
}

function startWorker(): Worker {
  return new Worker(workerModule()!);
}
