// Where a registry lives: scheme choice and URL building (pure).
import { RegistryError } from './types.js';
import { isDigest } from './digest.js';

export type Scheme = 'http' | 'https' | 'https-insecure';

/** Host part of `host[:port]` (IPv6 in brackets kept). */
export function hostname(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** localhost, 127.0.0.0/8 and [::1], with any port: plain HTTP, as docker does. */
export function isLoopback(host: string): boolean {
  const name = hostname(host).toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * Loopback → HTTP; listed insecure hosts → HTTPS without verification (the
 * client drops to HTTP if the host does not speak TLS); everything else → HTTPS.
 */
export function schemeFor(host: string, insecureRegistries: readonly string[] = []): Scheme {
  if (isLoopback(host)) return 'http';
  const wanted = host.toLowerCase();
  const listed = insecureRegistries.some((h) => {
    const entry = h.toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
    return entry === wanted || entry === hostname(wanted);
  });
  return listed ? 'https-insecure' : 'https';
}

// distribution-spec grammar; checking it keeps paths from escaping /v2/<name>/.
const REPO = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function checkRepository(repository: string): void {
  if (!REPO.test(repository)) {
    throw new RegistryError('PROTOCOL', `invalid repository name ${JSON.stringify(repository.slice(0, 256))}`);
  }
}

export function checkReference(reference: string): void {
  if (!TAG.test(reference) && !isDigest(reference)) {
    throw new RegistryError('PROTOCOL', `invalid tag or digest ${JSON.stringify(reference.slice(0, 256))}`);
  }
}

export function baseUrl(host: string, scheme: Scheme): string {
  return `${scheme === 'http' ? 'http' : 'https'}://${host}`;
}

/** The referrers tag schema: `sha256:<hex>` → `sha256-<hex>` (alg ≤32 chars, hex ≤64). */
export function referrersTag(digest: string): string {
  const [alg = '', hex = ''] = digest.split(':');
  return `${alg.slice(0, 32)}-${hex.slice(0, 64)}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}
