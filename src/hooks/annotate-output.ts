// VERIFY_IMAGES_ANNOTATE=true in the CMP: each pod template of the output (what Argo CD applies)
// carries its verdict and the digests verified, under our own prefix, so the cluster shows what
// was verified. Only the documents with pod templates are re-rendered; the rest stay byte for byte.

import { isMap, parseAllDocuments } from 'yaml';
import type { ImageResult, Status } from '../engine/result.js';
import { worst } from '../engine/result.js';
import { customResource } from '../manifests/custom-resources.js';
import { podSpecPath } from '../manifests/extract.js';

export const STATUS_ANNOTATION = 'verify-images.io/status';
export const DIGESTS_ANNOTATION = 'verify-images.io/verified-digests';

export function annotateOutput(text: string, results: readonly ImageResult[]): string {
  const byImage = new Map(results.map((r) => [r.image, r]));
  const docs = parseAllDocuments(text, { keepSourceTokens: false });
  let out = '';
  let cursor = 0;
  for (const doc of Array.isArray(docs) ? docs : []) {
    const root = doc.contents;
    if (!isMap(root) || !root.range) continue;
    const object = doc.toJS() as Record<string, unknown>;
    const spec = podSpecPath(String(object['apiVersion']), String(object['kind'])) ?? customResource(String(object['apiVersion']), String(object['kind']))?.podSpec;
    if (!spec) continue;
    const templateMeta = spec.length > 1 ? [...spec.slice(0, -1), 'metadata'] : ['metadata'];
    const podSpec = spec.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], object) as Record<string, unknown> | undefined;
    const images = ['containers', 'initContainers', 'ephemeralContainers']
      .flatMap((f) => (Array.isArray(podSpec?.[f]) ? (podSpec![f] as Record<string, unknown>[]) : []))
      .map((c) => c['image'])
      .filter((i): i is string => typeof i === 'string');
    const verdicts = images.map((i) => byImage.get(i)).filter((r): r is ImageResult => r !== undefined);
    if (verdicts.length === 0) continue;
    const status: Status = worst(verdicts.map((v) => v.status));
    const digests = [...new Set(verdicts.filter((v) => v.digest && (v.status === 'pass' || v.status === 'warn')).map((v) => `${v.image.split('@')[0]}@${v.digest}`))];
    doc.setIn([...templateMeta, 'annotations', STATUS_ANNOTATION], status);
    doc.setIn([...templateMeta, 'annotations', DIGESTS_ANNOTATION], digests.join(','));
    const [start, , end] = root.range;
    out += text.slice(cursor, start) + doc.toString({ lineWidth: 0 }).replace(/^---\n/, '').replace(/\n$/, '');
    cursor = end;
    if (text[end - 1] === '\n' && !out.endsWith('\n')) out += '\n';
  }
  return out + text.slice(cursor);
}
