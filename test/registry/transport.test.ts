import t from 'tap';
import { createServer } from 'node:net';
import { createRegistryClient } from '../../src/registry/client.js';
import { createTransport } from '../../src/registry/transport.js';
import { OCI_MANIFEST, sha256Digest } from '../../src/testkit/oci-push.js';
import { startFake } from './fake-server.js';

const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [] }));
const DIGEST = sha256Digest(MANIFEST);

function serveManifest(res: import('node:http').ServerResponse): true {
  res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': DIGEST }).end(MANIFEST);
  return true;
}

t.test('503 with Retry-After is retried after the wait (fake server)', async (t) => {
  let calls = 0;
  const fake = await startFake((_req, res) => {
    if (++calls === 1) {
      res.writeHead(503, { 'retry-after': '1' }).end('busy');
      return true;
    }
    return serveManifest(res);
  });
  t.teardown(() => fake.close());
  const client = createRegistryClient({ retryBaseDelayMs: 1 });
  t.teardown(() => client.close());
  const started = Date.now();
  const m = await client.manifest({ registry: fake.host, repository: 'r' }, 'v1');
  t.equal(m?.digest, DIGEST);
  t.ok(Date.now() - started >= 900, 'waited for Retry-After');
  t.equal(client.stats().requests, 2);
});

t.test('429 that never ends is RATE_LIMITED after retries+1 attempts (fake server)', async (t) => {
  const fake = await startFake((_req, res) => {
    res.writeHead(429, { 'retry-after': '0' }).end();
    return true;
  });
  t.teardown(() => fake.close());
  const client = createRegistryClient({ retries: 2, retryBaseDelayMs: 1 });
  t.teardown(() => client.close());
  await t.rejects(client.resolve({ registry: fake.host, repository: 'r' }, 'v1'), { code: 'RATE_LIMITED', status: 429 });
  t.equal(fake.requests.length, 3);
  t.equal(client.stats().requests, 3);
});

t.test('500s after retries are PROTOCOL errors carrying the status (fake server)', async (t) => {
  const fake = await startFake((_req, res) => {
    res.writeHead(500).end();
    return true;
  });
  t.teardown(() => fake.close());
  const client = createRegistryClient({ retries: 1, retryBaseDelayMs: 1 });
  t.teardown(() => client.close());
  await t.rejects(client.manifest({ registry: fake.host, repository: 'r' }, 'v1'), { code: 'PROTOCOL', status: 500 });
  t.equal(fake.requests.length, 2);
});

t.test('connection resets are retried (fake server)', async (t) => {
  let calls = 0;
  const fake = await startFake((req, res) => {
    if (++calls === 1) {
      req.socket.destroy();
      return true;
    }
    return serveManifest(res);
  });
  t.teardown(() => fake.close());
  const client = createRegistryClient({ retryBaseDelayMs: 1 });
  t.teardown(() => client.close());
  t.equal((await client.manifest({ registry: fake.host, repository: 'r' }, DIGEST))?.digest, DIGEST);
  t.equal(client.stats().requests, 2);
});

t.test('registry down is NETWORK', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const client = createRegistryClient({ retryBaseDelayMs: 1 });
  t.teardown(() => client.close());
  await t.rejects(client.resolve({ registry: `127.0.0.1:${port}`, repository: 'r' }, 'v1'), { code: 'NETWORK' });
  t.equal(client.stats().requests, 1, 'refused connections are not retried');
});

t.test('a hanging registry times out as NETWORK', async (t) => {
  const fake = await startFake(() => true); // never answers
  t.teardown(() => fake.close());
  const client = createRegistryClient({ timeoutMs: 200, retries: 0 });
  t.teardown(() => client.close());
  await t.rejects(client.resolve({ registry: fake.host, repository: 'r' }, 'v1'), { code: 'NETWORK' });
});

t.test('blob redirects to another host never carry Authorization (fake registry + fake storage)', async (t) => {
  const blob = Buffer.from('layer bytes');
  const digest = sha256Digest(blob);
  const storage = await startFake((_req, res) => {
    res.writeHead(200).end(blob);
    return true;
  });
  t.teardown(() => storage.close());
  const AUTH = `Basic ${Buffer.from('u:p').toString('base64')}`;
  const registry = await startFake((req, res) => {
    if (req.headers.authorization !== AUTH) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="fake"' }).end();
    } else if (req.url?.includes('/blobs/')) {
      // localhost vs 127.0.0.1: another origin, as S3 or a CDN would be
      res.writeHead(307, { location: `http://localhost:${storage.port}/data?sig=x` }).end();
    } else res.writeHead(404).end();
    return true;
  });
  t.teardown(() => registry.close());
  const client = createRegistryClient({ credentials: { get: async () => ({ username: 'u', password: 'p' }) } });
  t.teardown(() => client.close());
  t.same(Buffer.from(await client.blob({ registry: registry.host, repository: 'r' }, digest)), blob);
  t.equal(storage.requests.length, 1);
  t.equal(storage.requests[0]!.headers.authorization, undefined, 'storage saw no credentials');
  t.equal(client.stats().requests, 3, '401, authorised GET, redirected GET');
  t.same(client.stats().byHost, { [registry.host]: 2, [`localhost:${storage.port}`]: 1 });
});

t.test('bounded concurrency per registry', async (t) => {
  let inFlight = 0;
  let peak = 0;
  const fake = await startFake(async (_req, res) => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((r) => setTimeout(r, 30));
    inFlight--;
    return serveManifest(res);
  });
  t.teardown(() => fake.close());
  const transport = createTransport({ perRegistryConcurrency: 3, concurrency: 10 });
  t.teardown(() => transport.close());
  await Promise.all(Array.from({ length: 12 }, () => transport.send({ method: 'GET', url: `http://${fake.host}/v2/` })));
  t.equal(peak, 3);
  t.equal(transport.stats().requests, 12);
});

t.test('an insecure registry that only speaks HTTP is reached after the TLS attempt fails (fake server)', async (t) => {
  const fake = await startFake((_req, res) => serveManifest(res));
  t.teardown(() => fake.close());
  // 0.0.0.0 reaches the local fake on Linux but is not a loopback name, so HTTPS is the default.
  const host = `0.0.0.0:${fake.port}`;
  const strict = createRegistryClient({ retries: 0 });
  t.teardown(() => strict.close());
  await t.rejects(strict.manifest({ registry: host, repository: 'r' }, 'v1'), { code: 'NETWORK' }, 'HTTPS by default');
  const insecure = createRegistryClient({ insecureRegistries: [host], retries: 0 });
  t.teardown(() => insecure.close());
  t.equal((await insecure.manifest({ registry: host, repository: 'r' }, 'v1'))?.digest, DIGEST);
  t.equal((await insecure.manifest({ registry: host, repository: 'r' }, 'v1'))?.digest, DIGEST);
  t.equal(insecure.stats().requests, 3, 'TLS tried once, then plain HTTP remembered');
});
