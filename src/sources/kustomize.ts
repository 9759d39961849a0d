// Render a kustomization with the real kustomize, keeping where each object came from.

import { spawn } from 'node:child_process';
import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { yamlLib } from '../manifests/yaml-lib.js';
import { objectKey } from '../manifests/extract.js';
import { SourceError } from './files.js';

const ORIGIN_ANNOTATION = 'config.kubernetes.io/origin';

export interface Rendered {
  /** Rendered YAML stream, without the origin annotations we asked for. */
  text: string;
  /** Absolute source file of each rendered object, by objectKey(); missing for generated or remote objects. */
  origins: Map<string, string>;
}

/** Runs a command; resolves with stdout, rejects with its stderr (or the spawn error). */
function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new SourceError(Buffer.concat(err).toString('utf8').trim() || `${cmd} exited with ${code}`));
    });
  });
}

/** `kustomize build` when kustomize is on PATH, else `kubectl kustomize` (kustomize built in). */
async function build(dir: string): Promise<string> {
  try {
    return await run('kustomize', ['build', dir]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    return await run('kubectl', ['kustomize', dir]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SourceError(`cannot render ${dir}: neither kustomize nor kubectl is on PATH`);
    }
    throw e;
  }
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
