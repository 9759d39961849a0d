// Rewrite image references to `name:tag@digest` in rendered output only (never in Git), so
// Argo CD compares against what admission would mutate to. Pure text splice at scalar ranges.

import type { ImageResult } from '../engine/result.js';
import { extractImages } from '../manifests/extract.js';
import { parseManifests } from '../manifests/parse.js';

/** `ref` with `@digest` appended, unless it already carries one. Pure. */
export function pinnedReference(image: string, digest: string): string {
  return image.includes('@') ? image : `${image}@${digest}`;
}

/** Every image scalar in `text` that has a verified digest, pinned; the rest unchanged. */
export function pinImages(text: string, results: readonly ImageResult[]): string {
  const digests = new Map<string, string>();
  for (const r of results) if (r.digest && (r.status === 'pass' || r.status === 'warn' || r.status === 'skip')) digests.set(r.image, r.digest);
  const edits: { start: number; end: number; value: string }[] = [];
  for (const obj of parseManifests(text, 'rendered')) {
    for (const use of extractImages(obj)) {
      const digest = digests.get(use.image);
      if (!digest || !use.range) continue;
      const [start, end] = use.range;
      const original = text.slice(start, end);
      const quote = original.startsWith('"') || original.startsWith("'") ? original[0] : '';
      edits.push({ start, end, value: `${quote}${pinnedReference(use.image, digest)}${quote}` });
    }
  }
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.value + out.slice(e.end);
  return out;
}
