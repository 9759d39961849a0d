// What the manifest stage hands to the rest of the pipeline.

import type { Document, YAMLMap } from 'yaml';

/** Where something sits in a source file (1-based line and column). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** The workload an image is used by: what policy resource filters look at. */
export interface Workload {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Labels of the pod template (spec.template.metadata.labels…), for pod-controller kinds. */
  templateLabels?: Record<string, string>;
  /** A custom resource that runs its images like pods (Argo Rollout, Tekton Task…): a rule on Pods judges it. */
  createsPods?: boolean;
  /** The whole object (non-enumerable): what CEL policies (ImageValidatingPolicy) evaluate. */
  object?: Record<string, unknown>;
}

/** One place an image is used. */
export interface ImageUse extends SourcePosition {
  /** The image string exactly as written. */
  image: string;
  workload: Workload;
  /** Container (or image volume) name. */
  container: string;
  field: 'containers' | 'initContainers' | 'ephemeralContainers' | 'volumes' | 'extracted';
  /** For `extracted` uses: the extractor that found it (ImageValidatingPolicy `images[]`, imageExtractors `name`, a custom resource's field). */
  category?: string;
  /** Found by one rule's own extractors (Kyverno imageExtractors): only that rule judges this use. */
  onlyFor?: string;
  /** JSON path of the scalar inside the object, e.g. spec.template.spec.containers[0].image */
  path: string;
  /** Offsets [start, end) of the image scalar's source text in `file` when the text is the source (not rendered output). */
  range?: [number, number];
  /** A source artifact (a Helm chart, a Flux OCI artifact) rather than an image a container runs. */
  subject?: 'source';
}

/** One parsed Kubernetes object with where it starts. */
export interface ManifestObject extends SourcePosition {
  object: Record<string, unknown>;
  /** Parser handles for scalar positions (non-enumerable; absent when built by hand; built on first use by the fast reader). */
  yaml?: ManifestYaml;
  /** Fast reader: where the string value of `key` in the mapping `parent` (part of `object`) starts, for image fields (non-enumerable). */
  valueAt?: (parent: object, key: string) => { line: number; column: number } | undefined;
}

/** The YAML nodes an object was read from, so extraction can locate scalars. */
export interface ManifestYaml {
  doc: Document;
  node: YAMLMap;
  /** Where the parsed text starts in the file: node offsets + this = file offsets. */
  offset: number;
  /** File line and column of a node offset. */
  linePos(offset: number): { line: number; col: number };
}

/** Where a rendered object (kustomize output) came from, traced to its source file. */
export interface ObjectOrigin extends SourcePosition {
  /** Position of each image scalar in the source file, by ImageUse.path. */
  images: Record<string, SourcePosition>;
}

/** What extraction needs to know about the text an object was parsed from. */
export interface SourceContext {
  /** The text is generated (e.g. kustomize output): offsets do not point into a file, so no `range`. */
  rendered?: boolean;
  /** Origins of rendered objects, by objectKey() (kind/namespace/name). */
  origins?: ReadonlyMap<string, ObjectOrigin>;
}

/** Malformed input: the run stops with exit 2 and this position. */
export class ManifestError extends Error {
  readonly code = 'MANIFEST_ERROR';
  constructor(
    message: string,
    readonly position: SourcePosition,
  ) {
    super(`${position.file}:${position.line}:${position.column}: ${message}`);
  }
}
