import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadConfig, policyPaths, repoRoot } from '../../src/config/load.js';

async function repo(t: { teardown: (fn: () => unknown) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, '.git'));
  await mkdir(path.join(dir, 'apps', 'web'), { recursive: true });
  return dir;
}

t.test('repository root is the nearest .git', async (t) => {
  const dir = await repo(t);
  t.equal(repoRoot(path.join(dir, 'apps', 'web')), dir);
});

t.test('config is found from a subdirectory and paths resolve next to it', async (t) => {
  const dir = await repo(t);
  await writeFile(path.join(dir, '.verify-imagesrc.yaml'), 'policies: [policies/]\nunmatched: fail\nconcurrency: 4\n');
  await mkdir(path.join(dir, 'policies'));
  const { config, file } = await loadConfig(path.join(dir, 'apps', 'web'));
  t.equal(file, path.join(dir, '.verify-imagesrc.yaml'));
  t.same(config.policies, [path.join(dir, 'policies')]);
  t.equal(config.unmatched, 'fail');
  t.equal(config.concurrency, 4);
  t.same(policyPaths(path.join(dir, 'apps'), undefined, config), [path.join(dir, 'policies')]);
});

t.test('the verify-images key of package.json works too', async (t) => {
  const dir = await repo(t);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', 'verify-images': { unmatched: 'allow' } }));
  const { config } = await loadConfig(dir);
  t.equal(config.unmatched, 'allow');
});

t.test('bad config values are usage errors', async (t) => {
  const dir = await repo(t);
  await writeFile(path.join(dir, '.verify-imagesrc.yaml'), 'unmatched: maybe\n');
  await t.rejects(loadConfig(dir), { code: 'CONFIG_ERROR' });
  await writeFile(path.join(dir, '.verify-imagesrc.yaml'), 'polices: [x]\n');
  await t.rejects(loadConfig(dir), { code: 'CONFIG_ERROR', message: /unknown setting "polices"/ });
  await writeFile(path.join(dir, '.verify-imagesrc.yaml'), 'a: [\n');
  await t.rejects(loadConfig(dir), { code: 'CONFIG_ERROR', message: /verify-imagesrc.yaml/ });
});

t.test('policy discovery order: --policy, config, .verify-images/, else exit 2', async (t) => {
  const dir = await repo(t);
  t.throws(() => policyPaths(dir, [], {}), { code: 'CONFIG_ERROR', message: /no policy found/ });
  await mkdir(path.join(dir, '.verify-images'));
  t.same(policyPaths(path.join(dir, 'apps'), [], {}), [path.join(dir, '.verify-images')]);
  await writeFile(path.join(dir, 'p.yaml'), '');
  t.same(policyPaths(dir, [], { policies: [path.join(dir, 'p.yaml')] }), [path.join(dir, 'p.yaml')]);
  t.same(policyPaths(dir, ['p.yaml'], { policies: ['/elsewhere'] }), [path.join(dir, 'p.yaml')]);
  t.throws(() => policyPaths(dir, ['missing.yaml'], {}), { code: 'CONFIG_ERROR' });
});

t.test("every .verify-images/ from the repository root down: an app's own adds to the root's, never replaces it", async (t) => {
  const dir = await repo(t);
  await mkdir(path.join(dir, '.verify-images'));
  await mkdir(path.join(dir, 'apps', 'web', '.verify-images'), { recursive: true });
  t.same(policyPaths(path.join(dir, 'apps', 'web'), [], {}), [path.join(dir, '.verify-images'), path.join(dir, 'apps', 'web', '.verify-images')]);
  t.same(policyPaths(path.join(dir, 'apps'), [], {}), [path.join(dir, '.verify-images')]);
  // Never above the repository root.
  const inner = path.join(dir, 'nested-repo');
  await mkdir(path.join(inner, '.git'), { recursive: true });
  t.throws(() => policyPaths(inner, [], {}), { code: 'CONFIG_ERROR' });
});

t.test('config errors name the line', async (t) => {
  const { mkdtemp, rm, writeFile, mkdir } = await import('node:fs/promises');
  const os = await import('node:os');
  const path = await import('node:path');
  const { loadConfig } = await import('../../src/config/load.js');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-config-lines-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, '.git'));
  const cases: [string, string, RegExp][] = [
    ['.verify-imagesrc.yaml', 'policies: [p/]\nunmatched: allow\nfoo: 1\n', /\.verify-imagesrc\.yaml:3: unknown setting "foo"/],
    ['.verify-imagesrc.yaml', 'policies: [p/]\nunmatched: maybe\n', /\.verify-imagesrc\.yaml:2: "unmatched" must be "allow" or "fail"/],
    ['.verify-imagesrc.yaml', 'policies: [p/]\ntimeout: soon\n', /\.verify-imagesrc\.yaml:2: "timeout" must be a duration/],
    ['.verify-imagesrc.yaml', 'policies:\n  - p/\n unmatched: [allow\n', /\.verify-imagesrc\.yaml:3: cannot read the config: /],
    ['.verify-imagesrc.json', '{"policies": ["p/"],\n "concurrency": 0}', /\.verify-imagesrc\.json:2: "concurrency" must be a positive integer/],
    ['.verify-imagesrc.json', '{"policies": ["p/"],\n "concurrency": 2,,}', /\.verify-imagesrc\.json:2: cannot read the config/],
  ];
  for (const [name, text, message] of cases) {
    for (const f of ['.verify-imagesrc.yaml', '.verify-imagesrc.json']) await rm(path.join(dir, f), { force: true });
    await writeFile(path.join(dir, name), text);
    await t.rejects(loadConfig(dir), { code: 'CONFIG_ERROR', message }, `${name}: ${text.split('\n')[1]}`);
  }
});
