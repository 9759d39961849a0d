// Credentials from Kubernetes image pull secrets (kubernetes.io/dockerconfigjson
// and the older kubernetes.io/dockercfg), so a cluster audit reaches private
// registries the way the kubelet does.
import { fromAuthEntry, normalizeServer } from './credentials.js';
import type { Credential, CredentialStore } from './types.js';

type AuthEntry = Parameters<typeof fromAuthEntry>[0];

/** A Secret as the API returns it (data values base64). */
export interface PullSecret {
  type?: string;
  metadata?: { name?: string; namespace?: string };
  data?: Record<string, string>;
}

/** The `auths` map of one pull secret; {} for other secret types or bad content (pure). */
export function authsOfSecret(secret: PullSecret): Record<string, AuthEntry> {
  const decode = (key: string) => {
    const b64 = secret.data?.[key];
    if (!b64) return undefined;
    try {
      return JSON.parse(Buffer.from(b64, 'base64').toString('utf8')) as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  if (secret.type === 'kubernetes.io/dockerconfigjson') {
    const auths = decode('.dockerconfigjson')?.auths;
    return auths && typeof auths === 'object' ? (auths as Record<string, AuthEntry>) : {};
  }
  if (secret.type === 'kubernetes.io/dockercfg') return (decode('.dockercfg') ?? {}) as Record<string, AuthEntry>;
  return {};
}

/**
 * A store over pull secrets, in order: for each host the first secret with an
 * entry for it wins (the kubelet tries them in order too).
 */
export function pullSecretCredentialStore(secrets: readonly PullSecret[]): CredentialStore & { hosts(): string[] } {
  const byHost = new Map<string, Credential>();
  for (const secret of secrets) {
    for (const [server, entry] of Object.entries(authsOfSecret(secret))) {
      const host = normalizeServer(server);
      const cred = entry && typeof entry === 'object' ? fromAuthEntry(entry) : undefined;
      const name = `${secret.metadata?.namespace ?? ''}/${secret.metadata?.name ?? '?'}`.replace(/^\//, '');
      if (cred && !byHost.has(host)) byHost.set(host, { ...cred, source: `pull secret ${name}` });
    }
  }
  return {
    get: async (host) => byHost.get(normalizeServer(host)),
    where: () => `${secrets.length} pull secret${secrets.length === 1 ? '' : 's'}`,
    hosts: () => [...byHost.keys()],
  };
}

/** The first store with an answer wins. */
export function chainCredentialStores(...stores: CredentialStore[]): CredentialStore {
  return {
    where: () => stores.map((s) => s.where?.()).filter(Boolean).join(', then '),
    async get(host) {
      for (const store of stores) {
        const found = await store.get(host);
        if (found) return found;
      }
      return undefined;
    },
  };
}
