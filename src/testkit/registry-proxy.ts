// Test tooling: an HTTP proxy in front of a real registry that misbehaves on purpose (answers
// 503 to every Nth request, or always; or accepts connections and never answers) and counts
// every connection made to it. Never used by the CLI.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxyOptions {
  /** Answer `status` (default 503) to every `failEvery`-th request instead of forwarding it. */
  failEvery?: number;
  status?: number;
  /** Accept connections and requests, and never answer. */
  hang?: boolean;
  /** Refuse writes (POST, PUT, PATCH, DELETE) with 403 DENIED, as a registry does to a pull-only account. */
  refuseWrites?: boolean;
  /** Answer every `/v2/…/referrers/…` request with this, as some registries do (GHCR's 303, a 429, an HTML page). */
  referrers?: { status: number; headers?: Record<string, string>; body?: string };
}

export interface RegistryProxy {
  /** `127.0.0.1:PORT`: use as the registry host in image references. */
  host: string;
  connections(): number;
  requests(): number;
  /** Requests to the referrers API. */
  referrerRequests(): number;
  stop(): Promise<void>;
}

/** `target` is `host:port` of the real registry (or anything: a hanging proxy forwards nothing). */
export async function startRegistryProxy(target: string, opts: ProxyOptions = {}): Promise<RegistryProxy> {
  let connections = 0;
  let requests = 0;
  let referrerRequests = 0;
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    requests++;
    if (opts.hang) return; // never answered; the socket is destroyed at stop()
    if (opts.refuseWrites && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method ?? '')) {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }));
      return;
    }
    if (/^\/v2\/.+\/referrers\//.test(req.url ?? '')) referrerRequests++;
    if (opts.referrers && /^\/v2\/.+\/referrers\//.test(req.url ?? '')) {
      res.writeHead(opts.referrers.status, opts.referrers.headers ?? {}).end(opts.referrers.body ?? '');
      return;
    }
    if (opts.failEvery && requests % opts.failEvery === 0) {
      res.writeHead(opts.status ?? 503, { 'content-type': 'text/plain' }).end('injected failure');
      return;
    }
    const upstream = http.request(`http://${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: target } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    connections: () => connections,
    requests: () => requests,
    referrerRequests: () => referrerRequests,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
