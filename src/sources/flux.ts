// A Flux Kustomization (kustomize.toolkit.fluxcd.io) rendered the way kustomize-controller
// does: `spec.path` in the source, a generated kustomization when there is none, `spec.images`
// and `spec.targetNamespace` on top, then `postBuild.substitute` (inline values only; values
// from Secrets/ConfigMaps need a cluster and are reported as not applied).

import { cp, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KustomizeImage } from './argocd-source.js';
import { SourceError } from './files.js';
import { kustomizeWrapper, renderText } from './render.js';

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface FluxKustomization {
  name: string;
  namespace?: string;
  path: string;
  images: KustomizeImage[];
  targetNamespace?: string;
  substitute: Record<string, string>;
  /** `postBuild.substituteFrom` entries we cannot read without a cluster. */
  substituteFrom: string[];
  sourceRef?: { kind?: string; name?: string; namespace?: string };
}

/** The first Flux Kustomization in `text`. Pure. */
export function parseFluxKustomization(text: string, file: string): FluxKustomization {
  for (const doc of parseAllDocuments(text)) {
    const obj = doc.toJS() as Record<string, any> | null;
    if (!obj || obj.kind !== 'Kustomization' || !String(obj.apiVersion ?? '').startsWith('kustomize.toolkit.fluxcd.io/')) continue;
    const spec = (obj.spec ?? {}) as Record<string, any>;
    const substitute: Record<string, string> = {};
    for (const [k, v] of Object.entries((spec.postBuild?.substitute ?? {}) as Record<string, unknown>)) substitute[k] = String(v);
    const images: KustomizeImage[] = ((spec.images ?? []) as Record<string, unknown>[]).map((i) => {
      if (typeof i.name !== 'string') throw new SourceError(`${file}: spec.images[] needs a name`);
      const out: KustomizeImage = { name: i.name };
      if (typeof i.newName === 'string') out.newName = i.newName;
      if (i.newTag !== undefined) out.newTag = String(i.newTag);
      if (typeof i.digest === 'string') out.digest = i.digest;
      return out;
    });
    return {
      name: String(obj.metadata?.name ?? ''),
      namespace: obj.metadata?.namespace,
      path: typeof spec.path === 'string' ? spec.path : '.',
      images,
      targetNamespace: spec.targetNamespace,
      substitute,
      substituteFrom: ((spec.postBuild?.substituteFrom ?? []) as { kind?: string; name?: string }[]).map((s) => `${s.kind}/${s.name}`),
      sourceRef: spec.sourceRef,
    };
  }
  throw new SourceError(`${file}: no Flux Kustomization (kustomize.toolkit.fluxcd.io) found`);
}

/**
 * Flux's envsubst: `${var}`, `${var:=default}`, `${var:-default}`; unknown variables become empty
 * (Flux's non-strict mode); `$${var}` stays as a literal `${var}`. Pure.
 */
export function substituteVariables(text: string, vars: Record<string, string>): string {
  return text.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[=-]([^}]*))?\}/g, (whole, name: string, fallback: string | undefined) => {
    if (whole.startsWith('$$')) return whole.slice(1);
    const value = vars[name];
    return value !== undefined && value !== '' ? value : (fallback ?? '');
  });
}

export interface PreparedFlux {
  inputs: string[];
  kustomization: FluxKustomization;
  cleanup(): Promise<void>;
}

/** Prepares the inputs for a Flux Kustomization whose source is checked out at `root`. */
export async function prepareFlux(root: string, ks: FluxKustomization): Promise<PreparedFlux> {
  const realRoot = await realpath(root);
  const dir = path.resolve(realRoot, ks.path);
  const rel = path.relative(realRoot, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new SourceError(`Flux Kustomization ${ks.name}: spec.path ${ks.path} is outside the source`);
  if (!existsSync(dir)) throw new SourceError(`Flux Kustomization ${ks.name}: spec.path ${ks.path} not found in the source`);
  const temps: string[] = [];
  const temp = async () => {
    const d = await realpath(await mkdtemp(path.join(tmpdir(), 'verify-images-flux-')));
    temps.push(d);
    return d;
  };
  const cleanup = async () => {
    for (const d of temps) await rm(d, { recursive: true, force: true });
  };
  try {
    let target = dir;
    if (!(await readdir(dir)).some((n) => KUSTOMIZATION_FILES.includes(n))) target = await generatedKustomization(await temp(), dir);
    let inputs = [target];
    if (ks.images.length > 0 || ks.targetNamespace) {
      inputs = [await kustomizeWrapper(await temp(), target, ks.images, ks.targetNamespace ? { namespace: ks.targetNamespace } : {})];
    }
    if (Object.keys(ks.substitute).length > 0) {
      const text = substituteVariables(await renderText(inputs), ks.substitute);
      const file = path.join(await temp(), `${ks.name || 'flux'}.rendered.yaml`);
      await writeFile(file, text);
      inputs = [file];
    }
    return { inputs, kustomization: ks, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** kustomize-controller's generated kustomization: every manifest file below the path. */
async function generatedKustomization(into: string, dir: string): Promise<string> {
  const copy = path.join(into, path.basename(dir));
  await cp(dir, copy, { recursive: true });
  const resources: string[] = [];
  const walk = async (d: string) => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.')) await walk(full);
      } else if (/\.(ya?ml|json)$/i.test(e.name) && (await isManifest(full))) {
        resources.push(path.relative(copy, full).split(path.sep).join('/'));
      }
    }
  };
  await walk(copy);
  await writeFile(path.join(copy, 'kustomization.yaml'), `resources:\n${resources.map((r) => `- ${r}\n`).join('')}`);
  return copy;
}

async function isManifest(file: string): Promise<boolean> {
  try {
    return parseAllDocuments(await readFile(file, 'utf8')).some((d) => {
      const o = d.toJS() as Record<string, unknown> | null;
      return !!o && typeof o === 'object' && typeof o.kind === 'string' && typeof o.apiVersion === 'string';
    });
  } catch {
    return false;
  }
}
