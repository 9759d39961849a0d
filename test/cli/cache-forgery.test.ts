// The verdict cache cannot be forged: whoever can write the cache directory (a CI cache restored
// from a pull-request branch, a volume shared between pods) cannot turn an unsigned image into a
// pass. Real registry; the forger knows everything but the cache key.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { cacheKey } from '../../src/cache/verdict-cache.js';
import { loadPolicies } from '../../src/policy/loaders.js';
import { keyLeaves } from '../../src/policy/evaluate.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { runCli, tempRepo } from '../helpers/cli.js';
import { deployment, kyverno } from '../helpers/engine.js';

let registry: TestRegistry;
const key = generateKeyPair('ecdsa-p256');
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  return out;
}

t.test('a genuine pass copied to another digest (and edited to name it) is not a pass', async (t) => {
  const signed = await pushImage(registry.host, 'forge/web', '1.0', { seed: 'forge-signed' });
  await signImage({ registry: registry.host, repo: 'forge/web', digest: signed, key });
  const policy = kyverno({ refs: [`${registry.host}/*`], keys: [key] });
  const dir = await tempRepo(t, { 'p/policy.yaml': policy, 'apps/web.yaml': deployment('web', `${registry.host}/forge/web:1.0`) }, { prefix: 'vi-forge-' });
  const cacheDir = path.join(dir, '.cache', 'kubectl-verify-images');

  const first = await runCli(dir, ['apps', '-p', 'p', '-o', 'json']);
  t.equal(first.code, 0, first.stderr);
  const verdictFiles = (await files(cacheDir)).filter((f) => f.endsWith('.json'));
  const genuine = verdictFiles.find((f) => path.basename(f).startsWith(cacheKey(signed, leaf(policy), `${registry.host}/forge/web`).slice(0, 16)));
  t.ok(genuine, 'the pass was cached');

  // The tag moves to an unsigned build; the forger plants the genuine entry under its key, naming it.
  const unsigned = await pushImage(registry.host, 'forge/web', '1.0', { seed: 'forge-unsigned' });
  const forged = path.join(path.dirname(genuine!), `${cacheKey(unsigned, leaf(policy), `${registry.host}/forge/web`)}.json`);
  await writeFile(forged, (await readFile(genuine!, 'utf8')).replaceAll(signed, unsigned));

  const r = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '-v']);
  t.equal(r.code, 1, 'blocked');
  const v = JSON.parse(r.stdout).results[0];
  t.equal(v.digest, unsigned);
  t.equal(v.status, 'fail');
  t.match(v.policies[0].reasons.join('\n'), /no signatures found/);
  t.match(r.stderr, /1 cache entry rejected \(not authentic\)/);
});

t.test('a cache written under another key (another machine, an attacker) is ignored', async (t) => {
  const digest = await pushImage(registry.host, 'forge/api', '1.0', { seed: 'forge-api' });
  await signImage({ registry: registry.host, repo: 'forge/api', digest, key });
  const policy = kyverno({ refs: [`${registry.host}/*`], keys: [key] });
  const dir = await tempRepo(t, { 'p/policy.yaml': policy, 'apps/api.yaml': deployment('api', `${registry.host}/forge/api:1.0`) }, { prefix: 'vi-forge-' });
  const env = (k: string) => ({ XDG_CACHE_HOME: path.join(dir, '.cache'), VERIFY_IMAGES_CACHE_KEY: k });
  t.equal((await runCli(dir, ['apps', '-p', 'p'], { env: env('attacker-key-0123456789') })).code, 0);
  const r = await runCli(dir, ['apps', '-p', 'p', '-v'], { env: env('ci-secret-key-9876543210') });
  t.equal(r.code, 0);
  t.match(r.stderr, /0 cache hits, 1 cache entry rejected/, 'the verdict was re-verified, not trusted');
  const again = await runCli(dir, ['apps', '-p', 'p', '-v'], { env: env('ci-secret-key-9876543210') });
  t.match(again.stderr, /1 cache hits/, 'its own entries are trusted');
});

t.test('--cache-dir that cannot be created is exit 2 at once (it used to loop forever)', async (t) => {
  const dir = await tempRepo(t, { 'p/policy.yaml': kyverno({ refs: ['x/*'], keys: [key] }), 'apps/a.yaml': deployment('a', 'x/y:1') }, { prefix: 'vi-forge-' });
  const r = await runCli(dir, ['apps', '-p', 'p', '--cache-dir', '/proc/verify-images/cache']);
  t.equal(r.code, 2);
  t.match(r.stderr, /cache directory \/proc\/verify-images\/cache cannot be used: .*choose another --cache-dir, or --no-cache/);
});

function leaf(policyText: string) {
  const [policy] = loadPolicies([{ file: 'p/policy.yaml', text: policyText }]);
  return keyLeaves(policy!.rules[0]!.requirement)[0]!;
}
