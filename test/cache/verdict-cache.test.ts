import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { directoryStore } from '../../src/cache/directory-store.js';
import { cacheSecret, keyFile } from '../../src/cache/secret.js';
import { cacheKey, createVerdictCache, defaultCacheDir, noCache, tagKey, type EntryStore } from '../../src/cache/verdict-cache.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const SECRET = Buffer.from('k'.repeat(40));
const OTHER = Buffer.from('o'.repeat(40));

async function tempDir(t: { teardown: (fn: () => unknown) => void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-cache-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
const open = (dir: string, secret = SECRET) => createVerdictCache(directoryStore(dir, { explicit: true })!, secret);

t.test('a pass is remembered per (digest, requirement)', async (t) => {
  const dir = await tempDir(t);
  const cache = open(dir);
  const req = { kind: 'key', keys: ['PEM'], annotations: { a: '1' } };
  t.equal(await cache.get(D1, req, 'r.example/app'), undefined);
  cache.put(D1, req, 'r.example/app', { reasons: ['ok'], signer: 'k1' });
  await cache.flush();
  const next = open(dir);
  t.same(await next.get(D1, req, 'r.example/app'), { reasons: ['ok'], signer: 'k1' }, 'read back by a new run');
  t.same(await next.get(D1, req, 'r.example/app'), { reasons: ['ok'], signer: 'k1' }, 'asked twice');
  t.equal(next.hits, 1, 'a pair is counted once per run');
  t.equal(await cache.get(D2, req, 'r.example/app'), undefined, 'another digest misses');
  t.equal(await cache.get(D1, { ...req, annotations: { a: '2' } }, 'r.example/app'), undefined, 'another requirement misses');
  t.same(await cache.get(D1, { annotations: { a: '1' }, keys: ['PEM'], kind: 'key' }, 'r.example/app'), { reasons: ['ok'], signer: 'k1' }, 'key order does not matter');
  t.equal(cache.hits, 0, 'its own writes are not hits');
  const leftovers = (await readdir(path.join(dir, 'v2'))).filter((f) => f.endsWith('.tmp'));
  t.same(leftovers, [], 'no temp files left behind');
});

t.test('entries cannot be forged: swapped, edited, written under another secret, or plain JSON', async (t) => {
  const dir = await tempDir(t);
  const writer = open(dir);
  writer.put(D1, { k: 1 }, 'r.example/app', { reasons: ['signed by the trusted key'] });
  writer.put(D2, { k: 2 }, 'r.example/app', { reasons: ['other'] });
  await writer.flush();
  const file = (d: string, r: unknown) => path.join(dir, 'v2', `${cacheKey(d, r, 'r.example/app')}.json`);
  const genuine = await readFile(file(D1, { k: 1 }), 'utf8');

  // Swapped: a genuine entry copied to another key's name.
  await writeFile(file(D2, { k: 1 }), genuine);
  // Edited: the same entry with another digest claimed inside.
  await writeFile(file(D2, { k: 2 }), genuine.replace('trusted key', 'trusted keyX'));
  const reader = open(dir);
  t.equal(await reader.get(D2, { k: 1 }, 'r.example/app'), undefined, 'swapped entry ignored');
  t.equal(await reader.get(D2, { k: 2 }, 'r.example/app'), undefined, 'edited entry ignored');
  t.same(await reader.get(D1, { k: 1 }, 'r.example/app'), { reasons: ['signed by the trusted key'] }, 'the genuine one still opens');
  t.equal(reader.rejected, 2, 'both counted as rejected');

  // Another secret: nothing opens.
  const stranger = open(dir, OTHER);
  t.equal(await stranger.get(D1, { k: 1 }, 'r.example/app'), undefined);
  t.equal(stranger.rejected, 1);

  // The old, unauthenticated format (plain JSON keyed by public data): never a pass.
  await writeFile(file(D1, { k: 3 }), JSON.stringify({ digest: D1, reasons: ['forged'] }));
  t.equal(await open(dir).get(D1, { k: 3 }, 'r.example/app'), undefined);
});

t.test('tags: the digest last resolved, and when; sealed like verdicts', async (t) => {
  const dir = await tempDir(t);
  const c = open(dir);
  c.putTag('reg/app:1.0', D1);
  await c.flush();
  const found = await open(dir).getTag('reg/app:1.0');
  t.equal(found?.digest, D1);
  t.ok(found && Date.now() - found.at < 60_000);
  await writeFile(path.join(dir, 'v2', `${tagKey('reg/app:2.0')}.json`), await readFile(path.join(dir, 'v2', `${tagKey('reg/app:1.0')}.json`)));
  t.equal(await open(dir).getTag('reg/app:2.0'), undefined, 'a tag entry copied to another tag is refused');
});

t.test('expired entries are not trusted', async (t) => {
  const dir = await tempDir(t);
  let now = 1_000_000;
  const c = createVerdictCache(directoryStore(dir, { explicit: true })!, SECRET, { ttlMs: 1000, now: () => now });
  c.put(D1, {}, 'r.example/app', { reasons: ['ok'] });
  await c.flush();
  const later = (ms: number) => createVerdictCache(directoryStore(dir, { explicit: true })!, SECRET, { now: () => ms });
  t.ok(await later(now + 999).get(D1, {}, 'r.example/app'));
  t.equal(await later(now + 1000).get(D1, {}, 'r.example/app'), undefined);
  now = 0;
});

t.test('a cache directory that cannot be created: exit-2 error when named, a warning otherwise', async (t) => {
  t.throws(() => directoryStore('/proc/verify-images-cache', { explicit: true }), { code: 'CONFIG_ERROR', message: /cannot be used/ });
  const warnings: string[] = [];
  t.equal(directoryStore('/dev/null/nope', { explicit: false, onWarning: (m) => warnings.push(m) }), undefined);
  t.match(warnings[0], /running without the verdict cache/);
  noCache.put(D1, {}, 'r.example/app', { reasons: [] });
  t.equal(await noCache.get(D1, {}, 'r.example/app'), undefined);
});

t.test('the secret: VERIFY_IMAGES_CACHE_KEY, else a 0600 per-user key outside the cache', async (t) => {
  const home = await tempDir(t);
  t.same(cacheSecret({ VERIFY_IMAGES_CACHE_KEY: 'from-ci-secret' }), { secret: Buffer.from('from-ci-secret'), source: 'VERIFY_IMAGES_CACHE_KEY' });
  const env = { XDG_CONFIG_HOME: path.join(home, 'config') };
  const first = cacheSecret(env);
  t.ok('secret' in first && first.secret.length >= 32);
  const file = keyFile(env);
  t.equal(file, path.join(home, 'config', 'kubectl-verify-images', 'cache.key'));
  t.equal((await stat(file)).mode & 0o777, 0o600);
  t.same(cacheSecret(env), first, 'the same key on the next run');
  const { chmod } = await import('node:fs/promises');
  await chmod(file, 0o644);
  const loose = cacheSecret(env);
  t.match('unavailable' in loose && loose.unavailable, /accessible to other users/);
});

t.test('default directory honours XDG_CACHE_HOME', async (t) => {
  t.equal(defaultCacheDir({ XDG_CACHE_HOME: path.join('x', 'cache') }), path.join('x', 'cache', 'kubectl-verify-images'));
  t.match(defaultCacheDir({}), /\.cache[/\\]kubectl-verify-images$/);
});

t.test('where a requirement is written does not change its key (a policy edit above it keeps the verdict)', async (t) => {
  const a = { kind: 'key', path: 'attestors[0]', line: 12, keys: ['PEM'], signers: { kind: 'all', path: 'x', line: 3, of: [] } };
  const b = { ...a, path: 'attestors[1]', line: 40, signers: { ...a.signers, line: 9 } };
  t.equal(cacheKey(D1, a, 'r.example/app'), cacheKey(D1, b, 'r.example/app'));
  t.not(cacheKey(D1, a, 'r.example/app'), cacheKey(D1, { ...a, keys: ['OTHER'] }, 'r.example/app'));
  t.not(cacheKey(D1, a, 'r.example/app'), cacheKey(D1, a, 'r.example/promoted'), 'evidence found in another repository: another key');
});

t.test('an eager (shared) store gets each pass within the tick, a lazy one at flush', async (t) => {
  const writes: { store: string; keys: string[] }[] = [];
  const store = (name: string, eager: boolean): EntryStore => ({
    eager,
    async read() {
      return undefined;
    },
    async write(entries) {
      writes.push({ store: name, keys: [...entries.keys()] });
    },
  });
  const cache = createVerdictCache([store('local', false), store('shared', true)], Buffer.from('k'.repeat(32)));
  cache.put('sha256:' + 'a'.repeat(64), { r: 1 }, 'r.example/app', { reasons: ['ok'] });
  cache.put('sha256:' + 'b'.repeat(64), { r: 1 }, 'r.example/app', { reasons: ['ok'] });
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  t.same(writes.map((w) => [w.store, w.keys.length]), [['shared', 2]], 'both passes in one batch, before the run ends');
  await cache.flush();
  t.same(writes.map((w) => [w.store, w.keys.length]), [['shared', 2], ['local', 2]], 'the local directory at flush; nothing written twice');
});
