// gcpkms://: Cloud KMS REST `cryptoKeyVersions.getPublicKey` (documented HTTP API;
// the gRPC SDK is far heavier). Without a version, the newest ENABLED version is
// used, as cosign does. Token from Application Default Credentials
// (google-auth-library, optional dependency); endpoint override as gcloud names
// it: CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS.

import { KeyResolveError } from './errors.js';
import type { KmsKey } from './kms-uri.js';
import { pemKeys } from './pem.js';

type GcpKey = Extract<KmsKey, { provider: 'gcp' }>;

function gcpApi(key: GcpKey, env: NodeJS.ProcessEnv, token?: () => Promise<string>) {
  const base = (env.CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS ?? 'https://cloudkms.googleapis.com/').replace(/\/*$/, '/');
  let accessToken: Promise<string> | undefined;
  return async (path: string, body?: object): Promise<any> => {
    const auth = await (accessToken ??= (token ?? (() => adcToken(key.uri)))());
    let res: Response;
    try {
      res = await fetch(new URL(path, base), {
        ...(body && { method: 'POST', body: JSON.stringify(body) }),
        headers: { authorization: `Bearer ${auth}`, ...(body && { 'content-type': 'application/json' }) },
      });
    } catch (err) {
      throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: cannot reach Cloud KMS: ${(err as Error).message}`, { cause: err });
    }
    if (res.ok) return res.json();
    await res.body?.cancel();
    if (res.status === 404) throw new KeyResolveError('KEY_NOT_FOUND', `${key.uri}: key not found in Cloud KMS`);
    if (res.status === 401 || res.status === 403) throw new KeyResolveError('KEY_ACCESS_DENIED', `${key.uri}: Cloud KMS refused the request (HTTP ${res.status})`);
    throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: Cloud KMS answered HTTP ${res.status}`);
  };
}

export async function gcpPublicKey(key: GcpKey, env: NodeJS.ProcessEnv, token?: () => Promise<string>): Promise<string> {
  const get = gcpApi(key, env, token);
  const version = key.version ?? (await newestEnabledVersion(key, get));
  const out = await get(`v1/${key.keyName}/cryptoKeyVersions/${encodeURIComponent(version)}/publicKey`);
  if (typeof out?.pem !== 'string') throw new KeyResolveError('KEY_NOT_PUBLIC', `${key.uri}: Cloud KMS returned no PEM`);
  return pemKeys(out.pem, key.uri)[0]!;
}

/** asymmetricSign over a SHA-256 digest with the version given (else the newest enabled): the DER signature. */
export async function gcpSign(key: GcpKey, env: NodeJS.ProcessEnv, digest: Uint8Array, token?: () => Promise<string>): Promise<Buffer> {
  const api = gcpApi(key, env, token);
  const version = key.version ?? (await newestEnabledVersion(key, api));
  const out = await api(`v1/${key.keyName}/cryptoKeyVersions/${encodeURIComponent(version)}:asymmetricSign`, { digest: { sha256: Buffer.from(digest).toString('base64') } });
  if (typeof out?.signature !== 'string') throw new KeyResolveError('KEY_FETCH_FAILED', `${key.uri}: Cloud KMS returned no signature`);
  return Buffer.from(out.signature, 'base64');
}

async function newestEnabledVersion(key: GcpKey, get: (path: string) => Promise<any>): Promise<string> {
  const versions: number[] = [];
  let pageToken = '';
  do {
    const page = await get(`v1/${key.keyName}/cryptoKeyVersions?filter=${encodeURIComponent('state=ENABLED')}${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`);
    for (const v of page?.cryptoKeyVersions ?? []) {
      const n = Number(String(v.name ?? '').split('/').pop());
      if (Number.isInteger(n) && (v.state === undefined || v.state === 'ENABLED')) versions.push(n);
    }
    pageToken = page?.nextPageToken ?? '';
  } while (pageToken);
  if (versions.length === 0) throw new KeyResolveError('KEY_NOT_FOUND', `${key.uri}: no enabled key version`);
  return String(Math.max(...versions));
}

async function adcToken(uri: string): Promise<string> {
  let lib;
  try {
    lib = await import('google-auth-library');
  } catch (err) {
    throw new KeyResolveError('KEY_PROVIDER_UNAVAILABLE', `${uri}: needs the optional package google-auth-library (npm i google-auth-library)`, { cause: err });
  }
  try {
    const auth = new lib.GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloudkms'] });
    const token = await auth.getAccessToken();
    if (!token) throw new Error('empty access token');
    return token;
  } catch (err) {
    throw new KeyResolveError(
      'KEY_NO_CREDENTIALS',
      `${uri}: no Google credentials (run \`gcloud auth application-default login\` or set GOOGLE_APPLICATION_CREDENTIALS): ${firstLine(err)}`,
      { cause: err },
    );
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
