// hashivault://KEY: Vault transit `GET /v1/<mount>/keys/<name>` (documented HTTP
// API, no SDK needed): the public key of the latest version. VAULT_ADDR,
// VAULT_TOKEN (else ~/.vault-token), VAULT_NAMESPACE and the transit mount
// TRANSIT_SECRET_ENGINE_PATH (default transit), as cosign reads them.

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { KeyResolveError } from './errors.js';
import type { KmsKey } from './kms-uri.js';
import { vaultKeyToPem } from './pem.js';

type VaultKey = Extract<KmsKey, { provider: 'vault' }>;

export async function vaultPublicKey(key: VaultKey, env: NodeJS.ProcessEnv): Promise<string> {
  const addr = env.VAULT_ADDR;
  if (!addr) throw new KeyResolveError('KEY_NO_CREDENTIALS', `${key.uri}: VAULT_ADDR is not set`);
  const token = env.VAULT_TOKEN || (await tokenFile(env));
  if (!token) throw new KeyResolveError('KEY_NO_CREDENTIALS', `${key.uri}: no Vault token (set VAULT_TOKEN or log in with \`vault login\`)`);
  const mount = (env.TRANSIT_SECRET_ENGINE_PATH ?? 'transit').replace(/^\/+|\/+$/g, '');
  const url = `${addr.replace(/\/+$/, '')}/v1/${mount}/keys/${encodeURIComponent(key.keyName)}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { 'x-vault-token': token, ...(env.VAULT_NAMESPACE && { 'x-vault-namespace': env.VAULT_NAMESPACE }) } });
  } catch (err) {
    throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: cannot reach Vault at ${addr}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel();
    if (res.status === 404) throw new KeyResolveError('KEY_NOT_FOUND', `${key.uri}: transit key ${key.keyName} not found`);
    if (res.status === 401 || res.status === 403) throw new KeyResolveError('KEY_ACCESS_DENIED', `${key.uri}: Vault refused the request (HTTP ${res.status})`);
    throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: Vault answered HTTP ${res.status}`);
  }
  const body = (await res.json()) as { data?: { latest_version?: number; keys?: Record<string, { public_key?: string }> } };
  const keys = body.data?.keys ?? {};
  const latest = String(body.data?.latest_version ?? Math.max(...Object.keys(keys).map(Number)));
  const publicKey = keys[latest]?.public_key;
  if (!publicKey) throw new KeyResolveError('KEY_NOT_PUBLIC', `${key.uri}: transit key ${key.keyName} has no public key (not an asymmetric key?)`);
  return vaultKeyToPem(publicKey, key.uri)[0]!;
}

async function tokenFile(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    return (await readFile(path.join(env.HOME ?? homedir(), '.vault-token'), 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}
