// The Argo CD API, only for what the PreSync Job needs: which repository, path, revision and
// parameter overrides the Application is syncing. Token auth (an account with `applications, get`).

import type { AppSource } from '../sources/argocd-source.js';
import { SourceError } from '../sources/files.js';

export interface AppTarget {
  repo: string;
  path: string;
  /** The revision being synced: the running operation's, else the last compared one, else the target. */
  revision: string;
  source: AppSource;
  namespace?: string;
  uid?: string;
}

/** What to verify, from an Application object (argoproj.io/v1alpha1). Pure. */
export function targetFromApplication(app: Record<string, any>): AppTarget {
  const spec = app.spec ?? {};
  const src = spec.source ?? spec.sources?.[0];
  if (!src?.repoURL) throw new SourceError(`Application ${app.metadata?.name}: no spec.source.repoURL`);
  const revision =
    app.status?.operationState?.operation?.sync?.revision ??
    app.operation?.sync?.revision ??
    app.status?.sync?.revision ??
    src.targetRevision ??
    'HEAD';
  const source: AppSource = {};
  if (src.kustomize?.images) source.kustomize = { images: src.kustomize.images };
  if (src.helm) source.helm = { releaseName: src.helm.releaseName, valueFiles: src.helm.valueFiles, parameters: src.helm.parameters, values: src.helm.values, valuesObject: src.helm.valuesObject };
  if (src.directory) source.directory = { recurse: src.directory.recurse, include: src.directory.include, exclude: src.directory.exclude };
  return { repo: src.repoURL, path: src.path ?? '.', revision, source, namespace: spec.destination?.namespace, uid: app.metadata?.uid };
}

/** GET /api/v1/applications/{name}?appNamespace=… with a bearer token. */
export async function fetchApplication(server: string, token: string, name: string, appNamespace?: string): Promise<Record<string, any>> {
  const url = new URL(`/api/v1/applications/${encodeURIComponent(name)}`, server.includes('://') ? server : `https://${server}`);
  if (appNamespace) url.searchParams.set('appNamespace', appNamespace);
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  } catch (e) {
    throw new SourceError(`cannot reach the Argo CD API at ${url.origin}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new SourceError(`Argo CD API: GET application ${name}: HTTP ${res.status}${res.status === 401 || res.status === 403 ? ' (check ARGOCD_AUTH_TOKEN and the account\'s "applications, get" permission)' : ''}`);
  return (await res.json()) as Record<string, any>;
}
