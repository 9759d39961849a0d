// azurekms://: Key Vault REST "get key" (documented HTTP API), JWK → PEM. Token
// for https://vault.azure.net from DefaultAzureCredential (@azure/identity,
// optional dependency). VERIFY_IMAGES_AZUREKMS_ENDPOINT replaces the vault URL
// (tests point it at a fake).

import { KeyResolveError } from './errors.js';
import type { KmsKey } from './kms-uri.js';
import { jwkToPem } from './pem.js';

type AzureKey = Extract<KmsKey, { provider: 'azure' }>;

const API_VERSION = '7.4';

export async function azurePublicKey(key: AzureKey, env: NodeJS.ProcessEnv, token?: () => Promise<string>): Promise<string> {
  const vault = (env.VERIFY_IMAGES_AZUREKMS_ENDPOINT ?? key.vaultUrl).replace(/\/+$/, '');
  const accessToken = await (token ?? (() => defaultCredentialToken(key.uri)))();
  const url = `${vault}/keys/${encodeURIComponent(key.keyName)}${key.version ? `/${encodeURIComponent(key.version)}` : ''}?api-version=${API_VERSION}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } });
  } catch (err) {
    throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: cannot reach Key Vault: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel();
    if (res.status === 404) throw new KeyResolveError('KEY_NOT_FOUND', `${key.uri}: key not found in Key Vault`);
    if (res.status === 401 || res.status === 403) throw new KeyResolveError('KEY_ACCESS_DENIED', `${key.uri}: Key Vault refused the request (HTTP ${res.status})`);
    throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: Key Vault answered HTTP ${res.status}`);
  }
  const body = (await res.json()) as { key?: Record<string, unknown> };
  if (!body.key) throw new KeyResolveError('KEY_NOT_PUBLIC', `${key.uri}: Key Vault returned no key`);
  return jwkToPem(body.key, key.uri);
}

/** Key Vault sign (ES256) over a SHA-256 digest: Key Vault answers r||s, returned here as DER. */
export async function azureSign(key: AzureKey, env: NodeJS.ProcessEnv, digest: Uint8Array, token?: () => Promise<string>): Promise<Buffer> {
  const vault = (env.VERIFY_IMAGES_AZUREKMS_ENDPOINT ?? key.vaultUrl).replace(/\/+$/, '');
  const accessToken = await (token ?? (() => defaultCredentialToken(key.uri)))();
  const url = `${vault}/keys/${encodeURIComponent(key.keyName)}${key.version ? `/${encodeURIComponent(key.version)}` : ''}/sign?api-version=${API_VERSION}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ alg: 'ES256', value: Buffer.from(digest).toString('base64url') }),
    });
  } catch (err) {
    throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: cannot reach Key Vault: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) {
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403) throw new KeyResolveError('KEY_ACCESS_DENIED', `${key.uri}: Key Vault refused to sign (HTTP ${res.status})`);
    throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: Key Vault answered HTTP ${res.status} to sign`);
  }
  const value = ((await res.json()) as { value?: string }).value;
  if (typeof value !== 'string') throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: Key Vault returned no signature`);
  const { p256 } = await import('@noble/curves/nist.js');
  return Buffer.from(p256.Signature.fromBytes(Buffer.from(value, 'base64url'), 'compact').toBytes('der'));
}

async function defaultCredentialToken(uri: string): Promise<string> {
  let lib;
  try {
    lib = await import('@azure/identity');
  } catch (err) {
    throw new KeyResolveError('KEY_PROVIDER_UNAVAILABLE', `${uri}: needs the optional package @azure/identity (npm i @azure/identity)`, { cause: err });
  }
  try {
    const token = await new lib.DefaultAzureCredential().getToken('https://vault.azure.net/.default');
    if (!token?.token) throw new Error('empty access token');
    return token.token;
  } catch (err) {
    throw new KeyResolveError(
      'KEY_NO_CREDENTIALS',
      `${uri}: no Azure credentials (set AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET, use a managed identity, or \`az login\`)`,
      { cause: err },
    );
  }
}
