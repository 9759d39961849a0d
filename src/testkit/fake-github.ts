// A FAKE GitHub REST API (pull requests only) for tests: the real api.github.com cannot be
// reached from tests. It records every call so tests can assert what was written.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  body?: Record<string, unknown>;
}

export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
}

export interface FakeGitHub {
  /** Base URL to pass as --github-api-url. */
  url: string;
  calls: RecordedCall[];
  pulls: FakePull[];
  /** Calls that change something (POST/PATCH/PUT/DELETE). */
  writes(): RecordedCall[];
  stop(): Promise<void>;
}

/** Starts the fake on 127.0.0.1; requests without `Authorization: token|Bearer <token>` get 401. */
export async function startFakeGitHub(opts: { token: string; owner: string; repo: string }): Promise<FakeGitHub> {
  const calls: RecordedCall[] = [];
  const pulls: FakePull[] = [];
  let url = '';
  const prefix = `/repos/${opts.owner}/${opts.repo}/pulls`;
  const view = (p: FakePull) => ({
    number: p.number,
    html_url: `${url}/${opts.owner}/${opts.repo}/pull/${p.number}`,
    title: p.title,
    body: p.body,
    state: p.state,
    head: { ref: p.head, label: `${opts.owner}:${p.head}` },
    base: { ref: p.base },
  });
  const send = (res: ServerResponse, status: number, data: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(data));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    calls.push({ method: req.method ?? 'GET', path: u.pathname + u.search, ...(body && { body }) });
    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${opts.token}` && auth !== `Bearer ${opts.token}`) return send(res, 401, { message: 'Bad credentials' });

    if (u.pathname === prefix && req.method === 'GET') {
      const head = u.searchParams.get('head');
      const state = u.searchParams.get('state') ?? 'open';
      return send(res, 200, pulls.filter((p) => (state === 'all' || p.state === state) && (!head || `${opts.owner}:${p.head}` === head)).map(view));
    }
    if (u.pathname === prefix && req.method === 'POST') {
      const b = body ?? {};
      if (pulls.some((p) => p.state === 'open' && p.head === b.head)) return send(res, 422, { message: `A pull request already exists for ${String(b.head)}` });
      const pr: FakePull = { number: pulls.length + 1, title: String(b.title), body: String(b.body ?? ''), head: String(b.head), base: String(b.base), state: 'open' };
      pulls.push(pr);
      return send(res, 201, view(pr));
    }
    const m = new RegExp(`^${prefix}/(\\d+)$`).exec(u.pathname);
    const pr = m ? pulls.find((p) => p.number === Number(m[1])) : undefined;
    if (pr && req.method === 'PATCH') {
      if (typeof body?.title === 'string') pr.title = body.title;
      if (typeof body?.body === 'string') pr.body = body.body;
      return send(res, 200, view(pr));
    }
    if (pr && req.method === 'GET') return send(res, 200, view(pr));
    send(res, 404, { message: 'Not Found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => send(res, 500, { message: e.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    pulls,
    writes: () => calls.filter((c) => c.method !== 'GET'),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
