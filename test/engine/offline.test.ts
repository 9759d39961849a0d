// --offline: no network at all. Verdicts come from the cache (a tag from the digest the cache last
// recorded for it, with its age); anything else is `error` "offline: …", exit 3, and not one
// connection is made (a proxy in front of the real registry counts them).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { startRegistryProxy } from '../../src/testkit/registry-proxy.js';
import { runCli, tempRepo } from '../helpers/cli.js';
import { deployment, kyverno } from '../helpers/engine.js';

let registry: TestRegistry;
const key = generateKeyPair('ecdsa-p256');
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

t.test('--offline: cached verdicts decide, the rest is `error` "offline: …", and no connection is made', async (t) => {
  const web = await pushImage(registry.host, 'off/web', '1.0', { seed: 'off-web' });
  await signImage({ registry: registry.host, repo: 'off/web', digest: web, key });
  const proxy = await startRegistryProxy(registry.host);
  t.teardown(() => proxy.stop());
  const cache = await mkdtemp(path.join(os.tmpdir(), 'vi-offline-cache-'));
  t.teardown(() => rm(cache, { recursive: true, force: true }));
  const dir = await tempRepo(
    t,
    {
      'p/policy.yaml': kyverno({ refs: [`${proxy.host}/*`], keys: [key] }),
      'apps/web.yaml': deployment('web', `${proxy.host}/off/web:1.0`),
    },
    { prefix: 'vi-offline-' },
  );
  const env = { XDG_CONFIG_HOME: path.join(dir, '.config') };

  // Online once: the verdict and the tag's digest are recorded.
  const online = await runCli(dir, ['apps', '-p', 'p', '--cache-dir', cache, '-o', 'json'], { env });
  t.equal(online.code, 0, online.stderr);
  const before = proxy.connections();
  t.ok(before > 0);

  // Offline: the same verdict, from the cache, with the tag's age said.
  const offline = await runCli(dir, ['apps', '-p', 'p', '--cache-dir', cache, '--offline', '-o', 'json'], { env });
  t.equal(offline.code, 0, offline.stderr);
  const v = JSON.parse(offline.stdout).results[0];
  t.equal(v.status, 'pass');
  t.equal(v.digest, web);
  t.match(v.reasons.join('\n'), /offline: .*off\/web:1\.0 taken as sha256:[0-9a-f]{64}, the digest the cache recorded for it \d+ s ago/);

  // An image the cache knows nothing of: error, exit 3, even under failurePolicy Ignore.
  await (await import('node:fs/promises')).writeFile(
    path.join(dir, 'apps', 'new.yaml'),
    deployment('new', `${proxy.host}/off/new:1.0`),
  );
  const ignore = kyverno({ refs: [`${proxy.host}/*`], keys: [key] }).replace('spec:\n  rules:', 'spec:\n  failurePolicy: Ignore\n  rules:');
  await (await import('node:fs/promises')).writeFile(path.join(dir, 'p', 'policy.yaml'), ignore);
  const missing = await runCli(dir, ['apps', '-p', 'p', '--cache-dir', cache, '--offline', '-o', 'json'], { env });
  t.equal(missing.code, 3);
  const statuses = Object.fromEntries(JSON.parse(missing.stdout).results.map((r: { image: string; status: string }) => [r.image.split('/').pop(), r.status]));
  t.same(statuses, { 'web:1.0': 'pass', 'new:1.0': 'error' }, 'verdict per image');
  const err = JSON.parse(missing.stdout).results.find((r: { image: string }) => r.image.includes('new'));
  t.match(err.policies[0].reasons.join('\n'), /offline: no cached digest for .*off\/new:1\.0/);
  t.equal(err.policies[0].onError, 'block', 'failurePolicy Ignore does not let an offline unknown through');

  t.equal(proxy.connections(), before, 'not one connection while offline');
});

t.test('--offline without any cache: every covered image is `error`, still no connection', async (t) => {
  const proxy = await startRegistryProxy(registry.host);
  t.teardown(() => proxy.stop());
  const dir = await tempRepo(t, { 'p/policy.yaml': kyverno({ refs: [`${proxy.host}/*`], keys: [key] }), 'apps/a.yaml': deployment('a', `${proxy.host}/x/y@sha256:${'a'.repeat(64)}`) }, { prefix: 'vi-offline-' });
  const r = await runCli(dir, ['apps', '-p', 'p', '--offline', '--no-cache']);
  t.equal(r.code, 3);
  t.match(r.stdout, /offline: no cached verdict for 127\.0\.0\.1:\d+\/x\/y@sha256:a{64}/);
  t.equal(proxy.connections(), 0);
});
