// Test-only FAKES of the key-management APIs that hand out public keys and sign digests: AWS KMS
// (JSON 1.1 `TrentService.GetPublicKey` / `Sign`), Google Cloud KMS REST
// (`cryptoKeyVersions.getPublicKey` / list / `asymmetricSign`), Azure Key Vault REST (get key, sign)
// and HashiCorp Vault transit (`GET /v1/transit/keys/<name>`, `POST …/sign/<name>`). Signing needs
// the private key (pass a private KeyObject); ECDSA P-256 only. No cloud runs here;
// each fake speaks just enough of the documented wire format for the resolvers in
// src/keys to be tested end to end over HTTP. Never used by the CLI.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey, type KeyObject } from 'node:crypto';

export interface FakeKmsRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface FakeKms {
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests(): FakeKmsRequest[];
  stop(): Promise<void>;
}

type PublicKeyInput = KeyObject | string;

type Handler = (req: FakeKmsRequest, res: ServerResponse) => void | Promise<void>;

async function serve(handler: Handler): Promise<FakeKms> {
  const log: FakeKmsRequest[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      log.push(entry);
      Promise.resolve()
        .then(() => handler(entry, res))
        .catch((err) => json(res, 500, { error: String(err) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => log.map((r) => ({ ...r })),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** ECDSA P-256 over a SHA-256 digest, as the KMSs do: DER, or r||s (`compact`, Key Vault). */
async function signDigest(k: PublicKeyInput, digest: Uint8Array, format: 'der' | 'compact' = 'der'): Promise<Buffer> {
  if (typeof k === 'string' || k.type !== 'private') throw new Error('this fake key has no private half');
  const { p256 } = await import('@noble/curves/nist.js');
  const d = Buffer.from(String(k.export({ format: 'jwk' }).d), 'base64url');
  return Buffer.from(p256.sign(digest, d, { prehash: false, format }));
}

function keyObject(k: PublicKeyInput): KeyObject {
  return typeof k === 'string' ? createPublicKey(k) : k.type === 'private' ? createPublicKey(k) : k;
}

/**
 * FAKE AWS KMS. `keys` maps key IDs, `alias/NAME`s and ARNs to public keys. Requests
 * must carry a SigV4 Authorization header (its signature is not checked); an
 * `AccessDeniedException` is returned for `deny`-listed key IDs.
 */
export function startFakeAwsKms(opts: { keys: Record<string, PublicKeyInput>; deny?: string[] }): Promise<FakeKms> {
  return serve((req, res) => {
    const awsError = (status: number, type: string, message: string) => json(res, status, { __type: type, message }, { 'x-amzn-errortype': type });
    const target = req.headers['x-amz-target'];
    if (req.method !== 'POST' || (target !== 'TrentService.GetPublicKey' && target !== 'TrentService.Sign')) return awsError(400, 'UnknownOperationException', 'unsupported');
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 Credential=')) return awsError(400, 'MissingAuthenticationTokenException', 'no signature');
    const { KeyId, Message, MessageType, SigningAlgorithm } = JSON.parse(req.body) as { KeyId: string; Message?: string; MessageType?: string; SigningAlgorithm?: string };
    if (opts.deny?.includes(KeyId)) return awsError(400, 'AccessDeniedException', 'not allowed');
    const key = opts.keys[KeyId];
    if (!key) return awsError(400, 'NotFoundException', `Key '${KeyId}' does not exist`);
    if (target === 'TrentService.Sign') {
      if (MessageType !== 'DIGEST' || SigningAlgorithm !== 'ECDSA_SHA_256' || !Message) return awsError(400, 'ValidationException', 'expected a DIGEST with ECDSA_SHA_256');
      return signDigest(key, Buffer.from(Message, 'base64')).then((sig) => json(res, 200, { KeyId, Signature: sig.toString('base64'), SigningAlgorithm }));
    }
    const der = keyObject(key).export({ type: 'spki', format: 'der' });
    json(res, 200, { KeyId, PublicKey: der.toString('base64'), KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] });
  });
}

/**
 * FAKE Google Cloud KMS (REST v1). `versions` maps full cryptoKeyVersion names
 * (`projects/…/cryptoKeys/K/cryptoKeyVersions/N`) to public keys; `disabled` names
 * versions listed as DISABLED. Requires `Authorization: Bearer <token>`.
 */
export function startFakeGcpKms(opts: { token: string; versions: Record<string, PublicKeyInput>; disabled?: string[] }): Promise<FakeKms> {
  return serve((req, res) => {
    if (req.headers.authorization !== `Bearer ${opts.token}`) return json(res, 401, { error: { code: 401, status: 'UNAUTHENTICATED' } });
    const url = new URL(req.path, 'http://fake');
    const path = decodeURIComponent(url.pathname);
    const sign = /^\/v1\/(.+\/cryptoKeyVersions\/[^/:]+):asymmetricSign$/.exec(path);
    if (sign && req.method === 'POST') {
      const key = opts.versions[sign[1]!];
      if (!key) return json(res, 404, { error: { code: 404, status: 'NOT_FOUND' } });
      const digest = (JSON.parse(req.body) as { digest?: { sha256?: string } }).digest?.sha256;
      if (!digest) return json(res, 400, { error: { code: 400, status: 'INVALID_ARGUMENT' } });
      return signDigest(key, Buffer.from(digest, 'base64')).then((sig) => json(res, 200, { name: sign[1], signature: sig.toString('base64') }));
    }
    const pub = /^\/v1\/(.+\/cryptoKeyVersions\/[^/]+)\/publicKey$/.exec(path);
    if (pub) {
      const key = opts.versions[pub[1]!];
      if (!key) return json(res, 404, { error: { code: 404, status: 'NOT_FOUND' } });
      return json(res, 200, { name: pub[1], pem: keyObject(key).export({ type: 'spki', format: 'pem' }).toString(), algorithm: 'EC_SIGN_P256_SHA256' });
    }
    const list = /^\/v1\/(.+\/cryptoKeys\/[^/]+)\/cryptoKeyVersions$/.exec(path);
    if (list) {
      const names = Object.keys(opts.versions).filter((n) => n.startsWith(`${list[1]}/cryptoKeyVersions/`));
      if (names.length === 0) return json(res, 404, { error: { code: 404, status: 'NOT_FOUND' } });
      const all = names.map((name) => ({ name, state: opts.disabled?.includes(name) ? 'DISABLED' : 'ENABLED' }));
      const filtered = url.searchParams.get('filter') === 'state=ENABLED' ? all.filter((v) => v.state === 'ENABLED') : all;
      return json(res, 200, { cryptoKeyVersions: filtered, totalSize: filtered.length });
    }
    json(res, 404, { error: { code: 404, status: 'NOT_FOUND' } });
  });
}

/**
 * FAKE Azure Key Vault (REST, api-version 7.x): `GET /keys/<name>[/<version>]`
 * returns the key as a JWK (EC keys reported as `EC-HSM`, like HSM-backed vaults).
 * Requires `Authorization: Bearer <token>`.
 */
export function startFakeAzureKeyVault(opts: { token: string; keys: Record<string, PublicKeyInput> }): Promise<FakeKms> {
  return serve((req, res) => {
    if (req.headers.authorization !== `Bearer ${opts.token}`) return json(res, 401, { error: { code: 'Unauthorized' } });
    const url = new URL(req.path, 'http://fake');
    const signing = /^\/keys\/([^/]+)(?:\/([^/]+))?\/sign$/.exec(url.pathname);
    if (signing && req.method === 'POST') {
      const key = opts.keys[decodeURIComponent(signing[1]!)];
      if (!key) return json(res, 404, { error: { code: 'KeyNotFound' } });
      const { alg, value } = JSON.parse(req.body) as { alg?: string; value?: string };
      if (alg !== 'ES256' || !value) return json(res, 400, { error: { code: 'BadParameter' } });
      return signDigest(key, Buffer.from(value, 'base64url'), 'compact').then((sig) =>
        json(res, 200, { kid: `https://fake.vault.azure.net/keys/${signing[1]}/${signing[2] ?? 'v1'}`, value: sig.toString('base64url') }),
      );
    }
    const m = /^\/keys\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m || !url.searchParams.get('api-version')) return json(res, 400, { error: { code: 'BadParameter' } });
    const key = opts.keys[decodeURIComponent(m[1]!)];
    if (!key) return json(res, 404, { error: { code: 'KeyNotFound' } });
    const jwk = keyObject(key).export({ format: 'jwk' }) as Record<string, unknown>;
    const kty = jwk.kty === 'EC' ? 'EC-HSM' : jwk.kty;
    json(res, 200, { key: { ...jwk, kty, kid: `https://fake.vault.azure.net/keys/${m[1]}/${m[2] ?? 'v1'}`, key_ops: ['sign', 'verify'] }, attributes: { enabled: true } });
  });
}

/**
 * FAKE HashiCorp Vault transit engine: `GET /v1/<mount>/keys/<name>`, with every
 * version's public key (PEM for ECDSA/RSA, raw base64 for Ed25519, as Vault does).
 * Requires `X-Vault-Token`.
 */
export function startFakeVault(opts: { token: string; mount?: string; keys: Record<string, PublicKeyInput[]> }): Promise<FakeKms> {
  const mount = opts.mount ?? 'transit';
  return serve((req, res) => {
    if (req.headers['x-vault-token'] !== opts.token) return json(res, 403, { errors: ['permission denied'] });
    const signing = new RegExp(`^/v1/${mount}/sign/([^/?]+)/sha2-256$`).exec(req.path);
    if (signing && req.method === 'POST') {
      const versions = opts.keys[decodeURIComponent(signing[1]!)];
      if (!versions) return json(res, 404, { errors: [] });
      const { input, prehashed } = JSON.parse(req.body) as { input?: string; prehashed?: boolean };
      if (!input || prehashed !== true) return json(res, 400, { errors: ['expected a prehashed input'] });
      return signDigest(versions.at(-1)!, Buffer.from(input, 'base64')).then((sig) => json(res, 200, { data: { signature: `vault:v${versions.length}:${sig.toString('base64')}` } }));
    }
    const m = new RegExp(`^/v1/${mount}/keys/([^/?]+)$`).exec(req.path);
    const versions = m ? opts.keys[decodeURIComponent(m[1]!)] : undefined;
    if (!versions) return json(res, 404, { errors: [] });
    const keys: Record<string, { public_key: string; creation_time: string }> = {};
    versions.forEach((k, i) => {
      const key = keyObject(k);
      const publicKey =
        key.asymmetricKeyType === 'ed25519'
          ? Buffer.from(String(key.export({ format: 'jwk' }).x), 'base64url').toString('base64')
          : key.export({ type: 'spki', format: 'pem' }).toString();
      keys[String(i + 1)] = { public_key: publicKey, creation_time: '2026-01-01T00:00:00Z' };
    });
    json(res, 200, { data: { name: m![1], type: 'ecdsa-p256', latest_version: versions.length, keys } });
  });
}
