import { readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { cacheKey, defaultCacheDir, noCache, openVerdictCache } from '../../src/cache/verdict-cache.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

t.test('a pass is remembered per (digest, requirement)', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-cache-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cache = openVerdictCache(dir);
  const req = { kind: 'key', keys: ['PEM'], annotations: { a: '1' } };
  t.equal(await cache.get(D1, req), undefined);
  cache.put(D1, req, { reasons: ['ok'], signer: 'k1' });
  await cache.flush();
  const next = openVerdictCache(dir);
  t.same(await next.get(D1, req), { reasons: ['ok'], signer: 'k1' }, 'read back by a new run');
  t.same(await next.get(D1, req), { reasons: ['ok'], signer: 'k1' }, 'asked twice');
  t.equal(next.hits, 1, 'a pair is counted once per run');
  t.equal(await cache.get(D2, req), undefined, 'another digest misses');
  t.equal(await cache.get(D1, { ...req, annotations: { a: '2' } }), undefined, 'another requirement misses');
  t.same(await cache.get(D1, { annotations: { a: '1' }, keys: ['PEM'], kind: 'key' }), { reasons: ['ok'], signer: 'k1' }, 'key order does not matter');
  t.equal(cache.hits, 0, 'its own writes are not hits');
  const leftovers = readdirSync(path.join(dir, 'verdicts'), { recursive: true }).filter((f) => String(f).endsWith('.tmp'));
  t.same(leftovers, [], 'no temp files left behind');
});

t.test('an entry copied under another key is not trusted', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-cache-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cache = openVerdictCache(dir);
  cache.put(D1, { k: 1 }, { reasons: [] });
  await cache.flush();
  const key = cacheKey(D2, { k: 1 });
  const [file] = await readdir(path.join(dir, 'verdicts'));
  const { readFile } = await import('node:fs/promises');
  await writeFile(path.join(dir, 'verdicts', `${key}.json`), await readFile(path.join(dir, 'verdicts', file!)));
  t.equal(await openVerdictCache(dir).get(D2, { k: 1 }), undefined);
});

t.test('unwritable cache costs only speed; noCache remembers nothing', async (t) => {
  const cache = openVerdictCache('/dev/null/nope');
  cache.put(D1, {}, { reasons: [] });
  await cache.flush();
  t.equal(await openVerdictCache('/dev/null/nope').get(D1, {}), undefined);
  noCache.put(D1, {}, { reasons: [] });
  t.equal(await noCache.get(D1, {}), undefined);
});

t.test('default directory honours XDG_CACHE_HOME', async (t) => {
  t.equal(defaultCacheDir({ XDG_CACHE_HOME: path.join('x', 'cache') }), path.join('x', 'cache', 'kubectl-verify-images'));
  t.match(defaultCacheDir({}), /\.cache[/\\]kubectl-verify-images$/);
});
