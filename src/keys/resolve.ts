// KeyReference (policy model) → PEM public keys, from a Kubernetes Secret or a KMS.
// Each provider's client is imported only when a policy refers to it.

import type { KeyReference, KeyRequirement } from '../policy/model.js';
import { KeyResolveError } from './errors.js';
import { parseKmsUri } from './kms-uri.js';
import type { KeyResolveOptions } from './options.js';

export { KeyResolveError, type KeyErrorCode } from './errors.js';
export type { KeyResolveOptions } from './options.js';

/** `k8s://ns/name` as cosign writes it → a Secret reference; undefined for other URIs. */
export function parseK8sUri(uri: string): { namespace: string; name: string } | undefined {
  const m = /^k8s:\/\/([^/\s]+)\/([^/\s]+)$/.exec(uri.trim());
  return m ? { namespace: m[1]!, name: m[2]! } : undefined;
}

export async function resolveKeyReference(ref: KeyReference, opts: KeyResolveOptions = {}): Promise<string[]> {
  const env = opts.env ?? process.env;
  if (opts.offline) {
    const name = ref.type === 'k8s-secret' ? `k8s://${ref.namespace}/${ref.name}` : ref.uri;
    throw new KeyResolveError('KEY_OFFLINE', `offline: the key ${name} is not read (--offline reaches no cluster and no KMS); keep the PEM in the policy to verify offline`);
  }
  if (ref.type === 'k8s-secret') {
    const { readSecretKeys } = await import('./k8s-secret.js');
    return readSecretKeys(ref, opts);
  }
  const secret = parseK8sUri(ref.uri);
  if (secret) {
    const { readSecretKeys } = await import('./k8s-secret.js');
    return readSecretKeys(secret, opts);
  }
  const key = parseKmsUri(ref.uri);
  switch (key.provider) {
    case 'aws':
      return [await (await import('./aws-kms.js')).awsPublicKey(key, env)];
    case 'gcp':
      return [await (await import('./gcp-kms.js')).gcpPublicKey(key, env, opts.tokens?.gcp)];
    case 'azure':
      return [await (await import('./azure-kms.js')).azurePublicKey(key, env, opts.tokens?.azure)];
    case 'vault':
      return [await (await import('./hashivault.js')).vaultPublicKey(key, env)];
  }
}

export interface KeyResolver {
  /** The PEM keys a reference names (fetched once per run). */
  keys(ref: KeyReference): Promise<string[]>;
  /**
   * The leaf with `keys` filled from its `keyRef` (and keyRef dropped, so verdict-cache
   * entries are keyed by the keys themselves: a rotated Secret is not a cached pass).
   * The same object per leaf for the whole run.
   */
  leaf(leaf: KeyRequirement): Promise<KeyRequirement>;
}

/** resolveKeyReference memoized for one run: each Secret or KMS key is fetched once. */
export function createKeyResolver(opts: KeyResolveOptions = {}): KeyResolver {
  const memo = new Map<string, Promise<string[]>>();
  const leaves = new WeakMap<KeyRequirement, Promise<KeyRequirement>>();
  const keys = (ref: KeyReference) => {
    const id = ref.type === 'k8s-secret' ? `k8s://${ref.namespace}/${ref.name}#${ref.key ?? ''}` : ref.uri;
    let found = memo.get(id);
    if (!found) memo.set(id, (found = resolveKeyReference(ref, opts)));
    return found;
  };
  return {
    keys,
    leaf(leaf) {
      if (!leaf.keyRef) return Promise.resolve(leaf);
      let resolved = leaves.get(leaf);
      if (!resolved) {
        const { keyRef, ...rest } = leaf;
        resolved = keys(keyRef).then((pems) => ({ ...rest, keys: [...rest.keys, ...pems] }));
        leaves.set(leaf, resolved);
      }
      return resolved;
    },
  };
}

/** A one-line reason for a verdict, never including credentials. */
export function describeKeyError(err: unknown): string {
  if (err instanceof KeyResolveError) return err.message;
  return `cannot resolve key: ${(err as Error)?.message ?? String(err)}`;
}
