// Live-cluster source: the pod-creating workloads of a namespace (or all), as
// ImageUse with file `cluster:<Kind>/<namespace>/<name>`, plus the pull secrets
// they use (their own imagePullSecrets and their ServiceAccounts'), and the image
// policies stored in the cluster. Talks to the API through @kubernetes/client-node,
// which the caller loads lazily (see src/config/kubeconfig.ts toClientConfig).

import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { extractImages, podSpecPath } from '../manifests/extract.js';
import type { ImageUse } from '../manifests/types.js';
import type { PullSecret } from '../registry/pull-secrets.js';
import type { Policy } from '../policy/model.js';

/** The kinds listed, with whether they are skipped when a controller owns them (its owner is listed instead). */
export const WORKLOAD_KINDS: readonly { apiVersion: string; kind: string; skipOwned: boolean }[] = [
  { apiVersion: 'apps/v1', kind: 'Deployment', skipOwned: false },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', skipOwned: false },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', skipOwned: false },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', skipOwned: true },
  { apiVersion: 'batch/v1', kind: 'CronJob', skipOwned: false },
  { apiVersion: 'batch/v1', kind: 'Job', skipOwned: true },
  { apiVersion: 'v1', kind: 'ReplicationController', skipOwned: false },
  { apiVersion: 'v1', kind: 'Pod', skipOwned: true },
];

/** Policy kinds `--policies-from-cluster` reads; a kind whose CRD is not installed is skipped. */
export const POLICY_KINDS: readonly { apiVersion: string; kind: string }[] = [
  { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy' },
  { apiVersion: 'kyverno.io/v1', kind: 'Policy' },
  { apiVersion: 'policy.sigstore.dev/v1beta1', kind: 'ClusterImagePolicy' },
];

export class ClusterError extends Error {
  readonly code = 'SOURCE_ERROR';
}

type Obj = Record<string, any>;

export interface ClusterUses {
  uses: ImageUse[];
  /** Workloads read (after skipping controller-owned ones). */
  workloads: number;
  /** Pull secrets the workloads reference, in first-use order, deduplicated. */
  pullSecrets: PullSecret[];
  /** Things the audit could not read (missing ServiceAccount or secret, forbidden). */
  warnings: string[];
}

/** `cluster:Deployment/prod/web` */
export function clusterFile(kind: string, namespace: string | undefined, name: string): string {
  return `cluster:${kind}/${namespace ?? ''}/${name}`;
}

/** True when a controller (Deployment → ReplicaSet → Pod, CronJob → Job) owns the object. */
export function controllerOwned(object: Obj): boolean {
  const owners = object.metadata?.ownerReferences;
  return Array.isArray(owners) && owners.some((o: Obj) => o?.controller === true);
}

/** Image uses of one live object (pure): the manifest extractor with a cluster: file. */
export function usesOfObject(object: Obj): ImageUse[] {
  const file = clusterFile(String(object.kind), object.metadata?.namespace, String(object.metadata?.name ?? ''));
  return extractImages({ object, file, line: 1, column: 1 }, { rendered: true });
}

/** Names of the pull secrets a workload's pods use (own first, then its ServiceAccount's), pure given the SA. */
export function pullSecretNames(object: Obj, serviceAccount: Obj | undefined): string[] {
  const spec = podSpecOf(object);
  const names = [...(spec?.imagePullSecrets ?? []), ...(serviceAccount?.imagePullSecrets ?? [])]
    .map((r: Obj) => r?.name)
    .filter((n: unknown): n is string => typeof n === 'string' && n !== '');
  return [...new Set(names)];
}

export function serviceAccountOf(object: Obj): string {
  const spec = podSpecOf(object);
  return spec?.serviceAccountName || spec?.serviceAccount || 'default';
}

function podSpecOf(object: Obj): Obj | undefined {
  const path = podSpecPath(String(object.apiVersion), String(object.kind));
  let at: any = object;
  for (const key of path ?? []) at = at?.[key];
  return path && at && typeof at === 'object' ? at : undefined;
}

/** Reads objects through the generic object API (discovery + list with paging). */
export class ClusterReader {
  private api: Promise<import('@kubernetes/client-node').KubernetesObjectApi>;
  private cache = new Map<string, Promise<Obj | undefined>>();

  constructor(kc: KubeConfig) {
    this.api = import('@kubernetes/client-node').then((k) => k.KubernetesObjectApi.makeApiClient(kc));
  }

  /** Every object of a kind in `namespace` (all namespaces when undefined); [] when the API does not serve the kind. */
  async list(apiVersion: string, kind: string, namespace: string | undefined): Promise<Obj[]> {
    const api = await this.api;
    const items: Obj[] = [];
    let continueToken: string | undefined;
    do {
      let page;
      try {
        page = await api.list<KubernetesObject>(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, undefined, 500, continueToken);
      } catch (err) {
        if (notServed(err)) return [];
        throw new ClusterError(`cannot list ${kind} (${apiVersion})${namespace ? ` in ${namespace}` : ''}: ${describe(err)}`);
      }
      for (const item of page.items ?? []) items.push({ ...(item as Obj), apiVersion, kind });
      continueToken = page.metadata?._continue || undefined;
    } while (continueToken);
    return items;
  }

  /** One object, or undefined when missing or not readable (reported through `onError`). */
  read(apiVersion: string, kind: string, namespace: string, name: string, onError: (msg: string) => void): Promise<Obj | undefined> {
    const key = `${apiVersion}/${kind}/${namespace}/${name}`;
    let found = this.cache.get(key);
    if (!found) {
      found = this.api.then((api) =>
        api.read({ apiVersion, kind, metadata: { name, namespace } }).then(
          (o) => o as Obj,
          (err) => {
            onError(`${kind} ${namespace}/${name}: ${notServed(err) ? 'not found' : describe(err)}`);
            return undefined;
          },
        ),
      );
      this.cache.set(key, found);
    }
    return found;
  }
}

/** Lists the workloads and collects their image uses and pull secrets. */
export async function readClusterUses(reader: ClusterReader, namespace: string | undefined): Promise<ClusterUses> {
  const uses: ImageUse[] = [];
  const warnings: string[] = [];
  const secrets = new Map<string, PullSecret>();
  let workloads = 0;
  const lists = await Promise.all(WORKLOAD_KINDS.map((k) => reader.list(k.apiVersion, k.kind, namespace)));
  for (const [i, kind] of WORKLOAD_KINDS.entries()) {
    for (const object of lists[i]!) {
      if (kind.skipOwned && controllerOwned(object)) continue;
      workloads++;
      uses.push(...usesOfObject(object));
      const ns = String(object.metadata?.namespace ?? 'default');
      const sa = await reader.read('v1', 'ServiceAccount', ns, serviceAccountOf(object), (m) => warnings.push(m));
      for (const name of pullSecretNames(object, sa)) {
        const key = `${ns}/${name}`;
        if (secrets.has(key)) continue;
        const secret = await reader.read('v1', 'Secret', ns, name, (m) => warnings.push(m));
        if (secret) secrets.set(key, secret as PullSecret);
      }
    }
  }
  return { uses, workloads, pullSecrets: [...secrets.values()], warnings: [...new Set(warnings)] };
}

/** The pull secrets policies name (`namespace/name`), each read once; a missing one is a warning. */
export async function readPolicySecrets(reader: ClusterReader, policies: readonly Policy[], warn: (m: string) => void): Promise<PullSecret[]> {
  const names = new Set(policies.flatMap((p) => p.rules.flatMap((r) => r.pullSecrets ?? [])));
  const out: PullSecret[] = [];
  for (const key of names) {
    const [namespace, name] = key.split('/') as [string, string];
    const secret = await reader.read('v1', 'Secret', namespace, name, warn);
    if (secret) out.push(secret as PullSecret);
  }
  return out;
}

/** Image policies stored in the cluster, as policy files named `cluster:<Kind>/<namespace>/<name>`. */
export async function readClusterPolicies(reader: ClusterReader, namespace: string | undefined): Promise<{ file: string; text: string }[]> {
  const files: { file: string; text: string }[] = [];
  for (const { apiVersion, kind } of POLICY_KINDS) {
    for (const object of await reader.list(apiVersion, kind, kind === 'Policy' ? namespace : undefined)) {
      const { managedFields: _m, resourceVersion: _r, uid: _u, creationTimestamp: _c, generation: _g, ...metadata } = object.metadata ?? {};
      const clean = { apiVersion, kind, metadata, spec: object.spec };
      files.push({ file: clusterFile(kind, metadata.namespace, String(metadata.name)), text: stringify(clean) });
    }
  }
  return files;
}

function status(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } };
  const c = e?.code ?? e?.statusCode ?? e?.response?.statusCode;
  return typeof c === 'number' ? c : undefined;
}

function notServed(err: unknown): boolean {
  return status(err) === 404 || /not found|Unrecognized API version|Unrecognized resource/i.test(String((err as Error)?.message));
}

function describe(err: unknown): string {
  const s = status(err);
  const msg = (err as Error)?.message ?? String(err);
  return s ? `HTTP ${s}${s === 403 ? ' (forbidden: check RBAC)' : ''}` : msg.split('\n')[0]!;
}
