// The registry seam: everything returned here has already been checked against
// the digest that named it. The engine, the cache and --offline implement or
// wrap this same interface.

/** A repository on a registry: `host[:port]` and path. */
export interface Repository {
  /** Host to contact (docker.io already mapped to registry-1.docker.io). */
  registry: string;
  repository: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** A fetched manifest: bytes hashed and equal to `digest`. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  /** Parsed JSON of `bytes`. */
  json: Record<string, unknown>;
}

export interface RegistryClient {
  /** Resolve a tag (or digest) to the manifest descriptor it names (HEAD, falling back to GET). */
  resolve(repo: Repository, reference: string): Promise<Descriptor>;
  /** GET a manifest by tag or digest; null when the registry answers 404. */
  manifest(repo: Repository, reference: string): Promise<FetchedManifest | null>;
  /** GET a blob; its bytes hash to `digest` or this throws. */
  blob(repo: Repository, digest: string): Promise<Uint8Array>;
  /** Referrers of a digest (OCI 1.1 API, tag-schema fallback); [] when there are none. */
  referrers(repo: Repository, digest: string, artifactType?: string): Promise<Descriptor[]>;
}

/** The write path, used only to publish attestations (`--publish-vsa`): push credentials from the docker config. */
export interface RegistryWriter {
  /** Uploads a blob unless the registry has it; returns its digest. */
  pushBlob(repo: Repository, bytes: Uint8Array): Promise<string>;
  /** PUTs a manifest under a tag or digest; returns its digest. */
  pushManifest(repo: Repository, reference: string, bytes: Uint8Array, mediaType: string): Promise<string>;
}

/** Transport, auth or integrity trouble: the image becomes `error`, never `fail`. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;
  readonly status?: number;
  constructor(code: RegistryErrorCode, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options?.status;
  }
}

export type RegistryErrorCode =
  | 'NETWORK' // connection refused, reset, DNS, timeout
  | 'AUTH' // 401/403 after the token dance
  | 'NOT_FOUND' // 404 for the image itself (tag or digest unknown)
  | 'DIGEST_MISMATCH' // bytes do not hash to the digest that named them
  | 'PROTOCOL' // unexpected status or body
  | 'RATE_LIMITED' // 429 after retries
  | 'OFFLINE'; // --offline: nothing is fetched

/** Credentials for one registry host. Never logged, never put in error messages. */
export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker `identitytoken`), exchanged at the token endpoint. */
  identityToken?: string;
  /** Where it came from, for messages (a file path, a helper's name, a pull secret): never the value. */
  source?: string;
}

/** Looks credentials up by registry host (`host[:port]`); undefined when there are none. */
export interface CredentialStore {
  get(host: string): Promise<Credential | undefined>;
  /** Where it looks, for "access denied" messages when it had nothing (e.g. the docker config path). */
  where?(): string;
}
