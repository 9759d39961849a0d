// The OCI distribution read path behind the RegistryClient seam: resolve,
// manifest, blob, referrers. Every returned byte is hashed and checked.
import type { CredentialStore, Descriptor, FetchedManifest, RegistryClient, RegistryWriter, Repository } from './types.js';
import { RegistryError } from './types.js';
import { createTransport, NetworkFailure, type HttpResponse, type TransportStats } from './transport.js';
import { createAuthenticator } from './auth.js';
import { checkDigest, digestOf, isDigest } from './digest.js';
import { baseUrl, checkReference, checkRepository, schemeFor, type Scheme } from './endpoint.js';
import { MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, OCI_INDEX } from './media-types.js';
import { listReferrers, parseJson } from './referrers.js';

export interface RegistryOptions {
  /** Hosts (`host[:port]`) reached without TLS verification, falling back to plain HTTP. */
  insecureRegistries?: string[];
  /** Extra CA (PEM text) trusted for registry TLS, on top of the system roots. */
  registryCa?: string;
  /** Requests in flight overall (default 16). */
  concurrency?: number;
  /** Requests in flight per registry host (default: the global limit). */
  perRegistryConcurrency?: number;
  /** Per-request timeout (default 10000, `--request-timeout`). */
  timeoutMs?: number;
  /** Retries on 429/5xx and connection resets (default 11, bounded by `signal`). */
  retries?: number;
  /** The run's deadline: aborts requests in flight, stops retries. */
  signal?: AbortSignal;
  /** First backoff step; later ones double, with jitter (default 250). */
  retryBaseDelayMs?: number;
  /** Largest blob fetched into memory (default 64 MiB). */
  maxBlobBytes?: number;
  credentials?: CredentialStore;
  userAgent?: string;
  /** Host name → IP overrides (like curl --resolve), e.g. to test TLS by certificate name. */
  resolve?: Record<string, string>;
  /** Said at -v: what the client learnt about a registry (no referrers API: the tag schema is read). */
  onNote?: (message: string) => void;
}

export type StatsRegistryClient = RegistryClient & RegistryWriter & {
  /** Every HTTP request sent (token requests, redirects and retries included). */
  stats(): TransportStats;
  /** Closes the keep-alive connections. */
  close(): Promise<void>;
};

/** Codes seen when TLS is spoken to a plain-HTTP port. */
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);
/** HEAD answers after which GET is worth a try (some registries mishandle HEAD). */
const HEAD_FALLBACK = new Set([400, 404, 405, 501]);
const MANIFEST_TYPES = new Set(MANIFEST_ACCEPT.split(', '));

export function createRegistryClient(opts: RegistryOptions = {}): StatsRegistryClient {
  const insecure = opts.insecureRegistries ?? [];
  const insecureHosts = insecure.map((h) => h.toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, ''));
  const transport = createTransport({ ...opts, insecureHosts });
  const auth = createAuthenticator({ transport, credentials: opts.credentials });
  const schemes = new Map<string, Scheme>();
  /** Registries (or `registry/repository`, for a 404) found without a usable referrers API this run (why): the tag schema is read there. */
  const withoutReferrersApi = new Map<string, string>();
  const probingReferrers = new Map<string, Promise<void>>();
  const maxBlobBytes = opts.maxBlobBytes ?? 64 * 1024 * 1024;

  /**
   * One registry call with auth; `path` is relative to /v2/<repo>/, absolute when it starts with
   * '/', or a whole URL (an upload location). Writes ask for a push token.
   */
  async function call(
    repo: Repository,
    method: 'GET' | 'HEAD' | 'POST' | 'PUT',
    path: string,
    accept?: string,
    maxBytes?: number,
    write?: { body?: Uint8Array; contentType?: string },
    redirects: 'follow' | 'same-origin' = 'follow',
  ): Promise<HttpResponse> {
    checkRepository(repo.repository);
    const host = repo.registry;
    const actions = write ? 'pull,push' : 'pull';
    const fullPath = path.startsWith('/') || /^https?:\/\//.test(path) ? path : `/v2/${repo.repository}/${path}`;
    const send = async (authorization: string | undefined): Promise<HttpResponse> => {
      const scheme = schemes.get(host) ?? schemeFor(host, insecure);
      const base = baseUrl(host, scheme);
      const url = /^https?:\/\//.test(fullPath) ? fullPath : base + fullPath;
      const headers: Record<string, string> = {};
      if (accept) headers['accept'] = accept;
      // An upload location on another origin (a storage backend) never gets the registry's credentials.
      if (authorization && new URL(url).origin === new URL(base).origin) headers['authorization'] = authorization;
      if (write?.contentType) headers['content-type'] = write.contentType;
      if (write) headers['content-length'] = String(write.body?.byteLength ?? 0);
      try {
        return await transport.send({ method, url, headers, maxBytes, redirects, ...(write?.body && { body: write.body }) });
      } catch (err) {
        if (err instanceof NetworkFailure && scheme === 'https-insecure' && NOT_TLS.has(err.code)) {
          schemes.set(host, 'http'); // an insecure registry that only speaks HTTP
          return send(authorization);
        }
        throw err;
      }
    };
    try {
      const first = auth.cached(host, repo.repository, actions);
      let res = await send(first);
      if (res.status === 401) {
        const header = await auth.respond(host, repo.repository, res.headers['www-authenticate'], first, actions);
        if (header) res = await send(header);
      }
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError('AUTH', `${host}/${repo.repository}: ${write ? 'push' : 'access'} denied (${res.status}) ${await credentialOrigin(host, Boolean(write))}`, { status: res.status });
      }
      if (res.status === 429) {
        throw new RegistryError('RATE_LIMITED', `${host}/${repo.repository}: rate limited after retries`, { status: 429 });
      }
      return res;
    } catch (err) {
      if (err instanceof NetworkFailure) throw new RegistryError('NETWORK', `${host}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  /** Where the credentials sent came from, or where none were found: never their value. */
  async function credentialOrigin(host: string, push = false): Promise<string> {
    const cred = await opts.credentials?.get(host).catch(() => undefined);
    if (cred?.source) return `with the credentials from ${cred.source}; check that they may ${push ? 'push to' : 'pull'} this repository`;
    const where = opts.credentials?.where?.();
    return `anonymously: no credentials for ${host}${where ? ` in ${where}` : ''} (docker login ${host}, or a pull secret)`;
  }

  async function manifest(repo: Repository, reference: string): Promise<FetchedManifest | null> {
    checkReference(reference);
    const res = await call(repo, 'GET', `manifests/${reference}`, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES);
    if (res.status === 404) return null;
    if (res.status !== 200) throw unexpected(res, `manifest ${repo.repository}:${reference}`);
    const what = `manifest ${repo.registry}/${repo.repository}@${reference}`;
    const digest = isDigest(reference) ? checkDigest(res.body, reference, what) : digestOf(res.body);
    const claimed = res.headers['docker-content-digest'];
    if (claimed && isDigest(claimed)) checkDigest(res.body, claimed, what);
    const json = parseJson(res.body, what);
    const mediaType = typeof json['mediaType'] === 'string' ? json['mediaType'] : contentType(res);
    return { digest, mediaType, bytes: res.body, json };
  }

  return {
    async resolve(repo, reference) {
      checkReference(reference);
      const res = await call(repo, 'HEAD', `manifests/${reference}`, MANIFEST_ACCEPT);
      if (res.status === 200) {
        const claimed = res.headers['docker-content-digest'];
        const mediaType = contentType(res);
        const size = Number(res.headers['content-length']);
        const usable = MANIFEST_TYPES.has(mediaType) && Number.isSafeInteger(size) && size > 0;
        if (isDigest(reference)) {
          if (claimed && isDigest(claimed) && sameAlgorithm(claimed, reference) && claimed !== reference) {
            throw new RegistryError('DIGEST_MISMATCH', `${repo.repository}@${reference}: registry reports ${claimed}`);
          }
          if (usable) return { mediaType, digest: reference, size };
        } else if (claimed && isDigest(claimed) && usable) {
          return { mediaType, digest: claimed, size };
        }
      } else if (!HEAD_FALLBACK.has(res.status)) {
        throw unexpected(res, `resolve ${repo.repository}:${reference}`);
      }
      // HEAD was not good enough: GET the manifest and hash it ourselves.
      const m = await manifest(repo, reference);
      if (!m) throw new RegistryError('NOT_FOUND', `${repo.registry}/${repo.repository}:${reference} not found`, { status: 404 });
      return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.byteLength };
    },

    manifest,

    async blob(repo, digest) {
      if (!isDigest(digest)) throw new RegistryError('PROTOCOL', `blob needs a digest, got ${JSON.stringify(digest.slice(0, 80))}`);
      const res = await call(repo, 'GET', `blobs/${digest}`, undefined, maxBlobBytes);
      if (res.status === 404) throw new RegistryError('NOT_FOUND', `blob ${repo.repository}@${digest} not found`, { status: 404 });
      if (res.status !== 200) throw unexpected(res, `blob ${repo.repository}@${digest}`);
      checkDigest(res.body, digest, `blob ${repo.registry}/${repo.repository}@${digest}`);
      return res.body;
    },

    async referrers(repo, digest, artifactType): Promise<Descriptor[]> {
      // The first call to a registry finds out whether its API is usable; calls made meanwhile wait for it.
      const probe = probingReferrers.get(repo.registry);
      if (probe) await probe;
      const repoKey = `${repo.registry}/${repo.repository}`;
      const known = withoutReferrersApi.get(repo.registry) ?? withoutReferrersApi.get(repoKey);
      const listed = listReferrers(repo.repository, digest, artifactType, {
        get: async (path) => {
          try {
            return await call(repo, 'GET', path, OCI_INDEX, MAX_MANIFEST_BYTES, undefined, 'same-origin');
          } catch (err) {
            // Still 429 after the retries: an answer about this registry's API, not a failed image.
            if (err instanceof RegistryError && err.code === 'RATE_LIMITED') return { status: 429, headers: {}, body: new Uint8Array(), url: path, attempts: 0 };
            throw err;
          }
        },
        manifest: (tag) => manifest(repo, tag),
        ...(known !== undefined && { knownWithoutApi: known }),
        withoutApi: (reason, scope) => {
          const where = scope === 'registry' ? repo.registry : repoKey;
          if (withoutReferrersApi.has(where)) return;
          withoutReferrersApi.set(where, reason);
          // A 404 is said once per registry (each repository learns it for itself).
          if (scope === 'repository' && [...withoutReferrersApi.keys()].some((k) => k !== where && k.startsWith(`${repo.registry}/`))) return;
          opts.onNote?.(`${repo.registry}: ${reason}; reading referrers from the sha256-<hex> tag schema ${scope === 'registry' ? 'for the rest of the run' : `for ${repo.repository} (and each repository that answers so)`}`);
        },
      });
      if (!probe) probingReferrers.set(repo.registry, listed.then(noop, noop));
      return listed;
    },

    async pushBlob(repo, bytes) {
      const digest = digestOf(bytes);
      const head = await call(repo, 'HEAD', `blobs/${digest}`, undefined, undefined, {});
      if (head.status === 200) return digest; // already there (cosign skips it too)
      const started = await call(repo, 'POST', 'blobs/uploads/', undefined, undefined, {});
      const location = started.headers['location'];
      if (started.status !== 202 || !location) throw unexpected(started, `start upload to ${repo.repository}`);
      const scheme = schemes.get(repo.registry) ?? schemeFor(repo.registry, insecure);
      const upload = new URL(location, baseUrl(repo.registry, scheme) + '/');
      upload.searchParams.set('digest', digest);
      const done = await call(repo, 'PUT', upload.toString(), undefined, undefined, { body: bytes, contentType: 'application/octet-stream' });
      if (done.status !== 201) throw unexpected(done, `upload ${digest} to ${repo.repository}`);
      return digest;
    },

    async pushManifest(repo, reference, bytes, mediaType) {
      checkReference(reference);
      const res = await call(repo, 'PUT', `manifests/${reference}`, undefined, undefined, { body: bytes, contentType: mediaType });
      if (res.status !== 201 && res.status !== 200) throw unexpected(res, `push manifest ${repo.repository}:${reference}`);
      return digestOf(bytes);
    },

    stats: () => transport.stats(),
    close: () => transport.close(),
  };
}

function contentType(res: HttpResponse): string {
  return (res.headers['content-type'] ?? '').split(';')[0]!.trim();
}

function sameAlgorithm(a: string, b: string): boolean {
  return a.split(':')[0] === b.split(':')[0];
}

function unexpected(res: HttpResponse, what: string): RegistryError {
  const tries = (res.attempts ?? 1) > 1 ? ` after ${res.attempts} attempts` : '';
  const words = res.status >= 500 ? ' (the registry is failing; try again later)' : '';
  return new RegistryError('PROTOCOL', `${what}: unexpected status ${res.status}${tries}${words}`, { status: res.status });
}

function noop(): void {}
