// A worker of the parallel reader (parallel-extract.ts): reads the documents of one slice of a
// file and returns their image uses (workloads without their objects) or the first error.

import { parentPort } from 'node:worker_threads';
import { extractImages } from './extract.js';
import { warnUncovered } from './uncovered.js';
import { readManifests } from './fast-parse.js';
import type { ExtractUnit, UnitResult } from './parallel-extract.js';
import type { ImageUse } from './types.js';

parentPort!.on('message', ({ id, unit }: { id: number; unit: ExtractUnit }) => {
  let result: UnitResult;
  try {
    const uses: ImageUse[] = [];
    const uncovered: string[] = [];
    let manifests = 0;
    for (const obj of readManifests(unit.text, unit.file, unit.base)) {
      manifests++;
      const found = extractImages(obj, unit.context);
      if (found.length === 0) warnUncovered(obj, (m) => uncovered.push(m));
      uses.push(...found);
    }
    result = { uses, manifests, ...(uncovered.length > 0 && { uncovered }) };
  } catch (err) {
    const e = err as Error & { code?: string; position?: unknown };
    result = { error: { message: e.message, code: e.code, position: e.position } };
  }
  parentPort!.postMessage({ id, result });
});
