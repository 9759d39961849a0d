// Referrers of a digest: the OCI 1.1 referrers API with pagination, falling
// back to the referrers tag schema (`sha256-<hex>` index) when the registry
// does not implement it.
import type { Descriptor, FetchedManifest } from './types.js';
import { RegistryError } from './types.js';
import type { HttpResponse } from './transport.js';
import { isDigest } from './digest.js';
import { referrersTag } from './endpoint.js';

/** Statuses meaning "no referrers API here" (the spec says 404; older registries vary). */
const UNSUPPORTED = new Set([400, 404, 405, 501]);
const MAX_PAGES = 100;

export interface ReferrersDeps {
  /** GET an absolute path (with query) on the registry, with the OCI index Accept header; redirects off the registry are returned, not followed. */
  get(pathAndQuery: string): Promise<HttpResponse>;
  /** Fetch a manifest by tag in the same repository; null on 404. */
  manifest(tag: string): Promise<FetchedManifest | null>;
  /** Why this registry has no usable referrers API, when an earlier call found out: go to the tag schema at once. */
  knownWithoutApi?: string;
  /**
   * Told when an answer shows the API is not usable: `registry` for what only a registry without it
   * says (a redirect off the host, 429, a body that is no index), `repository` for a 404-like status,
   * which a registry with the API may also give for a repository it does not hold.
   */
  withoutApi?(reason: string, scope: 'registry' | 'repository'): void;
}

export async function listReferrers(repository: string, digest: string, artifactType: string | undefined, deps: ReferrersDeps): Promise<Descriptor[]> {
  if (!isDigest(digest)) throw new RegistryError('PROTOCOL', `referrers need a digest, got ${JSON.stringify(digest.slice(0, 80))}`);
  if (deps.knownWithoutApi !== undefined) return fromTagSchema(digest, artifactType, deps);
  let path = `/v2/${repository}/referrers/${digest}` + (artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '');
  const found: Descriptor[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await deps.get(path);
    // What real registries answer where there is no usable API: the spec's 404 and its variants, a
    // redirect to another host (GHCR: 303 to a rate-limited API), 429 after the retries, a body
    // that is no image index. Each means "read the sha256-<hex> tag instead".
    const answer = page === 0 ? firstAnswer(res) : undefined;
    if (answer && 'without' in answer) {
      deps.withoutApi?.(answer.without, answer.scope);
      return fromTagSchema(digest, artifactType, deps);
    }
    if (res.status !== 200) throw new RegistryError('PROTOCOL', `referrers of ${digest}: unexpected status ${res.status}`, { status: res.status });
    const filtered = /\bartifactType\b/i.test(res.headers['oci-filters-applied'] ?? '');
    const descriptors = descriptorsOf(answer?.json ?? parseJson(res.body, `referrers of ${digest}`));
    found.push(...(filtered ? descriptors : filterByArtifactType(descriptors, artifactType)));
    const next = parseNextLink(res.headers['link']);
    if (!next) return dedupe(found);
    const nextUrl = new URL(next, res.url);
    // Pagination must stay on the registry; a Link elsewhere is not followed.
    if (nextUrl.origin !== new URL(res.url).origin) throw new RegistryError('PROTOCOL', `referrers of ${digest}: next page on another host`);
    path = nextUrl.pathname + nextUrl.search;
  }
  throw new RegistryError('PROTOCOL', `referrers of ${digest}: more than ${MAX_PAGES} pages`);
}

/**
 * The first page's answer: its index, or why there is no usable API here (and for what scope).
 * Other statuses are left to the caller (an error).
 */
function firstAnswer(res: HttpResponse): { json?: Record<string, unknown> } | { without: string; scope: 'registry' | 'repository' } {
  if (UNSUPPORTED.has(res.status)) return { without: `the referrers API answers ${res.status}`, scope: 'repository' };
  if (res.status >= 300 && res.status < 400) return { without: `the referrers API redirects to another host (${hostOf(res.headers['location'], res.url)})`, scope: 'registry' };
  if (res.status === 429) return { without: 'the referrers API is rate-limited (429 after retries)', scope: 'registry' };
  if (res.status !== 200) return {};
  let json: Record<string, unknown>;
  try {
    json = parseJson(res.body, 'the referrers API answer');
  } catch (err) {
    return { without: `${(err as Error).message}`, scope: 'registry' };
  }
  // The spec's answer is an image index whose `manifests` may be empty but is there.
  if (!Array.isArray(json['manifests'])) return { without: 'the referrers API answers with something that is not an image index', scope: 'registry' };
  return { json };
}

function hostOf(location: string | undefined, base: string): string {
  try {
    return new URL(location ?? '', base).host;
  } catch {
    return 'an unreadable location';
  }
}

async function fromTagSchema(digest: string, artifactType: string | undefined, deps: ReferrersDeps): Promise<Descriptor[]> {
  const index = await deps.manifest(referrersTag(digest));
  if (!index) return [];
  return filterByArtifactType(descriptorsOf(index.json), artifactType);
}

/** The `next` target of an RFC 8288 Link header, e.g. `</v2/r/referrers/sha256:…?n=2&last=x>; rel="next"`. */
export function parseNextLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel="?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2] ?? '')) return m[1];
  }
  return undefined;
}

export function filterByArtifactType(descriptors: Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType ? descriptors.filter((d) => d.artifactType === artifactType) : descriptors;
}

/** Valid descriptors from an image index's `manifests`; malformed entries are dropped. */
export function descriptorsOf(json: Record<string, unknown>): Descriptor[] {
  const manifests = json['manifests'];
  if (manifests === undefined || manifests === null) return [];
  if (!Array.isArray(manifests)) throw new RegistryError('PROTOCOL', 'index "manifests" is not an array');
  const out: Descriptor[] = [];
  for (const m of manifests as Record<string, unknown>[]) {
    if (!m || typeof m !== 'object') continue;
    const { mediaType, digest, size, artifactType, annotations } = m;
    if (typeof mediaType !== 'string' || typeof digest !== 'string' || !isDigest(digest) || typeof size !== 'number') continue;
    const d: Descriptor = { mediaType, digest, size };
    if (typeof artifactType === 'string') d.artifactType = artifactType;
    if (annotations && typeof annotations === 'object' && !Array.isArray(annotations)) {
      d.annotations = Object.fromEntries(Object.entries(annotations).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
    }
    out.push(d);
  }
  return out;
}

export function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new RegistryError('PROTOCOL', `${what}: body is not JSON`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new RegistryError('PROTOCOL', `${what}: body is not a JSON object`);
  return value as Record<string, unknown>;
}

function dedupe(descriptors: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  return descriptors.filter((d) => !seen.has(d.digest) && (seen.add(d.digest), true));
}
