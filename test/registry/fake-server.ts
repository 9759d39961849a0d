// Test helper: a small HTTP server, named a fake wherever it is used. It either
// answers itself (handler returns true) or proxies to a real registry.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => boolean | Promise<boolean>;

export interface FakeServer {
  host: string; // 127.0.0.1:PORT
  port: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export async function startFake(handler: Handler, proxyTo?: string): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (await handler(req, res, body)) return;
    if (!proxyTo) {
      res.writeHead(404).end();
      return;
    }
    const target = new URL(req.url ?? '/', `http://${proxyTo}`);
    const headers = { ...req.headers, host: proxyTo };
    const upstream = request(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
