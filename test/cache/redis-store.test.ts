// The shared verdict store: a real redis-server (Debian's, started here on a free loopback port)
// and a real registry. Runners are CLI runs with their own local cache directories; what one
// verified, another reads — and nothing a store holder writes can turn an unsigned image into a pass.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { parseCacheUrl, redisStore } from '../../src/cache/redis-store.js';
import { cacheKey, createVerdictCache } from '../../src/cache/verdict-cache.js';
import { ConfigError } from '../../src/config/load.js';
import { loadPolicies } from '../../src/policy/loaders.js';
import { keyLeaves } from '../../src/policy/evaluate.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { RedisUnavailableError, startRedis, type TestRedis } from '../../src/testkit/redis-server.js';
import { freePort, startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { runCli, tempRepo } from '../helpers/cli.js';
import { deployment, kyverno } from '../helpers/engine.js';
import { thrown } from '../helpers/errors.js';

const KEY = 'fleet-secret-0123456789abcdef0123';
const PREFIX = 'kubectl-verify-images:v2:';
let registry: TestRegistry;
const signer = generateKeyPair('ecdsa-p256');
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

/** A redis-server for one test, or a skip where it cannot be had (never in CI). */
async function realRedis(t: Test, opts: Parameters<typeof startRedis>[0] = {}): Promise<TestRedis | undefined> {
  try {
    const r = await startRedis(opts);
    t.teardown(() => r.stop());
    return r;
  } catch (err) {
    if (err instanceof RedisUnavailableError && !process.env.CI) {
      t.skip(err.message, () => {});
      return undefined;
    }
    throw err;
  }
}

/** A repository with one signed and one unsigned image under a key policy. */
async function fleetRepo(t: Test, name: string) {
  const signed = await pushImage(registry.host, `fleet/${name}`, 'signed', { seed: `${name}-signed` });
  await signImage({ registry: registry.host, repo: `fleet/${name}`, digest: signed, key: signer });
  const unsigned = await pushImage(registry.host, `fleet/${name}`, 'unsigned', { seed: `${name}-unsigned` });
  const policy = kyverno({ refs: [`${registry.host}/*`], keys: [signer] });
  const dir = await tempRepo(
    t,
    {
      'p/policy.yaml': policy,
      'apps/a.yaml': deployment('a', `${registry.host}/fleet/${name}:signed`) + '---\n' + deployment('b', `${registry.host}/fleet/${name}:unsigned`),
    },
    { prefix: 'vi-fleet-' },
  );
  const [loaded] = loadPolicies([{ file: 'p/policy.yaml', text: policy }]);
  return { dir, signed, unsigned, leaf: keyLeaves(loaded!.rules[0]!.requirement)[0]! };
}

/** One runner: its own local cache directory, the shared store, the fleet's key. */
function runner(dir: string, name: string, url: string, extra: NodeJS.ProcessEnv = {}) {
  const env = { XDG_CACHE_HOME: path.join(dir, `.cache-${name}`), XDG_CONFIG_HOME: path.join(dir, '.config'), VERIFY_IMAGES_CACHE_KEY: KEY, ...extra };
  return async (...args: string[]) => {
    const r = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '-v', '--cache-url', url, ...args], { env });
    const byImage = r.stdout ? Object.fromEntries((JSON.parse(r.stdout).results as { image: string; status: string }[]).map((x) => [x.image.replace(/.*:/, ''), x.status])) : {};
    const stats = /(\d+) registry requests, (\d+) cache hits(?:, (\d+) cache entr(?:y|ies) rejected)?/.exec(r.stderr);
    return { ...r, byImage, requests: Number(stats?.[1]), hits: Number(stats?.[2]), rejected: Number(stats?.[3] ?? 0) };
  };
}

t.test('a verdict one runner verified is read by another with an empty local cache', async (t) => {
  const redis = await realRedis(t);
  if (!redis) return;
  const { dir } = await fleetRepo(t, 'share');
  const a = await runner(dir, 'a', redis.url)();
  t.equal(a.code, 1, a.stderr);
  t.same(a.byImage, { signed: 'pass', unsigned: 'fail' }, 'each image judged on its own evidence');
  t.equal(a.hits, 0);

  const b = await runner(dir, 'b', redis.url)();
  t.same(b.byImage, { signed: 'pass', unsigned: 'fail' });
  t.equal(b.hits, 1, 'the pass came from the shared store');
  t.ok(b.requests < a.requests, `fewer registry requests (${b.requests} < ${a.requests}): the tag is re-resolved, the signature is not fetched`);

  // What runner b read from the store is now in its own directory too: it holds without Redis.
  await redis.stop();
  const offline = await runner(dir, 'b', redis.url)();
  t.same(offline.byImage, { signed: 'pass', unsigned: 'fail' });
  t.equal(offline.hits, 1, 'kept locally');
  t.match(offline.stderr, /shared verdict store redis:\/\/127\.0\.0\.1:\d+ not used/, 'the miss (the unsigned image) found the store gone: a warning');
});

t.test('entries under another key, swapped or edited are ignored and the image re-verified', async (t) => {
  const redis = await realRedis(t);
  if (!redis) return;
  const { dir, signed, unsigned, leaf } = await fleetRepo(t, 'forge');
  t.equal((await runner(dir, 'a', redis.url)()).byImage.signed, 'pass');
  const db = new Redis(redis.port, '127.0.0.1');
  t.teardown(() => db.quit());
  const genuine = (await db.get(PREFIX + cacheKey(signed, leaf, `${registry.host}/fleet/forge`)))!;
  t.ok(genuine, 'the pass is in Redis under its key');

  // Another fleet's key (or an attacker's): not trusted, verified again, still a pass on its own evidence.
  const other = await runner(dir, 'other', redis.url, { VERIFY_IMAGES_CACHE_KEY: 'another-fleet-key-9876543210fedcba' })();
  t.same(other.byImage, { signed: 'pass', unsigned: 'fail' });
  t.equal(other.hits, 0);
  t.equal(other.rejected, 1, 'the foreign entry was rejected');

  // The genuine pass planted under the unsigned digest's key, naming it (the other fleet's run
  // overwrote the signed entry with its own seal: put the genuine one back first).
  await db.set(PREFIX + cacheKey(signed, leaf, `${registry.host}/fleet/forge`), genuine);
  await db.set(PREFIX + cacheKey(unsigned, leaf, `${registry.host}/fleet/forge`), genuine.replaceAll(signed, unsigned));
  const swapped = await runner(dir, 'c', redis.url)();
  t.equal(swapped.byImage.unsigned, 'fail', 'a swapped entry is no pass');
  t.equal(swapped.rejected, 1);

  // An edited entry (the verdict's reasons changed) no longer opens either.
  await db.set(PREFIX + cacheKey(signed, leaf, `${registry.host}/fleet/forge`), genuine.replace('"reasons":["', '"reasons":["edited '));
  const edited = await runner(dir, 'd', redis.url)();
  t.same(edited.byImage, { signed: 'pass', unsigned: 'fail' });
  t.equal(edited.hits, 0, 'the edited pass was not used');
  t.ok(edited.rejected >= 1);
  t.notMatch(edited.stdout, /edited/, 'nothing of the edited entry reached the report');
});

t.test('a shared store needs VERIFY_IMAGES_CACHE_KEY; a bad URL is a usage error', async (t) => {
  const dir = await tempRepo(t, { 'p/policy.yaml': kyverno({ refs: ['x/*'], keys: [signer] }), 'apps/a.yaml': deployment('a', 'x/y:1') }, { prefix: 'vi-fleet-' });
  const env = { XDG_CACHE_HOME: path.join(dir, '.cache'), XDG_CONFIG_HOME: path.join(dir, '.config') };
  const r = await runCli(dir, ['apps', '-p', 'p', '--cache-url', 'redis://127.0.0.1:1/2'], { env });
  t.equal(r.code, 2);
  t.match(r.stderr, /--cache-url redis:\/\/127\.0\.0\.1:1\/2: a shared verdict store needs VERIFY_IMAGES_CACHE_KEY/);
  const viaEnv = await runCli(dir, ['apps', '-p', 'p'], { env: { ...env, VERIFY_IMAGES_CACHE_URL: 'redis://127.0.0.1:1' } });
  t.equal(viaEnv.code, 2, 'the environment variable is the same setting');
  const http = await runCli(dir, ['apps', '-p', 'p', '--cache-url', 'http://127.0.0.1:1'], { env: { ...env, VERIFY_IMAGES_CACHE_KEY: KEY } });
  t.equal(http.code, 2);
  t.match(http.stderr, /only redis:\/\/ and rediss:\/\/ stores are supported/);
});

t.test('Redis unreachable, or gone mid-run: one warning, local cache, verdicts unchanged, password never shown', async (t) => {
  const { dir } = await fleetRepo(t, 'down');
  const port = await freePort(); // nothing listens here
  const r = await runner(dir, 'a', `redis://:s3cret-redis-pass@127.0.0.1:${port}/3`)();
  t.equal(r.code, 1);
  t.same(r.byImage, { signed: 'pass', unsigned: 'fail' }, 'verified from the registry as without a store');
  t.equal(r.stderr.match(/shared verdict store redis:\/\/127\.0\.0\.1:\d+\/3 not used/g)?.length, 1, 'warned once');
  t.match(r.stderr, /not used for the rest of this run: connection refused at 127\.0\.0\.1:\d+ \(is Redis running there\?\); going on with the local cache/);
  t.notMatch(r.stderr + r.stdout, /s3cret/, 'the password is never printed');

  const redis = await realRedis(t, { password: 'the-real-pass-42' });
  if (!redis) return;
  // A wrong password from REDIS_PASSWORD: refused by the server, reported without it.
  const wrong = await runner(dir, 'b', `redis://127.0.0.1:${redis.port}`, { REDIS_PASSWORD: 'wrong-pass-77' })();
  t.same(wrong.byImage, { signed: 'pass', unsigned: 'fail' });
  t.match(wrong.stderr, /not used for the rest of this run: Redis refused the credentials \(check the password in the URL or REDIS_PASSWORD\)/);
  t.notMatch(wrong.stderr, /wrong-pass-77|the-real-pass-42/);
  const right = await runner(dir, 'c', `redis://127.0.0.1:${redis.port}`, { REDIS_PASSWORD: 'the-real-pass-42' })();
  t.notMatch(right.stderr, /shared verdict store/, 'REDIS_PASSWORD authenticates');

  // Gone mid-run: the store answers, then the server stops; reads and writes degrade to misses.
  const warnings: string[] = [];
  const store = redisStore(parseCacheUrl(`redis://:the-real-pass-42@127.0.0.1:${redis.port}`, {}), { ttlMs: 60_000, timeoutMs: 1000, onWarning: (m) => warnings.push(m) });
  await store.write(new Map([['k1', 'v1']]));
  t.equal(await store.read('k1'), 'v1');
  await redis.stop();
  t.equal(await store.read('k1'), undefined, 'a miss, not an error');
  await store.write(new Map([['k2', 'v2']]));
  t.equal(await store.read('k2'), undefined);
  t.equal(warnings.length, 1, 'warned once');
  t.notMatch(warnings.join(), /the-real-pass-42/);
  await store.close?.();
});

t.test('entries expire: the seal at the TTL (or the evidence validity, if shorter), Redis at the TTL', async (t) => {
  const redis = await realRedis(t);
  if (!redis) return;
  let clock = Date.parse('2026-11-27T12:00:00Z');
  const secret = Buffer.from(KEY);
  const open = () => {
    const store = redisStore(parseCacheUrl(redis.url, {}), { ttlMs: 3_600_000, timeoutMs: 1000, onWarning: (m) => t.fail(m) });
    return { store, cache: createVerdictCache([store], secret, { ttlMs: 3_600_000, now: () => clock }) };
  };
  const w = open();
  w.cache.put('sha256:' + 'a'.repeat(64), { r: 1 }, 'r.example/app', { reasons: ['ok'] });
  w.cache.put('sha256:' + 'b'.repeat(64), { r: 1 }, 'r.example/app', { reasons: ['ok'], until: clock + 60_000 });
  w.cache.putTag('reg/app:1', 'sha256:' + 'a'.repeat(64));
  await w.cache.flush();
  await w.store.close?.();
  const db = new Redis(redis.port, '127.0.0.1');
  t.teardown(() => db.quit());
  const keys = await db.keys(`${PREFIX}*`);
  t.equal(keys.length, 2, 'verdicts only: tags are not shared (they are re-resolved)');
  const ttl = await db.pttl(keys[0]!);
  t.ok(ttl > 3_500_000 && ttl <= 3_600_000, `Redis expires it with the TTL (${ttl} ms left)`);

  clock += 120_000;
  const r = open();
  t.ok(await r.cache.get('sha256:' + 'a'.repeat(64), { r: 1 }, 'r.example/app'), 'within the TTL');
  t.equal(await r.cache.get('sha256:' + 'b'.repeat(64), { r: 1 }, 'r.example/app'), undefined, 'past the evidence validity');
  await r.store.close?.();
  clock += 3_600_000;
  const later = open();
  t.equal(await later.cache.get('sha256:' + 'a'.repeat(64), { r: 1 }, 'r.example/app'), undefined, 'past the TTL, whatever Redis still holds');
  await later.store.close?.();
});

t.test('cache URLs', async (t) => {
  t.same(parseCacheUrl('redis://argocd-redis:6379/3', {}), { host: 'argocd-redis', port: 6379, db: 3, tls: false, display: 'redis://argocd-redis:6379/3' });
  const withPass = parseCacheUrl('rediss://user:p%40ss@redis.example:6380', {});
  t.same([withPass.tls, withPass.username, withPass.password, withPass.display], [true, 'user', 'p@ss', 'rediss://redis.example:6380']);
  t.equal(parseCacheUrl('redis://r', { REDIS_PASSWORD: 'from-env' }).password, 'from-env');
  t.equal(parseCacheUrl('redis://:url@r', { REDIS_PASSWORD: 'from-env' }).password, 'url', 'the URL wins');
  for (const bad of ['redis://r/x', 'redis://r/1?tls=1', 'memcached://r', 'not a url']) {
    const err = thrown(() => parseCacheUrl(bad, {}));
    t.type(err, ConfigError, bad);
    t.notMatch((err as Error).message, /p@ss|url@/);
  }
});

t.test('a runner waits for another verifying the same digest, and takes over when that one gives up', async (t) => {
  const redis = await realRedis(t);
  if (!redis) return;
  const secret = Buffer.from(KEY);
  const runner = () => {
    const store = redisStore(parseCacheUrl(redis.url, {}), { ttlMs: 60_000, timeoutMs: 1000, onWarning: (m) => t.fail(m) });
    t.teardown(() => store.close?.());
    return createVerdictCache([store], secret, { ttlMs: 60_000, waitMs: 5000, pollMs: 20 });
  };
  const digest = 'sha256:' + 'c'.repeat(64);
  const a = runner();
  const b = runner();
  t.equal(await a.get(digest, { r: 1 }, 'r.example/app'), undefined, 'a: nobody has it, a verifies (and holds the lock)');
  const waiting = b.get(digest, { r: 1 }, 'r.example/app');
  let settled = false;
  void waiting.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 150));
  t.notOk(settled, 'b waits instead of verifying too');
  a.put(digest, { r: 1 }, 'r.example/app', { reasons: ['verified by a'] });
  t.same(await waiting, { reasons: ['verified by a'] }, "b reads a's pass");
  t.equal(b.hits, 1);

  // a fails the next digest (no pass is written) and settles it: the waiting runner takes over at once.
  const other = 'sha256:' + 'd'.repeat(64);
  const c = runner();
  const d = runner();
  t.equal(await c.get(other, { r: 1 }, 'r.example/app'), undefined);
  const started = Date.now();
  const taking = d.get(other, { r: 1 }, 'r.example/app');
  await new Promise((r) => setTimeout(r, 100));
  c.settle?.(other);
  t.equal(await taking, undefined, 'd verifies it itself');
  t.ok(Date.now() - started < 2000, 'without waiting out the 5 s');
  await Promise.all([a.flush(), b.flush(), c.flush(), d.flush()]);
});

t.test('the DB number in the URL is the one written, and one the server lacks is said so (never DB 0 instead)', async (t) => {
  const redis = await realRedis(t);
  if (!redis) return;
  const warnings: string[] = [];
  const open = (db: number) => redisStore(parseCacheUrl(`${redis.url}/${db}`, {}), { ttlMs: 60_000, timeoutMs: 1000, onWarning: (m) => warnings.push(m) });
  const three = open(3);
  await three.write(new Map([['k', 'v']]));
  await three.close?.();
  const db = new Redis(redis.port, '127.0.0.1');
  t.teardown(() => db.quit());
  t.equal(await db.get(`${PREFIX}k`), null, 'nothing in DB 0 (Argo CD\'s own, in its Redis)');
  await db.select(3);
  t.equal(await db.get(`${PREFIX}k`), 'v', 'written in DB 3');
  const missing = open(99);
  await missing.write(new Map([['k2', 'v2']]));
  t.equal(await missing.read('k2'), undefined);
  await missing.close?.();
  t.same(warnings.map((w) => w.replace(/:\d+\//, ':PORT/')), [
    'shared verdict store redis://127.0.0.1:PORT/99 not used for the rest of this run: database 99 does not exist on this Redis (see its "databases" setting); going on with the local cache',
  ]);
  await db.select(0);
  t.equal(await db.get(`${PREFIX}k2`), null, 'DB 99 refused: not written to DB 0 either');
});

t.test('rediss://: TLS to a real redis-server, its CA from VERIFY_IMAGES_CACHE_CA; an untrusted certificate is never used', async (t) => {
  const pki = await mkdtemp(path.join(os.tmpdir(), 'vi-rediss-'));
  t.teardown(() => rm(pki, { recursive: true, force: true }));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test redis CA');
  ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'redis.key', '-out', 'redis.csr', '-subj', '/CN=127.0.0.1');
  await writeFile(path.join(pki, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  ssl('x509', '-req', '-in', 'redis.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'redis.crt', '-days', '2', '-extfile', 'ext.cnf');
  const redis = await realRedis(t, { tls: { certFile: path.join(pki, 'redis.crt'), keyFile: path.join(pki, 'redis.key'), caFile: path.join(pki, 'ca.crt') } });
  if (!redis) return;
  t.match(redis.url, /^rediss:\/\//);
  const { dir } = await fleetRepo(t, 'tls');
  const ca = { VERIFY_IMAGES_CACHE_CA: path.join(pki, 'ca.crt') };

  const first = await runner(dir, 'a', redis.url, ca)();
  t.same(first.byImage, { signed: 'pass', unsigned: 'fail' });
  t.notMatch(first.stderr, /shared verdict store|warning/, 'the store is used, without a word');
  const second = await runner(dir, 'b', redis.url, ca)();
  t.same(second.byImage, { signed: 'pass', unsigned: 'fail' });
  t.equal(second.hits, 1, 'the pass another runner wrote over TLS is read back');

  // The same server without its CA: refused at the handshake, said once, the run goes on locally.
  const untrusted = await runner(dir, 'c', redis.url)();
  t.same(untrusted.byImage, { signed: 'pass', unsigned: 'fail' }, 'verified from the registry');
  t.equal(untrusted.hits, 0, 'nothing read from a store whose certificate is not trusted');
  t.match(untrusted.stderr, /shared verdict store rediss:\/\/127\.0\.0\.1:\d+ not used for the rest of this run: TLS to 127\.0\.0\.1:\d+ failed: .*certificate.*\(trust its CA with VERIFY_IMAGES_CACHE_CA=FILE\)/);
  t.notMatch(untrusted.stderr, /ServerName|DeprecationWarning/);

  // Plain redis:// to the TLS port is no way around it either.
  const plain = await runner(dir, 'd', redis.url.replace('rediss:', 'redis:'), ca)();
  t.same(plain.byImage, { signed: 'pass', unsigned: 'fail' });
  t.equal(plain.hits, 0);

  const missing = await runner(dir, 'e', redis.url, { VERIFY_IMAGES_CACHE_CA: path.join(pki, 'nope.crt') })();
  t.equal(missing.code, 2, 'a CA file that cannot be read is a configuration error');
  t.match(missing.stderr, /VERIFY_IMAGES_CACHE_CA=.*nope\.crt: cannot read it \(no such file\)/);
});
