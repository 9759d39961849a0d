// Render a kustomization with the real kustomize, keeping where each object came from.

import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { yamlLib } from '../manifests/yaml-lib.js';
import { objectKey } from '../manifests/extract.js';
import { SourceError } from './files.js';
import { runTool } from './run-tool.js';

const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';

export interface Rendered {
  /** Rendered YAML stream, without the origin annotations we asked for. */
  text: string;
  /** Absolute source file of each rendered object, by objectKey(); missing for generated or remote objects. */
  origins: Map<string, string>;
}

/** `kustomize build` when kustomize is on PATH, else `kubectl kustomize` (kustomize built in). */
async function build(dir: string): Promise<string> {
  let r = await runTool('kustomize', ['build', dir]);
  if (r.missing) r = await runTool('kubectl', ['kustomize', dir]);
  if (r.missing) throw new SourceError(`cannot render ${dir}: neither kustomize nor kubectl is on PATH`);
  if (r.code !== 0) throw new SourceError(r.stderr.trim() || `kustomize exited with ${r.code}`);
  return r.stdout;
}

/**
 * Renders `dir` the way `kubectl kustomize dir` does, and traces each object to its source file.
 * kustomize writes `config.kubernetes.io/origin` only when the kustomization asks for it, so we
 * render a throw-away kustomization that has `dir` as its only resource and asks for
 * `buildMetadata: [originAnnotations]`; the user's files are not touched. kustomize refuses an
 * absolute resource path, hence the relative one; origin paths are relative to that wrapper.
 */
export async function renderKustomize(dir: string): Promise<Rendered> {
  let target: string;
  try {
    target = await realpath(dir);
  } catch {
    throw new SourceError(`kustomization directory not found: ${dir}`);
  }
  const wrapper = await realpath(await mkdtemp(path.join(tmpdir(), 'verify-images-kustomize-')));
  try {
    const relative = path.relative(wrapper, target).split(path.sep).join('/');
    await writeFile(
      path.join(wrapper, 'kustomization.yaml'),
      yamlLib().stringify({ resources: [relative], buildMetadata: ['originAnnotations'] }),
    );
    let output: string;
    try {
      output = await build(wrapper);
    } catch (e) {
      if (e instanceof SourceError) throw new SourceError(`kustomize failed for ${dir}: ${e.message}`);
      throw e;
    }
    return stripOrigins(output, wrapper);
  } finally {
    await rm(wrapper, { recursive: true, force: true });
  }
}

/** Removes the origin annotations from the rendered stream, keeping them per object. */
export function stripOrigins(output: string, root: string): Rendered {
  const origins = new Map<string, string>();
  const docs = yamlLib().parseAllDocuments(output);
  const texts: string[] = [];
  for (const doc of docs) {
    const obj = doc.toJS() as Record<string, unknown> | null;
    if (!obj || !yamlLib().isMap(doc.contents)) continue;
    const annotations = doc.getIn(['metadata', 'annotations']);
    const origin = doc.getIn(['metadata', 'annotations', ORIGIN_ANNOTATION]);
    if (typeof origin === 'string') {
      const originPath = parseOriginPath(origin);
      if (originPath) origins.set(objectKey(obj), path.resolve(root, originPath));
      doc.deleteIn(['metadata', 'annotations', ORIGIN_ANNOTATION]);
      if (yamlLib().isMap(annotations) && annotations.items.length === 0) doc.deleteIn(['metadata', 'annotations']);
    }
    texts.push(doc.toString({ lineWidth: 0 }));
  }
  return { text: texts.join('---\n'), origins };
}

/** `path:` of a local origin; remote origins (`repo:`) have no file here. */
function parseOriginPath(annotation: string): string | undefined {
  const docs = yamlLib().parseAllDocuments(annotation);
  const value = docs[0]?.toJS() as { path?: unknown; repo?: unknown } | null | undefined;
  if (!value || value.repo !== undefined || typeof value.path !== 'string') return undefined;
  return value.path;
}
