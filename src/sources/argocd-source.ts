// The part of an Argo CD ApplicationSource that changes what gets rendered, and the
// `.argocd-source.yaml` / `.argocd-source-<app>.yaml` override files merged into it
// (argo-cd docs/user-guide/parameters.md). Pure except for reading the two files.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { SourceError } from './files.js';

export interface HelmParameter {
  name: string;
  value: string;
  forceString?: boolean;
}

/** The subset of `spec.source` we honour. */
export interface AppSource {
  kustomize?: { images?: string[] };
  helm?: {
    releaseName?: string;
    valueFiles?: string[];
    parameters?: HelmParameter[];
    values?: string;
    valuesObject?: unknown;
    /** Argo CD passes these to `helm template` (the cluster's version when kubeVersion is unset: unknown here, so helm's default). */
    namespace?: string;
    kubeVersion?: string;
    apiVersions?: string[];
    skipCrds?: boolean;
    skipTests?: boolean;
    skipSchemaValidation?: boolean;
  };
  directory?: { recurse?: boolean; include?: string; exclude?: string };
}

/** One entry of a kustomization's `images:`. */
export interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/**
 * Argo CD's override file names for an app, in merge order. With apps in any namespace the
 * per-app file is `.argocd-source-<namespace>_<app>.yaml`; we look for both spellings.
 */
export function overrideFiles(appName?: string, appNamespace?: string): string[] {
  const files = ['.argocd-source.yaml'];
  if (appName) {
    files.push(`.argocd-source-${appName}.yaml`);
    if (appNamespace) files.push(`.argocd-source-${appNamespace}_${appName}.yaml`);
  }
  return files;
}

/** Reads the override files present in `appDir` and merges them over `base`. */
export async function applyOverrideFiles(
  appDir: string,
  base: AppSource,
  app: { name?: string; namespace?: string },
): Promise<{ source: AppSource; applied: string[] }> {
  let source = base;
  const applied: string[] = [];
  for (const name of overrideFiles(app.name, app.namespace)) {
    const file = path.join(appDir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    let value: unknown;
    try {
      value = parse(text);
    } catch (e) {
      throw new SourceError(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new SourceError(`${file}: must be a mapping`);
    checkHelm(file, (value as { helm?: unknown }).helm);
    source = mergeSource(source, value as AppSource);
    applied.push(file);
  }
  return { source, applied };
}

/** The `helm` fields that reach `helm template`, typed as Argo CD's ApplicationSourceHelm types them (a string where a list belongs would be read letter by letter). */
function checkHelm(file: string, helm: unknown): void {
  if (helm === undefined || helm === null) return;
  if (!isObject(helm)) throw new SourceError(`${file}: helm must be a mapping`);
  const is = { string: (v: unknown) => typeof v === 'string', bool: (v: unknown) => typeof v === 'boolean', strings: (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string') };
  const want: Record<string, [keyof typeof is, string]> = {
    releaseName: ['string', 'a string'], namespace: ['string', 'a string'], kubeVersion: ['string', 'a string'], values: ['string', 'a string'],
    valueFiles: ['strings', 'a list of strings'], apiVersions: ['strings', 'a list of strings'],
    skipCrds: ['bool', 'true or false'], skipTests: ['bool', 'true or false'], skipSchemaValidation: ['bool', 'true or false'],
  };
  for (const [k, [type, what]] of Object.entries(want)) {
    if (helm[k] !== undefined && helm[k] !== null && !is[type](helm[k])) throw new SourceError(`${file}: helm.${k} must be ${what}`);
  }
  if (helm['parameters'] !== undefined && helm['parameters'] !== null) {
    const ok = Array.isArray(helm['parameters']) && helm['parameters'].every((p) => isObject(p) && typeof p['name'] === 'string' && typeof p['value'] === 'string');
    if (!ok) throw new SourceError(`${file}: helm.parameters must be a list of {name, value} strings (quote numbers: value: "2.0")`);
  }
}

/** JSON merge patch semantics (what Argo CD applies): maps merge, everything else replaces. */
export function mergeSource(base: AppSource, patch: AppSource): AppSource {
  return merge(base, patch) as AppSource;
}

function merge(base: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(base) ? { ...base } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = merge(out[k], v);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Argo CD's kustomize image override (`kustomize edit set image` syntax) as a kustomization
 * `images:` entry: `[name=]newName[:tag][@digest]`; without `name=` the image keeps its name.
 */
export function parseKustomizeImage(spec: string): KustomizeImage {
  const eq = spec.indexOf('=');
  const target = eq >= 0 ? spec.slice(eq + 1) : spec;
  let rest = target;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const name = eq >= 0 ? spec.slice(0, eq) : rest;
  if (!rest || !name) throw new SourceError(`kustomize image override "${spec}": no image name`);
  const image: KustomizeImage = { name };
  if (eq >= 0 && rest !== name) image.newName = rest;
  if (tag !== undefined) image.newTag = tag;
  if (digest !== undefined) image.digest = digest;
  return image;
}
