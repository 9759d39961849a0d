// Image uses with the files they can be traced to: the source file (and scalar range) for
// plain manifests, the kustomization directory and origin file for rendered ones.

import path from 'node:path';
import { extractImages } from '../manifests/extract.js';
import { parseManifests } from '../manifests/parse.js';
import { readSources, STDIN_NAME } from '../sources/files.js';
import { renderKustomize } from '../sources/kustomize.js';
import type { HelmChart } from './helm-charts.js';
import type { TracedUse } from './plan.js';

/**
 * Like engine collectUses(), keeping absolute paths and which kustomization or Helm chart
 * (`charts`: absolute rendered file → chart) rendered each use. Stdin is skipped: nothing there to edit.
 */
export async function traceUses(inputs: string[], cwd: string, charts: ReadonlyMap<string, HelmChart> = new Map()): Promise<TracedUse[]> {
  const absolute = inputs.filter((i) => i !== '-').map((i) => path.resolve(cwd, i));
  const sources = await readSources(absolute, { kustomize: renderKustomize });
  const out: TracedUse[] = [];
  for (const source of sources) {
    for (const obj of parseManifests(source.text, source.file)) {
      for (const use of extractImages(obj, source)) {
        const traced: TracedUse = { use };
        const chart = charts.get(path.resolve(source.file));
        if (chart) {
          traced.helm = chart; // the rendered file is temporary: the values are the source
        } else if (source.rendered) {
          traced.kustomizeDir = path.resolve(source.file);
          // Without an origin the use points at the directory itself: no file.
          if (path.resolve(use.file) !== traced.kustomizeDir) traced.file = path.resolve(use.file);
        } else {
          traced.file = path.resolve(use.file);
        }
        out.push(traced);
      }
    }
  }
  return out;
}

/** Uses in stdin's text (read once by the run): its edits are printed, there is no file to write. */
export function traceStdin(text: string): TracedUse[] {
  return parseManifests(text, STDIN_NAME).flatMap((obj) => extractImages(obj).map((use) => ({ use, file: STDIN_NAME })));
}
