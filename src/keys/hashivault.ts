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

async function vaultAccess(key: VaultKey, env: NodeJS.ProcessEnv) {
  const addr = env.VAULT_ADDR;
  if (!addr) throw new KeyResolveError('KEY_NO_CREDENTIALS', `${key.uri}: VAULT_ADDR is not set`);
  const token = env.VAULT_TOKEN || (await tokenFile(env));
  if (!token) throw new KeyResolveError('KEY_NO_CREDENTIALS', `${key.uri}: no Vault token (set VAULT_TOKEN or log in with \`vault login\`)`);
  const mount = (env.TRANSIT_SECRET_ENGINE_PATH ?? 'transit').replace(/^\/+|\/+$/g, '');
  const headers = { 'x-vault-token': token, ...(env.VAULT_NAMESPACE && { 'x-vault-namespace': env.VAULT_NAMESPACE }) };
  return { addr, mount, headers };
}

/** Transit sign over a SHA-256 digest (prehashed, ASN.1): the DER signature. */
export async function vaultSign(key: VaultKey, env: NodeJS.ProcessEnv, digest: Uint8Array): Promise<Buffer> {
  const { addr, mount, headers } = await vaultAccess(key, env);
  const url = `${addr.replace(/\/+$/, '')}/v1/${mount}/sign/${encodeURIComponent(key.keyName)}/sha2-256`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ input: Buffer.from(digest).toString('base64'), prehashed: true, marshaling_algorithm: 'asn1' }),
    });
  } catch (err) {
    throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: cannot reach Vault at ${addr}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403) throw new KeyResolveError('KEY_ACCESS_DENIED', `${key.uri}: Vault refused to sign (HTTP ${res.status})`);
    throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: Vault answered HTTP ${res.status} to sign`);
  }
  const signature = ((await res.json()) as { data?: { signature?: string } }).data?.signature;
  const m = /^vault:v\d+:(.+)$/.exec(signature ?? '');
  if (!m) throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: Vault returned no signature`);
  return Buffer.from(m[1]!, 'base64');
}

export async function vaultPublicKey(key: VaultKey, env: NodeJS.ProcessEnv): Promise<string> {
  const { addr, mount, headers } = await vaultAccess(key, env);
  const url = `${addr.replace(/\/+$/, '')}/v1/${mount}/keys/${encodeURIComponent(key.keyName)}`;
  let res: Response;
  try {
    res = await fetch(url, { headers });
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
