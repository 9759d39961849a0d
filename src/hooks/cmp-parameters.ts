// The CMP's parameters (ARGOCD_APP_PARAMETERS, JSON) as the Argo CD source settings a plugin app
// cannot set otherwise: with a plugin, spec.source.helm/kustomize/directory are not available.
// Declared in hooks/argocd/plugin.yaml (parameters.static). Pure.

import type { AppSource } from '../sources/argocd-source.js';
import { SourceError } from '../sources/files.js';

interface Parameter {
  name?: string;
  string?: string;
  array?: string[];
  map?: Record<string, string>;
}

export function sourceFromParameters(json: string | undefined): AppSource {
  if (!json) return {};
  let params: Parameter[];
  try {
    params = JSON.parse(json) as Parameter[];
  } catch (e) {
    throw new SourceError(`ARGOCD_APP_PARAMETERS is not JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(params)) throw new SourceError('ARGOCD_APP_PARAMETERS must be a JSON array');
  const source: AppSource = {};
  for (const p of params) {
    switch (p.name) {
      case 'helm-values-files':
        source.helm = { ...source.helm, valueFiles: p.array ?? (p.string ? [p.string] : []) };
        break;
      case 'helm-parameters':
        source.helm = { ...source.helm, parameters: Object.entries(p.map ?? {}).map(([name, value]) => ({ name, value: String(value) })) };
        break;
      case 'helm-release-name':
        if (p.string) source.helm = { ...source.helm, releaseName: p.string };
        break;
      case 'kustomize-images':
        source.kustomize = { images: p.array ?? [] };
        break;
      case 'directory-recurse':
        source.directory = { ...source.directory, recurse: p.string === 'true' };
        break;
      case 'directory-include':
        source.directory = { ...source.directory, include: p.string };
        break;
      case 'directory-exclude':
        source.directory = { ...source.directory, exclude: p.string };
        break;
      default:
      // Unknown parameters belong to someone else (or a newer plugin.yaml): ignored.
    }
  }
  return source;
}
