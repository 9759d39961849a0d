// Custom resources that hold images nothing here reads: said on stderr, naming the object, so an
// unread image is never silent. Pure.

import type { ManifestObject } from './types.js';
import { formatPath } from './extract.js';

type Segment = string | number;

/** An object of a kind nothing reads images from, holding `image` fields: said, naming the object. */
export function warnUncovered(obj: ManifestObject, warn: (m: string) => void): void {
  const fields = uncoveredImageFields(obj.object);
  if (fields.length === 0) return;
  const meta = (obj.object.metadata ?? {}) as { name?: unknown };
  warn(
    `${obj.file}:${obj.line}: ${String(obj.object.apiVersion)} ${String(obj.object.kind)}${typeof meta.name === 'string' ? ` ${meta.name}` : ''} has image fields (${fields.join(', ')}) that no extractor reads: ` +
      'those images are not verified. Add an extractor for this kind (config `extractors:`, or the policy\'s imageExtractors)',
  );
}

/**
 * `image`-named string fields of a custom resource no extractor reads: images the cluster may run
 * that nothing here verifies. Core and `*.k8s.io` kinds are not searched (their schemas are known).
 */
function uncoveredImageFields(object: Record<string, unknown>): string[] {
  const apiVersion = String(object.apiVersion);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (!group.includes('.') || group.endsWith('.k8s.io')) return [];
  const found: string[] = [];
  const walk = (v: unknown, at: Segment[]) => {
    if (found.length >= 3) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (typeof x === 'string' && /^(image|[a-z][A-Za-z]*Image)$/.test(k) && x !== '') found.push(formatPath([...at, k]));
        else walk(x, [...at, k]);
      }
    }
  };
  walk(object.spec, ['spec']);
  return found;
}

