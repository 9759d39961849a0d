// Image uses of one Kubernetes object: every place a pod-creating kind names an image. Pure.

import type { Node } from 'yaml';
import { yamlLib } from './yaml-lib.js';
import type { ImageUse, ManifestObject, ManifestYaml, ObjectOrigin, SourceContext, SourcePosition, Workload } from './types.js';
import { customResource } from './custom-resources.js';
import { extractByPaths } from './path-extract.js';

type Segment = string | number;

/** Where the pod spec sits, per kind; the API group guards against CRDs that reuse a kind name. */
const POD_SPEC: Record<string, { groups: string[]; path: string[] }> = {
  Pod: { groups: [''], path: ['spec'] },
  PodTemplate: { groups: [''], path: ['template', 'spec'] },
  ReplicationController: { groups: [''], path: ['spec', 'template', 'spec'] },
  Deployment: { groups: ['apps', 'extensions'], path: ['spec', 'template', 'spec'] },
  ReplicaSet: { groups: ['apps', 'extensions'], path: ['spec', 'template', 'spec'] },
  StatefulSet: { groups: ['apps'], path: ['spec', 'template', 'spec'] },
  DaemonSet: { groups: ['apps', 'extensions'], path: ['spec', 'template', 'spec'] },
  Job: { groups: ['batch'], path: ['spec', 'template', 'spec'] },
  CronJob: { groups: ['batch'], path: ['spec', 'jobTemplate', 'spec', 'template', 'spec'] },
};

const CONTAINER_FIELDS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** Identity of an object in rendered output (what kustomize keeps unique). */
export function objectKey(object: Record<string, unknown>): string {
  const meta = asRecord(object.metadata);
  const ns = typeof meta?.namespace === 'string' ? meta.namespace : '';
  const name = typeof meta?.name === 'string' ? meta.name : '';
  return `${String(object.kind)}/${ns}/${name}`;
}

/** The pod spec path of a kind, or undefined when the kind creates no pods. */
export function podSpecPath(apiVersion: string, kind: string): string[] | undefined {
  const entry = POD_SPEC[kind];
  if (!entry) return undefined;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return entry.groups.includes(group) ? entry.path : undefined;
}

/**
 * Every image a pod-creating object uses: containers, initContainers, ephemeralContainers and
 * image volumes. Non-string images are not uses; string ones are returned even when invalid
 * (the engine reports them with this position). Unknown kinds give [].
 */
export function extractImages(obj: ManifestObject, source?: SourceContext): ImageUse[] {
  const object = obj.object;
  const custom = customResource(String(object.apiVersion), String(object.kind));
  const builtIn = podSpecPath(String(object.apiVersion), String(object.kind));
  // A controller outside the tables (OpenKruise CloneSet, OpenShift DeploymentConfig…) is known by its shape.
  const specPath = builtIn ?? custom?.podSpec ?? (custom?.extractors ? undefined : podSpecByShape(object));
  if (custom?.extractors) {
    const workload = workloadOf(object, []);
    workload.createsPods = true;
    return extractByPaths(obj, custom.extractors, workload, source);
  }
  if (!specPath) return [];
  const spec = asRecord(getIn(object, specPath));
  if (!spec) return [];

  const workload = workloadOf(object, specPath);
  if (!builtIn) workload.createsPods = true;
  const origin = source?.origins?.get(objectKey(object));
  const uses: ImageUse[] = [];
  const add = (image: unknown, container: unknown, field: ImageUse['field'], segments: Segment[]) => {
    if (typeof image !== 'string') return;
    const fullPath = [...specPath, ...segments];
    const path = formatPath(fullPath);
    // The fast reader knows where image values start; otherwise (or when it does not) the YAML nodes.
    const fast = origin ? undefined : fastPosition(obj, object, fullPath);
    const found = origin || fast ? undefined : scalarAt(obj.yaml, fullPath);
    const use: ImageUse = {
      ...(fast ? { file: obj.file, ...fast } : positionOf(obj, found, path, origin)),
      image,
      workload,
      container: typeof container === 'string' ? container : '',
      field,
      path,
    };
    // Offsets are only meaningful in a source file, and not through an alias (editing the
    // anchor would change its other uses too).
    if (!source?.rendered && !origin && found && !found.viaAlias && found.node.range) {
      const base = obj.yaml?.offset ?? 0;
      use.range = [found.node.range[0] + base, found.node.range[1] + base];
    }
    uses.push(use);
  };

  for (const field of CONTAINER_FIELDS) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      const container = asRecord(c);
      if (container) add(container.image, container.name, field, [field, i, 'image']);
    });
  }
  if (Array.isArray(spec.volumes)) {
    spec.volumes.forEach((v, i) => {
      const volume = asRecord(v);
      const image = asRecord(volume?.image);
      if (volume && image) add(image.reference, volume.name, 'volumes', ['volumes', i, 'image', 'reference']);
    });
  }
  return uses;
}

/** Where other controllers keep their pod template: Deployment-like, then CronJob-like. */
const POD_TEMPLATE_PATHS = [
  ['spec', 'template', 'spec'],
  ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
];

/** The path of a PodSpec (an object whose `containers` list holds an image) in an object of any kind. */
function podSpecByShape(object: Record<string, unknown>): string[] | undefined {
  return POD_TEMPLATE_PATHS.find((p) => {
    const containers = asRecord(getIn(object, p))?.containers;
    return Array.isArray(containers) && containers.some((c) => typeof asRecord(c)?.image === 'string');
  });
}

/** The workload an object is, whatever its kind (for CEL extractors of custom resources). */
export function workloadFor(object: Record<string, unknown>): Workload {
  return workloadOf(object, []);
}

/** Where a string value is written inside an object (the first scalar equal to it), for extracted images. */
export function valuePosition(obj: ManifestObject, value: string): SourcePosition {
  let found: Node | undefined;
  const walk = (node: unknown): void => {
    if (found || !node) return;
    if (yamlLib().isScalar(node)) {
      if (node.value === value) found = node;
    } else if (yamlLib().isMap(node)) for (const pair of node.items) walk(pair.value);
    else if (yamlLib().isSeq(node)) for (const item of node.items) walk(item);
  };
  walk(obj.yaml?.node);
  return positionOf(obj, found ? { node: found } : undefined, '', undefined);
}

function workloadOf(object: Record<string, unknown>, specPath: string[]): Workload {
  const meta = asRecord(object.metadata) ?? {};
  const workload: Workload = {
    apiVersion: String(object.apiVersion),
    kind: String(object.kind),
    labels: stringMap(meta.labels),
    annotations: stringMap(meta.annotations),
  };
  Object.defineProperty(workload, 'object', { value: object, enumerable: false });
  if (typeof meta.namespace === 'string') workload.namespace = meta.namespace;
  if (typeof meta.name === 'string') workload.name = meta.name;
  if (specPath.length > 1) {
    // The pod template is the spec's parent: …template.spec → …template.metadata.labels.
    const template = asRecord(getIn(object, specPath.slice(0, -1)));
    workload.templateLabels = stringMap(asRecord(template?.metadata)?.labels);
  }
  return workload;
}

function positionOf(
  obj: ManifestObject,
  found: { node: Node } | undefined,
  path: string,
  origin: ObjectOrigin | undefined,
): SourcePosition {
  if (origin) {
    const p = origin.images[path] ?? origin;
    return { file: p.file, line: p.line, column: p.column };
  }
  if (obj.yaml && found?.node.range) {
    const { line, col } = obj.yaml.linePos(found.node.range[0]);
    return { file: obj.file, line, column: col };
  }
  return { file: obj.file, line: obj.line, column: obj.column };
}

/**
 * The node of the string value at `segments` (the alias node itself when the value is an alias),
 * following aliases on the way; undefined when the value was merged in (`<<`) or is absent.
 */
function scalarAt(y: ManifestYaml | undefined, segments: Segment[]): { node: Node; viaAlias: boolean } | undefined {
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
  if (yamlLib().isAlias(node)) {
    const target = node.resolve(y.doc);
    return yamlLib().isScalar(target) && typeof target.value === 'string' ? { node, viaAlias: true } : undefined;
  }
  return yamlLib().isScalar(node) && typeof node.value === 'string' ? { node, viaAlias } : undefined;
}

function fastPosition(obj: ManifestObject, object: Record<string, unknown>, fullPath: Segment[]): { line: number; column: number } | undefined {
  if (!obj.valueAt) return undefined;
  const parent = getIn(object, fullPath.slice(0, -1));
  return typeof parent === 'object' && parent !== null ? obj.valueAt(parent, String(fullPath.at(-1))) : undefined;
}

function getIn(object: unknown, path: Segment[]): unknown {
  let v = object;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const r = asRecord(v);
  if (r) for (const [k, val] of Object.entries(r)) if (typeof val === 'string') out[k] = val;
  return out;
}

/** `spec.template.spec.containers[0].image` */
export function formatPath(segments: Segment[]): string {
  let out = '';
  for (const seg of segments) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  return out;
}
