import t from 'tap';
import { baseUrl, checkReference, checkRepository, isLoopback, referrersTag, schemeFor } from '../../src/registry/endpoint.js';

t.test('loopback registries use plain HTTP, with any port', async (t) => {
  for (const host of ['localhost', 'localhost:5000', '127.0.0.1', '127.0.0.1:5000', '127.1.2.3:80', '[::1]', '[::1]:5000']) {
    t.ok(isLoopback(host), host);
    t.equal(schemeFor(host), 'http', host);
  }
  for (const host of ['ghcr.io', 'registry-1.docker.io', '128.0.0.1:5000', 'localhost.example.com', '[::2]:5000', '10.0.0.1:5000']) {
    t.notOk(isLoopback(host), host);
    t.equal(schemeFor(host), 'https', host);
  }
});

t.test('insecure registries are listed by host or host:port', async (t) => {
  t.equal(schemeFor('reg.local:5000', ['reg.local:5000']), 'https-insecure');
  t.equal(schemeFor('reg.local:5000', ['reg.local']), 'https-insecure');
  t.equal(schemeFor('reg.local', ['https://REG.local/']), 'https-insecure');
  t.equal(schemeFor('other.local', ['reg.local']), 'https');
  t.equal(baseUrl('reg.local', 'https-insecure'), 'https://reg.local');
  t.equal(baseUrl('localhost:1', 'http'), 'http://localhost:1');
});

t.test('repository and reference grammar keeps paths inside /v2/<name>/', async (t) => {
  checkRepository('library/nginx');
  checkRepository('a/b-c/d_e.f');
  checkReference('v1.2.3');
  checkReference(`sha256:${'a'.repeat(64)}`);
  for (const bad of ['../x', 'A/b', 'a//b', 'a/', '', 'a?b']) {
    t.throws(() => checkRepository(bad), { code: 'PROTOCOL' }, bad);
  }
  for (const bad of ['../x', 'a/b', '', 'sha256:zz', '-tag', 'x'.repeat(129)]) {
    t.throws(() => checkReference(bad), { code: 'PROTOCOL' }, bad);
  }
});

t.test('referrers tag schema', async (t) => {
  t.equal(referrersTag(`sha256:${'ab'.repeat(32)}`), `sha256-${'ab'.repeat(32)}`);
  t.equal(referrersTag(`sha512:${'c'.repeat(128)}`), `sha512-${'c'.repeat(64)}`, 'hex truncated to 64');
});
