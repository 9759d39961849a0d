// `k8s://<ns>/<name>`, Kyverno `secret{}` and CIP `secretRef`: the public key kept in
// a Secret, read with the user's kubeconfig the way kubectl would connect.
// client-node (~0.7 s to import) is loaded only when a policy needs it.

import { KubeconfigError, readKubeconfig, selectTarget, toClientConfig } from '../config/kubeconfig.js';
import { KeyResolveError } from './errors.js';
import type { KeyResolveOptions } from './options.js';
import { pemKeys } from './pem.js';

export interface SecretKeyRef {
  namespace: string;
  name: string;
  /** Data key to read; default `cosign.pub`, else the Secret's only key. */
  key?: string;
}

export async function readSecretKeys(ref: SecretKeyRef, opts: KeyResolveOptions): Promise<string[]> {
  const where = `k8s://${ref.namespace}/${ref.name}`;
  const data = await readSecretData(ref, opts, where);
  const value = data[pickKey(data, ref.key, where)]!;
  return pemKeys(Buffer.from(value, 'base64').toString('utf8'), `${where}`);
}

/** The data key holding the public key (pure): as asked, else cosign.pub, else the only one. */
export function pickKey(data: Record<string, string>, wanted: string | undefined, where: string): string {
  const keys = Object.keys(data);
  if (wanted !== undefined) {
    if (keys.includes(wanted)) return wanted;
    throw new KeyResolveError('KEY_SECRET_NO_KEY', `${where}: secret has no ${wanted} (keys: ${keys.join(', ') || 'none'})`);
  }
  if (keys.includes('cosign.pub')) return 'cosign.pub';
  if (keys.length === 1) return keys[0]!;
  throw new KeyResolveError('KEY_SECRET_NO_KEY', `${where}: secret has no cosign.pub (keys: ${keys.join(', ') || 'none'})`);
}

export async function readSecretData(ref: SecretKeyRef, opts: KeyResolveOptions, where: string): Promise<Record<string, string>> {
  const env = opts.env ?? process.env;
  let kc;
  try {
    const merged = await readKubeconfig({ kubeconfig: opts.kubeconfig }, env);
    if (merged.contexts.length === 0) {
      throw new KeyResolveError('KEY_NO_KUBECONFIG', `cannot read ${where}: no kubeconfig (pass --kubeconfig or set KUBECONFIG)`);
    }
    kc = await toClientConfig(selectTarget(merged, { context: opts.context }));
  } catch (err) {
    if (err instanceof KeyResolveError) throw err;
    if (err instanceof KubeconfigError) throw new KeyResolveError('KEY_NO_KUBECONFIG', `cannot read ${where}: ${err.message}`, { cause: err });
    throw err;
  }
  const k8s = await import('@kubernetes/client-node');
  const core = kc.makeApiClient(k8s.CoreV1Api);
  try {
    const secret = await core.readNamespacedSecret({ name: ref.name, namespace: ref.namespace });
    return secret.data ?? {};
  } catch (err) {
    const code = err instanceof k8s.ApiException ? err.code : undefined;
    if (code === 404) throw new KeyResolveError('KEY_SECRET_NOT_FOUND', `cannot read ${where}: secret ${ref.name} not found in namespace ${ref.namespace}`, { cause: err });
    if (code === 401 || code === 403) {
      throw new KeyResolveError('KEY_ACCESS_DENIED', `cannot read ${where}: ${code === 401 ? 'unauthorized' : 'forbidden'} (context ${kc.getCurrentContext()})`, { cause: err });
    }
    const why = code !== undefined ? `HTTP ${code}` : (err as Error).message;
    throw new KeyResolveError('KEY_FETCH_FAILED', `cannot read ${where}: ${why}`, { cause: err });
  }
}
