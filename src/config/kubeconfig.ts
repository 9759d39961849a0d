// Which cluster to talk to, decided the way kubectl decides it: --kubeconfig, else
// every file in KUBECONFIG merged (first file wins per name and for
// current-context; missing files skipped), else ~/.kube/config. client-node's own
// loadFromDefault throws on duplicate names and takes current-context from the
// last file (kubernetes-client/javascript#1306, #579), so we merge here and hand
// it one config. With no kubeconfig file at all, inside a pod, the ServiceAccount.

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parseFailure } from './parse-error.js';

/** A kubeconfig file as YAML/JSON (only the parts we merge are typed). */
export interface KubeconfigFile {
  apiVersion?: string;
  kind?: string;
  clusters?: { name: string; cluster: Record<string, unknown> }[] | null;
  users?: { name: string; user: Record<string, unknown> }[] | null;
  contexts?: { name: string; context: { cluster?: string; user?: string; namespace?: string } & Record<string, unknown> }[] | null;
  'current-context'?: string;
  preferences?: Record<string, unknown>;
  extensions?: unknown[];
}

export interface MergedKubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string; context: { cluster?: string; user?: string; namespace?: string } & Record<string, unknown> }[];
  'current-context': string;
}

export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

export class KubeconfigError extends Error {
  readonly code = 'CONFIG_ERROR';
}

/** The files kubectl would read, in precedence order (pure). */
export function kubeconfigPaths(flag: string | undefined, env: NodeJS.ProcessEnv, home = env.HOME ?? homedir()): { paths: string[]; explicit: boolean } {
  if (flag) return { paths: [flag], explicit: true };
  const list = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (list.length > 0) return { paths: [...new Set(list)], explicit: false };
  return { paths: [path.join(home, '.kube', 'config')], explicit: false };
}

// Fields holding file paths, which kubectl resolves against the file that names them.
const PATH_FIELDS: Record<'cluster' | 'user', string[]> = {
  cluster: ['certificate-authority'],
  user: ['client-certificate', 'client-key', 'tokenFile'],
};

function resolvePaths(entry: Record<string, unknown>, fields: string[], dir: string): Record<string, unknown> {
  const out = { ...entry };
  for (const f of fields) {
    const v = out[f];
    if (typeof v === 'string' && v !== '' && !path.isAbsolute(v)) out[f] = path.join(dir, v);
  }
  return out;
}

/**
 * kubectl's merge (pure): files in order; the first file to name a cluster, user
 * or context keeps it; the first non-empty current-context wins. Relative paths
 * are resolved against each file's directory (as client-go does when it connects;
 * `kubectl config view` shows them unresolved: resolvePaths false).
 */
export function mergeKubeconfigs(files: { file: string; config: KubeconfigFile }[], opts: { resolvePaths?: boolean } = {}): MergedKubeconfig {
  const resolve = opts.resolvePaths === false ? (e: Record<string, unknown>) => ({ ...e }) : resolvePaths;
  const clusters = new Map<string, Record<string, unknown>>();
  const users = new Map<string, Record<string, unknown>>();
  const contexts = new Map<string, MergedKubeconfig['contexts'][number]['context']>();
  let current = '';
  for (const { file, config } of files) {
    const dir = path.dirname(path.resolve(file));
    for (const c of config.clusters ?? []) if (c?.name && !clusters.has(c.name)) clusters.set(c.name, resolve(c.cluster ?? {}, PATH_FIELDS.cluster, dir));
    for (const u of config.users ?? []) if (u?.name && !users.has(u.name)) users.set(u.name, resolve(u.user ?? {}, PATH_FIELDS.user, dir));
    for (const x of config.contexts ?? []) if (x?.name && !contexts.has(x.name)) contexts.set(x.name, { ...(x.context ?? {}) });
    if (!current && config['current-context']) current = config['current-context'];
  }
  return {
    clusters: [...clusters].map(([name, cluster]) => ({ name, cluster })),
    users: [...users].map(([name, user]) => ({ name, user })),
    contexts: [...contexts].map(([name, context]) => ({ name, context })),
    'current-context': current,
  };
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * kubectl's last resort inside a pod: the API server from KUBERNETES_SERVICE_HOST/PORT
 * and the ServiceAccount token and CA mounted at SA_DIR (pure; undefined outside a pod).
 */
export function inClusterConfig(env: NodeJS.ProcessEnv, namespace: string | undefined): MergedKubeconfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    clusters: [{ name: 'in-cluster', cluster: { server, 'certificate-authority': `${SA_DIR}/ca.crt` } }],
    users: [{ name: 'in-cluster', user: { tokenFile: `${SA_DIR}/token` } }],
    contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user: 'in-cluster', ...(namespace ? { namespace } : {}) } }],
    'current-context': 'in-cluster',
  };
}

/** Reads and merges the kubeconfig files kubectl would use. */
export async function readKubeconfig(flags: KubeFlags, env: NodeJS.ProcessEnv = process.env): Promise<MergedKubeconfig> {
  const { paths, explicit } = kubeconfigPaths(flags.kubeconfig, env);
  const files: { file: string; config: KubeconfigFile }[] = [];
  for (const file of paths) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      // kubectl skips missing KUBECONFIG entries but not a missing --kubeconfig.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) continue;
      throw new KubeconfigError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
    }
    try {
      files.push({ file, config: (parse(text) ?? {}) as KubeconfigFile });
    } catch (err) {
      throw new KubeconfigError(parseFailure('kubeconfig', file, text, false));
    }
  }
  if (files.length === 0) {
    const namespace = await readFile(`${SA_DIR}/namespace`, 'utf8').then((n) => n.trim(), () => undefined);
    const inCluster = inClusterConfig(env, namespace);
    if (inCluster) return inCluster;
  }
  return mergeKubeconfigs(files);
}

export interface KubeTarget {
  config: MergedKubeconfig;
  /** The context in use (after --context). */
  context: string;
  /** The namespace to read: -n, else the context's, else "default"; undefined with -A. */
  namespace: string | undefined;
}

/** Applies --context, -n and -A to a merged config (pure). */
export function selectTarget(config: MergedKubeconfig, flags: KubeFlags): KubeTarget {
  const context = flags.context ?? config['current-context'];
  if (!context) throw new KubeconfigError('no current context: pass --context or set current-context in the kubeconfig');
  const entry = config.contexts.find((c) => c.name === context);
  if (!entry) throw new KubeconfigError(`context "${context}" not found in the kubeconfig`);
  if (flags.allNamespaces && flags.namespace) throw new KubeconfigError('-n/--namespace and -A/--all-namespaces cannot be used together');
  return {
    config: { ...config, 'current-context': context },
    context,
    namespace: flags.allNamespaces ? undefined : (flags.namespace ?? entry.context.namespace ?? 'default'),
  };
}

/** A client-node KubeConfig for the target (client-node is imported only here, lazily). */
export async function toClientConfig(target: KubeTarget) {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  // kubeconfig spells it tokenFile (client-go); client-node reads token-file.
  const users = target.config.users.map((u) => (typeof u.user.tokenFile === 'string' ? { ...u, user: { 'token-file': u.user.tokenFile, ...u.user } } : u));
  kc.loadFromString(JSON.stringify({ apiVersion: 'v1', kind: 'Config', ...target.config, users }));
  kc.setCurrentContext(target.context);
  return kc;
}
