// HTTP for the registry client: keep-alive agents, bounded concurrency (global
// and per host), timeouts, retries with backoff and Retry-After, redirects that
// never carry Authorization to another host, and a count of every request sent.
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import pLimit, { type LimitFunction } from 'p-limit';
import { RegistryError } from './types.js';
import { backoffMs, isRetryableNetworkError, isRetryableStatus, parseRetryAfter } from './retry.js';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Cap for a successful body; larger bodies are refused (PROTOCOL). */
  maxBytes?: number;
  /** `same-origin`: a redirect to another origin is returned as the 3xx answer, not followed. */
  redirects?: 'follow' | 'same-origin';
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
  /** Final URL after redirects. */
  url: string;
  /** Attempts it took (retries of transient failures included). */
  attempts?: number;
}

export interface TransportOptions {
  registryCa?: string;
  /** Hosts reached over HTTPS without certificate verification. */
  insecureHosts?: readonly string[];
  concurrency?: number;
  perRegistryConcurrency?: number;
  /** One exchange (connect, headers and body); default 10 s (`--request-timeout`). */
  timeoutMs?: number;
  /** Retries of a transient failure (429/5xx, reset, timeout); default 11, within the run's deadline. */
  retries?: number;
  retryBaseDelayMs?: number;
  /** The run's deadline (`--timeout`): aborts what is in flight, and no retry starts after it. */
  signal?: AbortSignal;
  userAgent?: string;
  /** Host name → IP overrides (like curl --resolve): reach a registry by its certificate's name. */
  resolve?: Record<string, string>;
}

export interface TransportStats {
  requests: number;
  byHost: Record<string, number>;
}

export interface Transport {
  send(req: HttpRequest): Promise<HttpResponse>;
  stats(): TransportStats;
  close(): Promise<void>;
}

const MAX_REDIRECTS = 5;
/** Waits between retries stay short: attempts are many, the run's deadline bounds them all. */
const MAX_RETRY_BACKOFF_MS = 2_000;
const ERROR_BODY_BYTES = 64 * 1024;
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** A failure below HTTP (refused, reset, timeout, TLS), with its system code. */
export class NetworkFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function createTransport(opts: TransportOptions = {}): Transport {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  // Many attempts with short waits: a registry that fails now and then must change no verdict;
  // one that always fails still ends in an error well within the run's deadline.
  const retries = opts.retries ?? 11;
  const baseDelay = opts.retryBaseDelayMs ?? 250;
  const signal = opts.signal;
  const globalConcurrency = opts.concurrency ?? 16;
  // One registry is the common case (a GitOps repo pulling from its own registry): let it use
  // the whole pool unless told otherwise.
  const perHostConcurrency = opts.perRegistryConcurrency ?? globalConcurrency;
  const global = pLimit(globalConcurrency);
  const perHost = new Map<string, LimitFunction>();
  const insecure = new Set((opts.insecureHosts ?? []).map((h) => h.toLowerCase()));
  const counts: TransportStats = { requests: 0, byHost: {} };

  const ca = opts.registryCa ? [...rootCertificates, opts.registryCa] : undefined;
  const overrides = opts.resolve ?? {};
  const lookup: LookupFunction | undefined =
    Object.keys(overrides).length === 0
      ? undefined
      : (hostname, options, callback) => {
          const ip = overrides[hostname];
          if (!ip) return dnsLookup(hostname, options, callback);
          const family = ip.includes(':') ? 6 : 4;
          if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: ip, family }]);
          else callback(null, ip, family);
        };
  const tls = { ...(ca && { ca }), ...(lookup && { lookup }) };
  // node's own client: keep-alive for every method (undici closes the socket after each HEAD,
  // a TCP and TLS handshake per tag), and nothing extra to load at start-up.
  const agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: perHostConcurrency, ...(lookup && { lookup }) }),
    https: new https.Agent({ keepAlive: true, maxSockets: perHostConcurrency, ...tls }),
    insecure: new https.Agent({ keepAlive: true, maxSockets: perHostConcurrency, ...tls, rejectUnauthorized: false }),
  };

  function limiterFor(host: string): LimitFunction {
    let limit = perHost.get(host);
    if (!limit) perHost.set(host, (limit = pLimit(perHostConcurrency)));
    return limit;
  }

  function once(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const host = url.host.toLowerCase();
    counts.requests++;
    counts.byHost[host] = (counts.byHost[host] ?? 0) + 1;
    const secure = url.protocol === 'https:';
    const agent = secure ? (insecure.has(host) ? agents.insecure : agents.https) : agents.http;
    const headers: Record<string, string> = { 'user-agent': opts.userAgent ?? 'kubectl-verify-images', ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    return new Promise<HttpResponse>((resolve, reject) => {
      const fail = (err: unknown) => reject(err instanceof RegistryError ? err : toNetworkFailure(err, req.method, url));
      const outgoing = (secure ? https : http).request(url, { method: req.method, headers, agent }, (res) => {
        const out: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
        }
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const max = ok ? (req.maxBytes ?? DEFAULT_MAX_BYTES) : ERROR_BODY_BYTES;
        const chunks: Buffer[] = [];
        let size = 0;
        let capped = false;
        res.on('data', (chunk: Buffer) => {
          if (capped) return;
          size += chunk.byteLength;
          if (size > max) {
            capped = true;
            if (ok) {
              clearTimeout(timer);
              outgoing.destroy();
              reject(new RegistryError('PROTOCOL', `response larger than ${max} bytes`));
              return;
            }
            // Error bodies are only for diagnostics: a prefix is enough.
            chunks.push(chunk.subarray(0, chunk.byteLength - (size - max)));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          if (!(capped && ok)) resolve({ status, headers: out, body: Buffer.concat(chunks), url: url.toString() });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          fail(err);
        });
      });
      // One deadline for the whole exchange: connect, headers and body; and the run's, for everything.
      const timer = setTimeout(() => outgoing.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
      const onAbort = () => outgoing.destroy(Object.assign(new Error('run deadline reached'), { code: 'EDEADLINE' }));
      signal?.addEventListener('abort', onAbort, { once: true });
      outgoing.on('close', () => signal?.removeEventListener('abort', onAbort));
      outgoing.on('error', (err) => {
        clearTimeout(timer);
        fail(err);
      });
      outgoing.end(req.body);
    });
  }

  async function withRetries(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const host = url.host.toLowerCase();
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw deadline(req.method, url);
      try {
        const res = await limiterFor(host)(() => global(() => (signal?.aborted ? Promise.reject(deadline(req.method, url)) : once(req))));
        if (!isRetryableStatus(res.status) || attempt >= retries) return { ...res, attempts: attempt + 1 };
        await sleep(parseRetryAfter(res.headers['retry-after']) ?? backoffMs(attempt, baseDelay, Math.random, MAX_RETRY_BACKOFF_MS), signal);
      } catch (err) {
        if (err instanceof NetworkFailure && err.code === 'EDEADLINE') throw err;
        if (!(err instanceof NetworkFailure) || !isRetryableNetworkError(err.code) || attempt >= retries) {
          if (err instanceof NetworkFailure && attempt > 0) err.message += ` (after ${attempt + 1} attempts)`;
          throw err;
        }
        await sleep(backoffMs(attempt, baseDelay, Math.random, MAX_RETRY_BACKOFF_MS), signal);
      }
    }
  }

  async function send(req: HttpRequest): Promise<HttpResponse> {
    let current = req;
    for (let hop = 0; ; hop++) {
      const res = await withRetries(current);
      const location = res.headers['location'];
      if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
      if (hop >= MAX_REDIRECTS) throw new RegistryError('PROTOCOL', `too many redirects from ${req.url}`);
      const from = new URL(current.url);
      const to = new URL(location, from);
      if (req.redirects === 'same-origin' && to.origin !== from.origin) return res;
      const headers = { ...current.headers };
      // Storage backends (S3, GCS, CDNs) must never see the registry credentials.
      if (to.origin !== from.origin) delete headers['authorization'];
      current = { ...current, url: to.toString(), headers, method: current.method === 'HEAD' ? 'HEAD' : 'GET', body: undefined };
    }
  }

  return {
    send,
    stats: () => ({ requests: counts.requests, byHost: { ...counts.byHost } }),
    async close() {
      for (const a of Object.values(agents)) a.destroy();
    },
  };
}

function toNetworkFailure(err: unknown, method: string, url: URL): NetworkFailure {
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  let code = e.code ?? e.cause?.code ?? 'ENETWORK';
  if (e.name === 'TimeoutError' || e.name === 'AbortError') code = 'ETIMEDOUT';
  // Only method, origin and path: query strings and headers may carry secrets.
  return new NetworkFailure(code, `${method} ${url.origin}${url.pathname}: ${describeNetworkCode(code)}`, { cause: err });
}

/** A deployer's words for the usual failures, keeping the code for searching. */
function describeNetworkCode(code: string): string {
  const words: Record<string, string> = {
    ENOTFOUND: 'host not found (DNS)',
    EAI_AGAIN: 'DNS lookup failed, try again',
    ECONNREFUSED: 'connection refused (is the registry running?)',
    ECONNRESET: 'connection reset by the registry',
    ETIMEDOUT: 'timed out (--request-timeout)',
    EDEADLINE: "stopped at the run's deadline (--timeout)",
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed (add its CA with --registry-ca, or --insecure-registry)',
    SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain ends in an untrusted root (add it with --registry-ca)',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted (add its CA with --registry-ca)',
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS certificate not trusted (add its CA with --registry-ca)',
    ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not name this host',
    CERT_HAS_EXPIRED: 'TLS certificate has expired',
  };
  return words[code] ? `${words[code]} [${code}]` : code;
}

/** Waits between attempts; cut short by the run's deadline (the next attempt then fails at once). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function deadline(method: string, url: URL): NetworkFailure {
  return new NetworkFailure('EDEADLINE', `${method} ${url.origin}${url.pathname}: not sent, the run's deadline (--timeout) was reached`);
}
