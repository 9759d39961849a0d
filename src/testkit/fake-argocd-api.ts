// Test-only FAKE Argo CD API server: no Argo CD runs here. Serves
// GET /api/v1/applications/{name}[?appNamespace=] for the Applications it is given, with bearer
// token auth like argocd-server (401 without the token). Never used by the CLI.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeArgoCdApi {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Request paths (with query) served, in order. */
  requests(): { path: string; authorized: boolean }[];
  stop(): Promise<void>;
}

export async function startFakeArgoCdApi(opts: { token: string; applications: Record<string, any>[] }): Promise<FakeArgoCdApi> {
  const seen: { path: string; authorized: boolean }[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const authorized = req.headers.authorization === `Bearer ${opts.token}`;
    seen.push({ path: url.pathname + url.search, authorized });
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!authorized) return send(401, { error: 'invalid session: token signature is invalid', code: 16 });
    const m = /^\/api\/v1\/applications\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) return send(404, { error: 'not found', code: 5 });
    const name = decodeURIComponent(m[1]!);
    const ns = url.searchParams.get('appNamespace');
    const app = opts.applications.find((a) => a.metadata?.name === name && (!ns || (a.metadata?.namespace ?? 'argocd') === ns));
    // argocd-server answers 403 for unknown apps too, so that names do not leak.
    if (!app) return send(403, { error: 'permission denied', code: 7 });
    return send(200, app);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => [...seen],
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
