// Registry authentication: anonymous first; on 401 follow the WWW-Authenticate
// challenge (Basic with stored credentials, or the Bearer token dance), caching
// what worked per host (Basic) or per (host, repository) until expiry (Bearer).
import type { Credential, CredentialStore } from './types.js';
import { RegistryError } from './types.js';
import type { Transport } from './transport.js';

export interface Challenge {
  scheme: string; // lower-case: 'basic', 'bearer', …
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (several challenges allowed). */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const skip = (chars: RegExp) => {
    while (i < header.length && chars.test(header[i]!)) i++;
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const start = i;
    while (i < header.length && !/[\s,=]/.test(header[i]!)) i++;
    const word = header.slice(start, i);
    if (!word) break;
    skip(/[ \t]/);
    if (header[i] !== '=') {
      challenges.push({ scheme: word.toLowerCase(), params: {} });
      continue;
    }
    i++;
    skip(/[ \t]/);
    let value = '';
    if (header[i] === '"') {
      for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? header[++i] ?? '' : header[i];
      i++;
    } else {
      const from = i;
      while (i < header.length && header[i] !== ',') i++;
      value = header.slice(from, i).trim();
    }
    const current = challenges.at(-1);
    if (current) current.params[word.toLowerCase()] = value;
  }
  return challenges;
}

/** What a token is asked for: reads, or reads and writes (publishing attestations). */
export type Actions = 'pull' | 'pull,push';

export interface Authenticator {
  /** Authorization header already known to work for (host, repo), if any. */
  cached(host: string, repository: string, actions?: Actions): string | undefined;
  /**
   * Answers a 401: returns the Authorization header to retry with, or undefined
   * when there is nothing to try (no credentials for a Basic challenge).
   */
  /**
   * The Authorization to retry with after a 401, or undefined when there is none worth trying.
   * `sent` is the Authorization the refused request carried: only that one counts as rejected,
   * so concurrent first requests all get the credentials.
   */
  respond(host: string, repository: string, wwwAuthenticate: string | undefined, sent?: string, actions?: Actions): Promise<string | undefined>;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

const DEFAULT_TOKEN_SECONDS = 60; // distribution's token spec default
const MAX_TOKEN_BYTES = 1024 * 1024;

export function createAuthenticator(opts: { transport: Transport; credentials?: CredentialStore; now?: () => number }): Authenticator {
  const now = opts.now ?? Date.now;
  const basic = new Map<string, string>();
  const tokens = new Map<string, CachedToken>();
  // One token request per (host, repository) at a time, however many requests got a 401.
  const pending = new Map<string, Promise<string>>();
  const key = (host: string, repository: string, actions: Actions = 'pull') => `${host}\u0000${repository}\u0000${actions}`;

  async function bearer(host: string, repository: string, params: Record<string, string>, actions: Actions): Promise<string> {
    const realm = params['realm'];
    let url: URL;
    try {
      url = new URL(realm ?? '');
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
    } catch {
      throw new RegistryError('AUTH', `${host}: bearer challenge without a usable realm`);
    }
    const scope = `repository:${repository}:${actions}`;
    const cred: Credential | undefined = await opts.credentials?.get(host);
    const headers: Record<string, string> = { accept: 'application/json' };
    let res;
    if (cred?.identityToken) {
      // OAuth2 refresh-token grant, as docker does for `identitytoken`.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cred.identityToken, client_id: 'kubectl-verify-images', scope });
      if (params['service']) form.set('service', params['service']);
      headers['content-type'] = 'application/x-www-form-urlencoded';
      res = await opts.transport.send({ method: 'POST', url: url.toString(), headers, body: form.toString(), maxBytes: MAX_TOKEN_BYTES });
    } else {
      if (params['service']) url.searchParams.set('service', params['service']);
      url.searchParams.set('scope', scope);
      if (cred?.username && cred.password !== undefined) headers['authorization'] = basicHeader(cred);
      res = await opts.transport.send({ method: 'GET', url: url.toString(), headers, maxBytes: MAX_TOKEN_BYTES });
    }
    if (res.status !== 200) {
      throw new RegistryError('AUTH', `${host}: token endpoint ${url.origin}${url.pathname} answered ${res.status}`, { status: res.status });
    }
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(Buffer.from(res.body).toString('utf8')) as typeof body;
    } catch {
      throw new RegistryError('AUTH', `${host}: token endpoint returned invalid JSON`);
    }
    const token = typeof body.token === 'string' && body.token ? body.token : body.access_token;
    if (typeof token !== 'string' || !token) throw new RegistryError('AUTH', `${host}: token endpoint returned no token`);
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    const header = `Bearer ${token}`;
    // Renew a little early so a token does not expire between check and use.
    tokens.set(key(host, repository, actions), { header, expiresAt: now() + Math.max(1, seconds - 5) * 1000 });
    return header;
  }

  return {
    cached(host, repository, actions = 'pull') {
      const token = tokens.get(key(host, repository, actions));
      if (token && token.expiresAt > now()) return token.header;
      if (token) tokens.delete(key(host, repository, actions));
      return basic.get(host);
    },
    async respond(host, repository, wwwAuthenticate, sent, actions = 'pull') {
      const challenges = parseWwwAuthenticate(wwwAuthenticate ?? '');
      const bearerChallenge = challenges.find((c) => c.scheme === 'bearer');
      if (bearerChallenge) {
        const k = key(host, repository, actions);
        const current = tokens.get(k);
        // Another request already fetched a newer token than the one refused here: use it.
        if (current && current.header !== sent && current.expiresAt > now()) return current.header;
        tokens.delete(k);
        let p = pending.get(k);
        if (!p) {
          p = bearer(host, repository, bearerChallenge.params, actions).finally(() => pending.delete(k));
          pending.set(k, p);
        }
        return p;
      }
      if (challenges.some((c) => c.scheme === 'basic')) {
        const cred = await opts.credentials?.get(host);
        if (!cred?.username || cred.password === undefined) return undefined;
        const header = basicHeader(cred);
        if (sent === header) return undefined; // these credentials were refused
        basic.set(host, header);
        return header;
      }
      return undefined;
    },
  };
}

function basicHeader(cred: Credential): string {
  return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
}
