// `verify --repo/--revision/--path` and `--flux-kustomization` through the CLI, with real git,
// the real kustomize and a REAL registry.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { noKubectl } from '../helpers/tools.js';
import { parseHelmSet } from '../../src/cli/gitops-source.js';
import { makeRepo } from '../hooks/git-fixture.js';
import { cli, deployment, type Images, startImages } from '../hooks/registry-fixture.js';
import { kyverno } from '../helpers/engine.js';
import { generateKeyPair } from '../../src/testkit/cosign-signer.js';

const hasKustomize = !noKubectl;
let images: Images;
let cwd: string;
t.before(async () => {
  images = await startImages();
  cwd = await mkdtemp(path.join(os.tmpdir(), 'vi-cli-repo-'));
});
t.teardown(async () => {
  await images?.registry.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

async function gitops(t: Parameters<typeof makeRepo>[0]) {
  const repo = await makeRepo(t);
  const signedName = images.signed.ref.replace(/:1\.0$/, '');
  const unsignedName = images.unsigned.ref.replace(/:1\.0$/, '');
  const v1 = await repo.commit(
    {
      '.verify-images/policy.yaml': images.policy,
      'base/kustomization.yaml': 'resources: [deploy.yaml]\n',
      'base/deploy.yaml': deployment('web', `${signedName}:0.1`),
      // The overlay's images: turns the (nonexistent) base tag into the signed one.
      'overlays/prod/kustomization.yaml': `resources: [../../base]\nimages:\n- name: ${signedName}\n  newTag: "1.0"\n`,
      'flux/shop.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: shop\nspec:\n  path: ./base\n  images:\n  - name: ${signedName}\n    newName: ${unsignedName}\n    newTag: "1.0"\n`,
    },
    'v1',
  );
  repo.tag('v1');
  // Later, HEAD moves the overlay to the unsigned image; the work tree has it checked out.
  await repo.commit({ 'overlays/prod/kustomization.yaml': `resources: [../../base]\nimages:\n- name: ${signedName}\n  newName: ${unsignedName}\n  newTag: "1.0"\n` }, 'v2');
  return repo;
}

const cache = () => ({ XDG_CACHE_HOME: path.join(cwd, 'cache') });

t.test('--helm-set parsing', async (t) => {
  t.same(parseHelmSet('image.tag=1.0'), { name: 'image.tag', value: '1.0' });
  t.same(parseHelmSet('a=b=c'), { name: 'a', value: 'b=c' });
  t.throws(() => parseHelmSet('novalue'), { code: 'USAGE_ERROR' });
});

t.test('a tag that is not checked out: the overlay images: tag is what is verified', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const repo = await gitops(t);
  const r = await cli(cwd, ['--repo', repo.bare, '--revision', 'v1', '--path', 'overlays/prod', '-o', 'json'], cache());
  t.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  t.equal(result.results[0].image, images.signed.ref, 'newTag from the overlay');
  t.equal(result.results[0].status, 'pass');
  t.equal(result.results[0].uses[0].file, 'base/deploy.yaml', 'traced to the source file, relative to the repository');
  t.equal(result.results[0].policies[0].file, '.verify-images/policy.yaml', "the repository's own policies");
  t.match(r.stderr, /at [0-9a-f]{40} \(kustomize\)/);
  const head = await cli(cwd, ['--repo', repo.bare, '--path', 'overlays/prod'], cache());
  t.equal(head.code, 1, 'HEAD (v2) deploys the unsigned image');
  t.match(head.stdout, images.unsigned.ref);
});

t.test('--path without --repo: the local work tree, from its root, whatever the current directory', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const repo = await gitops(t);
  const r = await cli(path.join(repo.work, 'base'), ['--path', 'overlays/prod', '-o', 'json'], cache());
  t.equal(r.code, 1, 'the checked-out HEAD deploys the unsigned image');
  const result = JSON.parse(r.stdout);
  t.equal(result.results[0].image, images.unsigned.ref);
  t.equal(result.results[0].uses[0].file, 'base/deploy.yaml');
});

t.test('--flux-kustomization: spec.images from the Flux Kustomization are applied', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const repo = await gitops(t);
  const r = await cli(cwd, ['--repo', repo.bare, '--revision', 'v1', '--flux-kustomization', 'flux/shop.yaml', '-o', 'json'], cache());
  t.equal(r.code, 1);
  t.equal(JSON.parse(r.stdout).results[0].image, images.unsigned.ref);
});

t.test('usage errors: PATH arguments with --repo, a missing revision', async (t) => {
  const repo = await gitops(t);
  const both = await cli(cwd, ['--repo', repo.bare, 'deploy/'], cache());
  t.equal(both.code, 2);
  t.match(both.stderr, /drop the PATH/);
  const missing = await cli(cwd, ['--repo', repo.bare, '--revision', 'v9'], cache());
  t.equal(missing.code, 2);
  t.match(missing.stderr, /cannot fetch .* at v9/);
  t.notOk(existsSync(path.join(cwd, '.git')), 'nothing was written where the user stands');
});

t.test('the plugin process removes its temporary checkout when it is done', { skip: (!hasKustomize && 'no kubectl') || (!existsSync(path.resolve(import.meta.dirname, '../../dist/sources/gitops.js')) && 'dist/ not built (npm run build)') }, async (t) => {
  const repo = await gitops(t);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vi-tmpdir-'));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  const plugin = path.resolve(import.meta.dirname, '../../plugin/kubectl-verify_images');
  const r = spawnSync(process.execPath, [plugin, '--repo', repo.bare, '--revision', 'v1', '--path', 'overlays/prod', '--no-cache'], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: tmp },
    encoding: 'utf8',
  });
  t.equal(r.status, 0, r.stderr);
  t.same(await readdir(tmp), [], 'no verify-images-git-* or render dirs left behind');
});

t.test('--app-namespace: objects naming no namespace are judged in the destination namespace (and -n still wins)', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const repo = await makeRepo(t);
  const shopPolicy = kyverno({ name: 'shop-key', refs: [`${images.registry.host}/apps/*`], keys: [generateKeyPair('ecdsa-p256')] }).replace(
    'kind: ClusterPolicy\nmetadata:\n  name: shop-key\n',
    'kind: Policy\nmetadata:\n  name: shop-key\n  namespace: shop\n',
  );
  await repo.commit({ '.verify-images/policy.yaml': images.policy, '.verify-images/shop.yaml': shopPolicy, 'app/deploy.yaml': deployment('web', images.signed.ref) }, 'v1');
  const run = (...extra: string[]) => cli(cwd, ['--repo', repo.bare, '--revision', 'HEAD', '--path', 'app', '-o', 'json', ...extra], cache());
  const inShop = await run('--app-namespace', 'shop');
  t.equal(inShop.code, 1, 'the shop Policy judges it there');
  t.match(JSON.parse(inShop.stdout).results[0], { status: 'fail' });
  t.equal((await run('--app-namespace', 'web')).code, 0);
  t.equal((await run('--app-namespace', 'shop', '-n', 'web')).code, 0, '-n wins');
});
