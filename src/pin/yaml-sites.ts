// Finding the scalars pin may edit in files that are not Kubernetes objects:
// kustomization `images:` entries and Helm values image maps. Pure (text in, nodes out).

import { isMap, isScalar, isSeq, parseAllDocuments, type Node, type Scalar } from 'yaml';

/** A string-ish scalar with where its source text sits. */
export interface ScalarSite {
  /** The value as its source spells it (a plain `1.25` stays "1.25", not the number). */
  value: string;
  start: number;
  end: number;
  line: number;
}

export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The scalar `node` as a site, when it is a string, number or boolean (or empty). */
export function scalarSite(text: string, node: unknown): ScalarSite | undefined {
  if (!isScalar(node) || !node.range) return undefined;
  const s = node as Scalar;
  const [start, end] = s.range!;
  let value: string;
  if (s.value === null) value = '';
  else if (typeof s.value === 'string') value = s.value;
  else if (s.type === 'PLAIN' && (typeof s.value === 'number' || typeof s.value === 'boolean')) value = text.slice(start, end);
  else return undefined;
  return { value, start, end, line: lineAt(text, start) };
}

/** One `images:` entry of a kustomization file. */
export interface KustomizeImageEntry {
  name: string;
  newName?: string;
  newTag?: ScalarSite;
  /** Present when the entry already sets `digest` (then newTag is never added: kustomize ignores it). */
  digest?: string;
  line: number;
}

/** The `images:` entries of a kustomization file, and the local paths it builds on. */
export function readKustomization(text: string): { images: KustomizeImageEntry[]; bases: string[] } {
  const doc = parseAllDocuments(text, { prettyErrors: false })[0];
  const images: KustomizeImageEntry[] = [];
  const bases: string[] = [];
  if (!doc || doc.errors.length > 0 || !isMap(doc.contents)) return { images, bases };
  const root = doc.contents;
  const list = root.get('images', true);
  if (isSeq(list)) {
    for (const item of list.items) {
      if (!isMap(item)) continue;
      const name = item.get('name');
      if (typeof name !== 'string') continue;
      const newName = item.get('newName');
      const digest = item.get('digest');
      const entry: KustomizeImageEntry = { name, line: lineAt(text, item.range?.[0] ?? 0) };
      if (typeof newName === 'string') entry.newName = newName;
      const tag = scalarSite(text, item.get('newTag', true));
      if (tag && tag.value !== '') entry.newTag = tag;
      if (typeof digest === 'string' && digest !== '') entry.digest = digest;
      images.push(entry);
    }
  }
  for (const key of ['resources', 'bases', 'components']) {
    const seq = root.get(key, true);
    if (!isSeq(seq)) continue;
    for (const item of seq.items) if (isScalar(item) && typeof item.value === 'string') bases.push(item.value);
  }
  return { images, bases };
}

/** A Helm values image map: `registry`, `repository`, `tag`, and `digest` when the chart has one. */
export interface HelmImageSite {
  /** `[registry/]repository:tag` as the chart renders it. */
  image: string;
  tag?: ScalarSite;
  digest?: ScalarSite;
  line: number;
}

/** The image map at dotted `imagePath` (e.g. `api.image`) of a values file; undefined when absent. */
export function readHelmImage(text: string, imagePath: string): HelmImageSite | undefined {
  const doc = parseAllDocuments(text, { prettyErrors: false })[0];
  if (!doc || doc.errors.length > 0) return undefined;
  let node: unknown = doc.contents;
  for (const key of imagePath.split('.')) {
    if (!isMap(node)) return undefined;
    node = node.get(key, true);
  }
  if (!isMap(node)) return undefined;
  const map = node;
  const str = (key: string) => scalarSite(text, map.get(key, true) as Node | undefined);
  const repository = str('repository');
  if (!repository || repository.value === '') return undefined;
  const registry = str('registry');
  const tag = str('tag');
  const digest = map.has('digest') ? str('digest') : undefined;
  const name = registry && registry.value !== '' ? `${registry.value}/${repository.value}` : repository.value;
  return {
    image: tag && tag.value !== '' ? `${name}:${tag.value}` : name,
    ...(tag && { tag }),
    ...(digest && { digest }),
    line: lineAt(text, map.range?.[0] ?? 0),
  };
}
