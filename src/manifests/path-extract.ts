// Images at paths of an object, in Kyverno's imageExtractors shape: `path` is slash-separated
// with `*` over list items and map values and names the object holding the image; `value` the
// field (default `image`); `key` the field that names it (default `name`); `jmesPath` post-
// processes the value (e.g. `trim_prefix(@, 'docker://')`). Used for Kyverno imageExtractors,
// the built-in custom resources and the config's `extractors:`. Each use points at the value.

import type { Node } from 'yaml';
import { yamlLib } from './yaml-lib.js';
import { jmesSearch } from '../policy/jmespath.js';
import type { ImageUse, ManifestObject, SourceContext, SourcePosition, Workload } from './types.js';

export interface PathExtractor {
  /** Category (Kyverno `name`, default `custom`): how the image's use is labelled. */
  name: string;
  /** `/spec/steps/*` */
  path: string;
  value?: string;
  key?: string;
  jmesPath?: string;
}

type Segment = string | number;

export function extractByPaths(obj: ManifestObject, extractors: readonly PathExtractor[], workload: Workload, source?: SourceContext): ImageUse[] {
  const uses: ImageUse[] = [];
  for (const x of extractors) {
    const segments = x.path.split('/').filter(Boolean);
    for (const { value: holder, at } of walk(obj.object, segments, [])) {
      if (!holder || typeof holder !== 'object') continue;
      const field = x.value ?? 'image';
      let image: unknown = (holder as Record<string, unknown>)[field];
      if (typeof image !== 'string') continue;
      const written = image;
      if (x.jmesPath) {
        image = jmesSearch(image, x.jmesPath);
        if (typeof image !== 'string') continue;
      }
      const keyName = (holder as Record<string, unknown>)[x.key ?? 'name'];
      const fullPath = [...at, field];
      const found = scalarNode(obj, fullPath);
      const use: ImageUse = {
        ...position(obj, found?.node, source),
        image: image as string,
        workload,
        container: typeof keyName === 'string' ? keyName : x.name,
        field: 'extracted',
        category: x.name,
        path: formatPath(fullPath),
      };
      // Pinning edits the scalar: only where it holds exactly the image (no jmesPath rewrite) in a source file.
      if (!source?.rendered && image === written && found?.node.range && !found.viaAlias) use.range = [found.node.range[0], found.node.range[1]];
      uses.push(use);
    }
  }
  return uses;
}

/** Every value at `segments` (`*`: each list item or map value), with its concrete path. */
function* walk(value: unknown, segments: string[], at: Segment[]): Generator<{ value: unknown; at: Segment[] }> {
  if (segments.length === 0) {
    yield { value, at };
    return;
  }
  const [head, ...rest] = segments as [string, ...string[]];
  if (head === '*') {
    if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* walk(v, rest, [...at, i]);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* walk(v, rest, [...at, k]);
    return;
  }
  if (Array.isArray(value) && /^\d+$/.test(head)) return yield* walk(value[Number(head)], rest, [...at, Number(head)]);
  if (value && typeof value === 'object' && !Array.isArray(value)) yield* walk((value as Record<string, unknown>)[head], rest, [...at, head]);
}

function scalarNode(obj: ManifestObject, segments: Segment[]): { node: Node; viaAlias: boolean } | undefined {
  const y = obj.yaml;
  if (!y) return undefined;
  let node: unknown = y.node;
  let viaAlias = false;
  for (const seg of segments) {
    if (yamlLib().isAlias(node)) {
      viaAlias = true;
      node = node.resolve(y.doc);
    }
    if (yamlLib().isMap(node)) node = node.get(seg, true);
    else if (yamlLib().isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return undefined;
  }
  return yamlLib().isScalar(node) ? { node, viaAlias } : undefined;
}

function position(obj: ManifestObject, node: Node | undefined, source?: SourceContext): SourcePosition {
  if (source?.origins) return { file: obj.file, line: obj.line, column: obj.column };
  if (obj.yaml && node?.range) {
    const { line, col } = obj.yaml.linePos(node.range[0]);
    return { file: obj.file, line, column: col };
  }
  return { file: obj.file, line: obj.line, column: obj.column };
}

function formatPath(segments: Segment[]): string {
  let out = '';
  for (const seg of segments) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}
