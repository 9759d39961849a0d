import t from 'tap';
import { existsSync } from 'node:fs';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { registryMissingMaySkip } from '../registry/registry-fixture.js';

t.test('starts a real registry on 127.0.0.1, counts requests, stops cleanly', async (t) => {
  let reg: TestRegistry;
  try {
    reg = await startRegistry();
  } catch (err) {
    if (registryMissingMaySkip(err)) return t.skip(err.message, () => {});
    throw err;
  }
  t.teardown(() => reg.stop());
  t.match(reg.host, /^127\.0\.0\.1:\d+$/);
  t.equal(reg.url, `http://${reg.host}`);
  t.equal(reg.requestCount(), 0, 'readiness probes are not counted');
  const res = await fetch(`${reg.url}/v2/`);
  t.equal(res.status, 200);
  t.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  await res.arrayBuffer();
  const missing = await fetch(`${reg.url}/v2/x/manifests/latest`, { method: 'HEAD' });
  t.equal(missing.status, 404);
  const deadline = Date.now() + 3000;
  while (reg.requestCount() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal(reg.requestCount(), 2);
  t.match(reg.accessLog()[1], /"HEAD \/v2\/x\/manifests\/latest HTTP\/1\.1" 404/);
  t.ok(existsSync(reg.storageDir));
  await reg.stop();
  t.notOk(existsSync(reg.storageDir), 'temp dir removed');
  await t.rejects(fetch(`${reg.url}/v2/`), 'no longer listening');
});

t.test('two registries run side by side with htpasswd auth', async (t) => {
  let a: TestRegistry, b: TestRegistry;
  try {
    a = await startRegistry({ htpasswd: { u: 'p' } });
    t.teardown(() => a.stop());
    b = await startRegistry();
    t.teardown(() => b.stop());
  } catch (err) {
    if (registryMissingMaySkip(err)) return t.skip(err.message, () => {});
    throw err;
  }
  t.not(a.host, b.host);
  const denied = await fetch(`${a.url}/v2/`);
  t.equal(denied.status, 401);
  t.match(denied.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  const ok = await fetch(`${a.url}/v2/`, { headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } });
  t.equal(ok.status, 200);
  t.equal((await fetch(`${b.url}/v2/`)).status, 200);
});
