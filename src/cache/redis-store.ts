// The shared cache backend: sealed entries in a Redis a fleet already runs (Argo CD's own, a
// separate DB number), so replicas, Jobs and CI runs verify each digest once. What comes back is
// authenticated by the cache (seal.ts), never trusted for being there. The store is an optimisation:
// unreachable or slow, it is dropped for the rest of the run with one warning, never an error verdict.

import { isIP } from 'node:net';
import { ConfigError } from '../config/load.js';
import { readSettingFile } from '../config/setting-file.js';
import type { EntryStore } from './verdict-cache.js';

export const CACHE_URL_ENV = 'VERIFY_IMAGES_CACHE_URL';
export const REDIS_PASSWORD_ENV = 'REDIS_PASSWORD';
/** Namespaces our keys in a Redis shared with others (Argo CD's uses the same server). */
const PREFIX = 'kubectl-verify-images:v2:';
/** How long a runner may hold the lock on a verdict it is verifying. */
const LOCK_MS = 10_000;

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** The URL without its credentials: what messages show. */
  display: string;
}

/** `redis://[user:pass@]HOST[:PORT][/DB]` or `rediss://…`; the password may come from REDIS_PASSWORD. */
export function parseCacheUrl(text: string, env: NodeJS.ProcessEnv): RedisTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`--cache-url: not a URL (expected redis://HOST:PORT[/DB] or rediss://…)`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  const display = `${scheme}://${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  if (scheme !== 'redis' && scheme !== 'rediss') throw new ConfigError(`--cache-url ${display}: only redis:// and rediss:// stores are supported`);
  if (!url.hostname) throw new ConfigError(`--cache-url ${display}: no host`);
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!/^\d*$/.test(dbText) || !Number.isSafeInteger(db)) throw new ConfigError(`--cache-url ${display}: the path must be a database number`);
  if (url.search || url.hash) throw new ConfigError(`--cache-url ${display}: options in the URL are not supported`);
  const password = url.password ? decodeURIComponent(url.password) : env[REDIS_PASSWORD_ENV] || undefined;
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    db,
    tls: scheme === 'rediss',
    ...(url.username && { username: decodeURIComponent(url.username) }),
    ...(password !== undefined && { password }),
    display,
  };
}

export interface RedisStoreOptions {
  /** How long Redis keeps an entry (the seal's own expiry is what is trusted). */
  ttlMs: number;
  /** Longest wait for one exchange (connect included); past it the store is dropped for the run. */
  timeoutMs: number;
  onWarning: (message: string) => void;
  /** Extra CA (PEM) for rediss://, as for registries. */
  ca?: string;
}

/** The CA (PEM) a rediss:// store's certificate chains to, besides the system's: the file VERIFY_IMAGES_CACHE_CA names. */
export async function sharedStoreCa(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const file = env[CACHE_CA_ENV];
  if (!file) return undefined;
  const pem = await readSettingFile(`${CACHE_CA_ENV}=${file}`, file);
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`${CACHE_CA_ENV}=${file}: not a PEM certificate`);
  return pem;
}

const CACHE_CA_ENV = 'VERIFY_IMAGES_CACHE_CA';

/** An EntryStore over Redis: verdicts only (no tags), written eagerly, with a lock per verdict. The client is loaded on first use. */
export function redisStore(target: RedisTarget, opts: RedisStoreOptions): EntryStore & Required<Pick<EntryStore, 'claim' | 'release'>> {
  let client: Promise<import('ioredis').Redis | undefined> | undefined;
  let down = false;
  // ioredis rejects commands with "Connection is closed."; the reason is in its 'error' events.
  let cause: unknown;
  const fail = (err: unknown) => {
    if (!down) opts.onWarning(`shared verdict store ${target.display} not used for the rest of this run: ${describe(cause ?? err, target)}; going on with the local cache`);
    down = true;
    void client?.then((c) => c?.disconnect());
  };
  const connect = () =>
    (client ??= import('ioredis').then(async ({ Redis }) => {
      const c = new Redis({
        host: target.host,
        port: target.port,
        ...(target.username && { username: target.username }),
        ...(target.password !== undefined && { password: target.password }),
        // SNI only for names (an IP there is refused by RFC 6066, and node warns); the certificate is checked either way.
        ...(target.tls && { tls: { ...(!isIP(target.host) && { servername: target.host }), ...(opts.ca && { ca: opts.ca }) } }),
        lazyConnect: true,
        connectTimeout: opts.timeoutMs,
        commandTimeout: opts.timeoutMs,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null, // no reconnect loop: a store that went away is dropped
        enableAutoPipelining: true, // one round trip for the many GETs a cold run asks at once
        connectionName: 'kubectl-verify-images',
      });
      c.on('error', (e) => (cause ??= e)); // reported through the commands that fail
      try {
        await within(c.connect(), opts.timeoutMs, 'connect');
        // Selected here, not by the client: ioredis only logs a failed SELECT and goes on in DB 0,
        // which in Argo CD's Redis is Argo CD's own.
        if (target.db !== 0) await within(c.select(target.db), opts.timeoutMs, 'SELECT');
        return c;
      } catch (err) {
        c.disconnect();
        fail(err);
        return undefined;
      }
    }));
  return {
    tags: false, // tags are re-resolved by every run, never shared
    eager: true, // other runners may be about to ask
    async read(key) {
      if (down) return undefined;
      const c = await connect();
      if (!c || down) return undefined;
      try {
        return (await within(c.get(PREFIX + key), opts.timeoutMs, 'GET')) ?? undefined;
      } catch (err) {
        fail(err);
        return undefined;
      }
    },
    async write(entries) {
      if (down || entries.size === 0) return;
      const c = await connect();
      if (!c || down) return;
      try {
        const batch = c.multi();
        for (const [key, text] of entries) batch.set(PREFIX + key, text, 'PX', opts.ttlMs);
        await within(batch.exec(), opts.timeoutMs, 'SET');
      } catch (err) {
        fail(err);
      }
    },
    async claim(key) {
      if (down) return true;
      const c = await connect();
      if (!c || down) return true;
      try {
        // A short lock: whoever verifies first holds it; it expires by itself if that runner dies.
        return (await within(c.set(`${PREFIX}lock:${key}`, '1', 'PX', LOCK_MS, 'NX'), opts.timeoutMs, 'SET NX')) === 'OK';
      } catch (err) {
        fail(err);
        return true;
      }
    },
    async release(key) {
      if (down) return;
      const c = await client;
      if (!c) return;
      await within(c.del(`${PREFIX}lock:${key}`), opts.timeoutMs, 'DEL').catch(() => {});
    },
    async close() {
      const c = await client;
      if (!c) return;
      await within(c.quit(), 1000, 'QUIT').catch(() => c.disconnect());
    },
  };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The client's message, with nothing of the credentials in it. */
/** What went wrong in a deployer's words, with nothing of the credentials in it. */
function describe(err: unknown, target: RedisTarget): string {
  let message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code;
  if (/WRONGPASS|NOAUTH|invalid password|AUTH.*without any password/i.test(message)) {
    return `Redis refused the credentials (${target.password === undefined ? 'it needs a password: put it in the URL or REDIS_PASSWORD' : 'check the password in the URL or REDIS_PASSWORD'})`;
  }
  if (/DB index is out of range/i.test(message)) return `database ${target.db} does not exist on this Redis (see its "databases" setting)`;
  if (code === 'ECONNREFUSED') return `connection refused at ${target.host}:${target.port} (is Redis running there?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host ${target.host} not found (DNS)`;
  if (/certificate|self[- ]signed|CERT_|SSL|TLS/i.test(`${code ?? ''} ${message}`)) {
    // A name the certificate does not carry is not fixed by trusting another CA.
    const fix = /altnames|hostname/i.test(message) ? `use the host name the certificate was issued for in the URL` : `trust its CA with ${CACHE_CA_ENV}=FILE`;
    return `TLS to ${target.host}:${target.port} failed: ${message.split('\n')[0]!.slice(0, 160)} (${fix})`;
  }
  if (/Connection is closed|max retries per request/i.test(message)) return 'the connection to Redis was lost';
  if (target.password) message = message.split(target.password).join('***');
  return message.split('\n')[0]!.slice(0, 200);
}
