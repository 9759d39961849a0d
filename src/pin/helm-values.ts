// Finding, without a config mapping, the Helm values entries that produced an image: image
// maps (`repository` | `image` | `name`, optional `registry`, `tag` and/or `digest`) anywhere in
// the values layers, merged the way Helm merges them (later files, then --set, win). Pure.

import { isMap, isScalar, parseAllDocuments, type YAMLMap } from 'yaml';
import { type ScalarSite, scalarSite } from './yaml-sites.js';

/** One values source in Helm's order: the chart's values.yaml, then each values file. */
export interface ValuesLayer {
  /** Absolute file; undefined for values that live in no editable file (Argo CD inline values). */
  file?: string;
  /** How the layer is named in reasons. */
  label: string;
  text: string;
}

/** A `--set NAME=VALUE` parameter (Argo CD `helm.parameters`). */
export interface HelmParameter {
  name: string;
  value: string;
}

/** Where a pin for one image map goes, or why it cannot. */
export type HelmValuesTarget =
  | { file: string; field: 'digest' | 'tag'; site: ScalarSite; to: (digest: string) => string }
  | { blocked: string };

/** An image map of the merged values. */
export interface HelmValuesImage {
  /** Dotted path of the map, e.g. `image` or `worker.image`. */
  path: string;
  /** The reference as the chart renders it (`registry/repository:tag`). */
  image: string;
  target: HelmValuesTarget;
}

const REPOSITORY_KEYS = ['repository', 'image', 'name'] as const;

/** Where a field's effective value came from: a layer's scalar, or a parameter. */
interface Setting {
  value: string;
  layer: number;
  site?: ScalarSite;
  parameter?: string;
}

/**
 * Image maps of the merged values whose digest is not set yet. `appVersion` stands in for an
 * empty tag, as `helm create`'s template does (`.Values.image.tag | default .Chart.AppVersion`).
 */
export function findValuesImages(layers: readonly ValuesLayer[], opts: { appVersion?: string; parameters?: readonly HelmParameter[] } = {}): HelmValuesImage[] {
  const roots = layers.map((l) => rootMap(l.text));
  const parameters = parameterMap(opts.parameters ?? []);
  const paths = new Map<string, string[]>();
  roots.forEach((root) => root && collectImageMaps(root, [], paths));
  const globalRegistry = effective(layers, roots, parameters, ['global'], 'imageRegistry');
  const out: HelmValuesImage[] = [];
  for (const keys of paths.values()) {
    const get = (field: string) => effective(layers, roots, parameters, keys, field);
    const repositoryKey = REPOSITORY_KEYS.find((k) => get(k)?.value);
    if (!repositoryKey) continue;
    const repository = get(repositoryKey)!.value;
    const registry = globalRegistry?.value || get('registry')?.value;
    const tag = get('tag');
    const digest = get('digest');
    if (digest?.value) continue; // pinned already
    const shownTag = tag?.value || opts.appVersion;
    const name = registry ? `${registry}/${repository}` : repository;
    out.push({
      path: keys.join('.'),
      image: shownTag ? `${name}:${shownTag}` : name,
      target: targetOf(layers, keys.join('.'), tag, digest, opts.appVersion),
    });
  }
  return out;
}

/** The chart's digest key when it is set where the tag is (or later), else `tag: tag@digest`. */
function targetOf(layers: readonly ValuesLayer[], at: string, tag: Setting | undefined, digest: Setting | undefined, appVersion: string | undefined): HelmValuesTarget {
  const useDigest = digest !== undefined && (tag === undefined || digest.layer >= tag.layer);
  const setting = useDigest ? digest : tag;
  const field = useDigest ? 'digest' : 'tag';
  if (!setting) return { blocked: `values map ${at} has no tag to pin` };
  if (setting.parameter !== undefined) return { blocked: `${at}.${field} is set by the Helm parameter ${setting.parameter}: pin it there` };
  const layer = layers[setting.layer]!;
  if (!layer.file || !setting.site) return { blocked: `${at}.${field} is set in ${layer.label}: pin it there` };
  const from = setting.site.value;
  if (field === 'digest') return { file: layer.file, field, site: setting.site, to: (d) => d };
  if (from !== '') return { file: layer.file, field, site: setting.site, to: (d) => `${from.replace(/@.*$/, '')}@${d}` };
  if (!appVersion) return { blocked: `${at}.tag is empty and the chart has no appVersion` };
  return { file: layer.file, field, site: setting.site, to: (d) => `${appVersion}@${d}` };
}

function rootMap(text: string): YAMLMap | undefined {
  const doc = parseAllDocuments(text, { prettyErrors: false })[0];
  if (!doc || doc.errors.length > 0 || !isMap(doc.contents)) return undefined;
  return doc.contents;
}

/** Paths of maps with a repository-ish string and a `tag` or `digest` key (sequences are not merged by Helm: skipped). */
function collectImageMaps(map: YAMLMap, keys: string[], out: Map<string, string[]>): void {
  const hasRepository = REPOSITORY_KEYS.some((k) => isScalar(map.get(k, true)) && typeof map.get(k) === 'string');
  if (hasRepository && (map.has('tag') || map.has('digest'))) out.set(keys.join('\u0000'), keys);
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    if ((typeof key === 'string' || typeof key === 'number') && isMap(pair.value)) collectImageMaps(pair.value, [...keys, String(key)], out);
  }
}

/** The field's value after every layer and parameter, with where it was set. */
function effective(layers: readonly ValuesLayer[], roots: Array<YAMLMap | undefined>, parameters: Map<string, HelmParameter>, keys: string[], field: string): Setting | undefined {
  const param = parameters.get([...keys, field].join('\u0000'));
  if (param) return { value: param.value, layer: layers.length, parameter: `${param.name}=${param.value}` };
  let found: Setting | undefined;
  for (const [layer, root] of roots.entries()) {
    let node: unknown = root;
    for (const key of keys) node = isMap(node) ? node.get(key, true) : undefined;
    if (!isMap(node) || !node.has(field)) continue;
    const site = scalarSite(layers[layer]!.text, node.get(field, true));
    // A non-scalar value still hides the earlier one from Helm.
    found = site ? { value: site.value, layer, site } : { value: '', layer };
  }
  return found;
}

/** `a.b.c=v` → key path; names with list indices or escaped dots are not image-map fields here. */
function parameterMap(parameters: readonly HelmParameter[]): Map<string, HelmParameter> {
  const out = new Map<string, HelmParameter>();
  for (const p of parameters) if (!/[[\]\\]/.test(p.name)) out.set(p.name.split('.').join('\u0000'), p);
  return out;
}
