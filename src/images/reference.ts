// Docker image reference grammar (distribution/reference) and the two
// normalisations our policy formats rely on. Pure: no I/O.

/** A parsed image reference, as written in a manifest. */
export interface ImageRef {
  /** The reference exactly as written. */
  raw: string;
  /** Registry host[:port] as written, or 'docker.io' when none was written. */
  registry: string;
  /** Repository path inside the registry; Docker Hub official images get `library/`. */
  repository: string;
  tag?: string;
  /** `algorithm:hex` when the reference carries a digest. */
  digest?: string;
}

export class ReferenceError extends Error {
  readonly code = 'INVALID_REFERENCE';
}

// distribution/reference regexp.go, written out once.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]{32,})$/;
// go-digest registered algorithms and their hex lengths; hex must be lowercase.
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const NAME_TOTAL_LENGTH_MAX = 255;

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_LEGACY = 'index.docker.io';

/** The pieces exactly as written, before any normalisation. */
interface WrittenReference {
  /** Domain as written, when the first component is one. */
  domain?: string;
  /** Repository path as written (no `library/` added). */
  path: string;
  tag?: string;
  digest?: string;
}

function invalid(raw: string, reason: string): ReferenceError {
  return new ReferenceError(`invalid image reference ${JSON.stringify(raw)}: ${reason}`);
}

/** Splits and validates without normalising (distribution ParseNormalizedNamed minus the defaults). */
function splitReference(raw: string): WrittenReference {
  if (raw.length === 0) throw invalid(raw, 'empty');
  if (raw !== raw.trim()) throw invalid(raw, 'leading or trailing whitespace');

  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const m = DIGEST_RE.exec(digest);
    if (!m) throw invalid(raw, 'digest must be algorithm:hex');
    const [, algorithm, hex] = m as unknown as [string, string, string];
    const want = DIGEST_HEX_LENGTH[algorithm];
    if (want === undefined) throw invalid(raw, `unsupported digest algorithm "${algorithm}"`);
    if (hex.length !== want || hex !== hex.toLowerCase()) {
      throw invalid(raw, `${algorithm} digest must be ${want} lowercase hex characters`);
    }
  }

  // A ':' after the last '/' starts the tag; before it, it is a registry port.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(raw, `invalid tag "${tag}"`);
  }

  if (rest.length === 0) throw invalid(raw, 'repository name is missing');
  if (rest.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(raw, `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }

  // distribution's splitDockerDomain: the first component is a domain when it has '.' or ':',
  // is `localhost`, or has uppercase letters (which a path component cannot have).
  let domain: string | undefined;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
      if (!DOMAIN_RE.test(domain)) throw invalid(raw, `invalid registry "${domain}"`);
    }
  }

  for (const component of path.split('/')) {
    if (component !== component.toLowerCase()) throw invalid(raw, 'repository name must be lowercase');
    if (!PATH_COMPONENT_RE.test(component)) throw invalid(raw, `invalid repository path component "${component}"`);
  }
  if (domain === undefined && /^[a-f0-9]{64}$/.test(path)) {
    throw invalid(raw, 'a 64-character hexadecimal string is an image ID, not a repository name');
  }
  return { domain, path, tag, digest };
}

/** Parses a reference; throws ReferenceError with the reason when it is not valid. */
export function parseReference(raw: string): ImageRef {
  const w = splitReference(raw);
  let registry = w.domain ?? DOCKER_HUB;
  if (registry === DOCKER_HUB_LEGACY) registry = DOCKER_HUB;
  const repository = registry === DOCKER_HUB && !w.path.includes('/') ? `library/${w.path}` : w.path;
  const ref: ImageRef = { raw, registry, repository };
  if (w.tag !== undefined) ref.tag = w.tag;
  if (w.digest !== undefined) ref.digest = w.digest;
  return ref;
}

/** What was written, or the normalised fields for a ref built by hand whose raw does not parse. */
function written(ref: ImageRef): WrittenReference {
  try {
    return splitReference(ref.raw);
  } catch {
    return { domain: ref.registry, path: ref.repository, tag: ref.tag, digest: ref.digest };
  }
}

/**
 * Notation's registry scope of a reference: `registry/repository` exactly as written (notation-go
 * compares scopes without normalisation, so `index.docker.io/…` stays itself). A reference written
 * without a registry reads as `docker.io/` (and `library/` for a one-component name).
 */
export function notationScope(ref: ImageRef): string {
  const w = written(ref);
  if (w.domain !== undefined) return `${w.domain}/${w.path}`;
  return `${DOCKER_HUB}/${w.path.includes('/') ? w.path : `library/${w.path}`}`;
}

/**
 * Kyverno form (pkg/utils/image/infos.go ImageInfo.String() on main, Aug 2026): the default
 * registry `docker.io` is added when none is written, the path stays as written (`nginx` →
 * `docker.io/nginx:latest`; Kyverno adds no `library/`), `index.docker.io` is kept as written,
 * tag defaults to `latest`, and with a digest the tag is dropped: `registry/path@digest`.
 */
export function kyvernoName(ref: ImageRef): string {
  const w = written(ref);
  const name = `${w.domain ?? DOCKER_HUB}/${w.path}`;
  return w.digest ? `${name}@${w.digest}` : `${name}:${w.tag ?? 'latest'}`;
}

/**
 * policy-controller form: go-containerregistry `ParseReference(s).Name()` (pkg/name).
 * - The first component is the registry only when it contains '.' or ':' (so `localhost/x`
 *   is a Docker Hub repository there); `docker.io` is rewritten to `index.docker.io`.
 * - Docker Hub single-component repositories get `library/`; tag defaults to `latest`.
 * - `name:tag@digest`: NewTag fails on the '@', NewDigest keeps only the repository, and
 *   Digest.Name() is `repository@digest`, so the tag is dropped (pkg/name/digest.go).
 *   The glob matcher's raw-string fallback still sees the tag.
 */
export function cipName(ref: ImageRef): string {
  const w = written(ref);
  const name = ggcrRepository(ref);
  return w.digest ? `${name}@${w.digest}` : `${name}:${w.tag ?? 'latest'}`;
}

/** go-containerregistry's `Reference.Context().Name()`: the repository as cosign names it (`docker-reference`). */
export function ggcrRepository(ref: ImageRef): string {
  const w = written(ref);
  let registry = DOCKER_HUB_LEGACY;
  let path = w.path;
  if (w.domain !== undefined) {
    if (/[.:]/.test(w.domain)) registry = w.domain === DOCKER_HUB ? DOCKER_HUB_LEGACY : w.domain;
    else path = `${w.domain}/${w.path}`;
  }
  if (registry === DOCKER_HUB_LEGACY && !path.includes('/')) path = `library/${path}`;
  return `${registry}/${path}`;
}

/** Host to contact for the registry API: docker.io → registry-1.docker.io. */
export function registryHost(ref: ImageRef): string {
  return ref.registry === DOCKER_HUB ? 'registry-1.docker.io' : ref.registry;
}

/** `registry/repository`, normalised: the identity of a repository across spellings. */
export function repositoryName(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}`;
}

/** `registry/repository[:tag][@digest]`, normalised (docker.io/library/…); no default tag. */
export function canonicalName(ref: ImageRef): string {
  return `${repositoryName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The same reference pinned to `digest` (keeps the tag: `name:tag@digest`, as pinning writes it). */
export function withDigest(ref: ImageRef, digest: string): ImageRef {
  const at = ref.raw.indexOf('@');
  const base = at === -1 ? ref.raw : ref.raw.slice(0, at);
  return parseReference(`${base}@${digest}`);
}
