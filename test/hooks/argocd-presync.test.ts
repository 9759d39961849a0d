// The PreSync Job contract: a real git repository and a REAL registry; the Kubernetes API and the
// Argo CD API are FAKES (src/testkit/fake-kube-api.ts, src/testkit/fake-argocd-api.ts) because
// neither can run here.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { noKubectl } from '../helpers/tools.js';
import { appFromTrackingId, presyncOptions } from '../../src/hooks/argocd-presync.js';
import { targetFromApplication } from '../../src/hooks/argocd-api.js';
import { startFakeArgoCdApi } from '../../src/testkit/fake-argocd-api.js';
import { type FakeKubeApi, startFakeKubeApi } from '../../src/testkit/fake-kube-api.js';
import { makeRepo } from './git-fixture.js';
import { cli, deployment, type Images, startImages } from './registry-fixture.js';
import { kyverno } from '../helpers/engine.js';
import { generateKeyPair } from '../../src/testkit/cosign-signer.js';

const hasKustomize = !noKubectl;
const POLICY_REPORT = { group: 'wgpolicyk8s.io', version: 'v1alpha2', kind: 'PolicyReport', plural: 'policyreports', namespaced: true };
const APPLICATION = { group: 'argoproj.io', version: 'v1alpha1', kind: 'Application', plural: 'applications', namespaced: true };

let images: Images;
let work: string;
t.before(async () => {
  images = await startImages();
  work = await mkdtemp(path.join(os.tmpdir(), 'vi-presync-'));
});
t.teardown(async () => {
  await images?.registry.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** A repository whose tag `good` deploys the signed image and whose HEAD deploys the unsigned one. */
async function gitops(t: Parameters<typeof makeRepo>[0]) {
  const repo = await makeRepo(t);
  const base = {
    '.verify-images/policy.yaml': images.policy,
    'apps/shop/kustomization.yaml': 'resources: [deploy.yaml]\n',
  };
  const good = await repo.commit({ ...base, 'apps/shop/deploy.yaml': deployment('web', images.signed.ref) }, 'signed');
  repo.tag('good');
  const bad = await repo.commit({ 'apps/shop/deploy.yaml': deployment('web', images.unsigned.ref) }, 'unsigned');
  return { repo, good, bad };
}

async function kube(t: { teardown: (fn: () => unknown) => void }): Promise<FakeKubeApi> {
  const api = await startFakeKubeApi({ resources: [POLICY_REPORT, APPLICATION] });
  t.teardown(() => api.stop());
  return api;
}

const created = (api: FakeKubeApi, kind: string) => api.objects().filter((o) => o.kind === kind);

t.test('options: flags, then the Job env; app name from the tracking annotation', async (t) => {
  t.equal(appFromTrackingId('guestbook:batch/Job:shop/verify-images'), 'guestbook');
  t.equal(appFromTrackingId('argocd_guestbook:batch/Job:shop/verify-images'), 'guestbook', 'apps in any namespace prefix the namespace');
  t.equal(appFromTrackingId(undefined), undefined);
  const o = presyncOptions({ revision: 'flag' }, { VERIFY_IMAGES_REVISION: 'env', VERIFY_IMAGES_TRACKING_ID: 'shop:batch/Job:x/y', POD_NAMESPACE: 'x' });
  t.equal(o.revision, 'flag');
  t.equal(o.app, 'shop');
  t.equal(o.reportNamespace, 'x');
  t.equal(o.appNamespace, 'argocd');
  t.equal(o.terminationLog, '/dev/termination-log');
});

t.test('the Application tells repo, path, the revision being synced and its overrides', async (t) => {
  const target = targetFromApplication({
    metadata: { name: 'a', uid: 'u1' },
    spec: { source: { repoURL: 'https://git/x', path: 'apps/a', targetRevision: 'main', kustomize: { images: ['web:2'] } }, destination: { namespace: 'prod' } },
    status: { sync: { revision: 'old' }, operationState: { operation: { sync: { revision: 'new' } } } },
  });
  t.same(target, { repo: 'https://git/x', path: 'apps/a', revision: 'new', source: { kustomize: { images: ['web:2'] } }, namespace: 'prod', uid: 'u1' });
  t.equal(targetFromApplication({ spec: { source: { repoURL: 'r', targetRevision: 'main' } } }).revision, 'main');
  t.throws(() => targetFromApplication({ metadata: { name: 'x' }, spec: {} }), { code: 'SOURCE_ERROR' });
});

t.test('revision from the env: unsigned HEAD blocks; Event, PolicyReport and termination message say why', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const { repo, bad } = await gitops(t);
  const api = await kube(t);
  const log = path.join(work, 'bad-termination-log');
  const r = await cli(work, ['hook', 'argocd-presync', '--kubeconfig', api.kubeconfig, '--termination-log', log], {
    ARGOCD_APP_NAME: 'shop',
    VERIFY_IMAGES_REPO: repo.bare,
    VERIFY_IMAGES_REVISION: bad,
    VERIFY_IMAGES_PATH: 'apps/shop',
    POD_NAMESPACE: 'shop',
    VERIFY_IMAGES_CACHE_DIR: path.join(work, 'cache'),
  });
  t.equal(r.code, 1, r.stderr);
  const line = await readFile(log, 'utf8');
  t.match(line, /^verify-images blocked the sync: 1 image: 0 pass, 1 fail/);
  t.match(line, images.unsigned.ref);
  t.match(line, bad.slice(0, 12));
  t.equal(line.trim().split('\n').length, 1, 'one line');

  const [event] = created(api, 'Event');
  t.match(event, {
    metadata: { namespace: 'argocd' },
    involvedObject: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: 'shop', namespace: 'argocd' },
    type: 'Warning',
    reason: 'ImageVerificationFailed',
  });
  t.match(event.message, images.unsigned.ref);

  const [report] = created(api, 'PolicyReport');
  t.match(report, {
    apiVersion: 'wgpolicyk8s.io/v1alpha2',
    metadata: { name: 'verify-images-shop', namespace: 'shop', annotations: { 'verify-images.dev/revision': bad } },
    scope: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: 'shop', namespace: 'argocd' },
    summary: { fail: 1, pass: 0 },
  });
  t.match(report.results[0], { policy: 'signed-apps', result: 'fail', properties: { image: images.unsigned.ref }, resources: [{ kind: 'Deployment', name: 'web' }] });
  t.match(report.results[0].message, /signature/i, 'the reason is in the report');
});

t.test('revision from the FAKE Argo CD API with a token: the tagged good revision passes; the report is replaced', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const { repo, good } = await gitops(t);
  const api = await kube(t);
  const argocd = await startFakeArgoCdApi({
    token: 'tok-123',
    applications: [
      {
        metadata: { name: 'shop', namespace: 'argocd', uid: 'uid-1' },
        spec: { source: { repoURL: repo.bare, path: 'apps/shop', targetRevision: 'main' }, destination: { namespace: 'shop' } },
        status: { operationState: { operation: { sync: { revision: 'good' } } } },
      },
    ],
  });
  t.teardown(() => argocd.stop());
  const env = { ARGOCD_APP_NAME: 'shop', ARGOCD_SERVER: argocd.url, ARGOCD_AUTH_TOKEN: 'tok-123', POD_NAMESPACE: 'shop', VERIFY_IMAGES_CACHE_DIR: path.join(work, 'cache') };
  const log = path.join(work, 'good-termination-log');
  const args = ['hook', 'argocd-presync', '--kubeconfig', api.kubeconfig, '--termination-log', log];
  const r = await cli(work, args, env);
  t.equal(r.code, 0, r.stderr);
  t.match(await readFile(log, 'utf8'), /^verify-images passed: 1 image: 1 pass/);
  t.match(await readFile(log, 'utf8'), good.slice(0, 12), 'the revision named by the Application was fetched');
  t.same(argocd.requests(), [{ path: '/api/v1/applications/shop?appNamespace=argocd', authorized: true }]);
  t.match(created(api, 'Event')[0], { type: 'Normal', reason: 'ImagesVerified', involvedObject: { uid: 'uid-1' } });
  t.match(created(api, 'PolicyReport')[0], { summary: { pass: 1, fail: 0 } });

  // A second run replaces the one report instead of failing on "already exists".
  const again = await cli(work, args, env);
  t.equal(again.code, 0);
  t.equal(created(api, 'PolicyReport').length, 1);
  t.equal(created(api, 'Event').length, 2);
  t.notMatch(again.stderr, /cannot (create|replace)/);
});

t.test('a wrong token: exit 2, nothing verified, the reason recorded and the token never printed', async (t) => {
  const api = await kube(t);
  const argocd = await startFakeArgoCdApi({ token: 'right', applications: [] });
  t.teardown(() => argocd.stop());
  const log = path.join(work, 'auth-termination-log');
  const r = await cli(work, ['hook', 'argocd-presync', '--kubeconfig', api.kubeconfig, '--termination-log', log], {
    ARGOCD_APP_NAME: 'shop',
    ARGOCD_SERVER: argocd.url,
    ARGOCD_AUTH_TOKEN: 'wrong-secret-token',
  });
  t.equal(r.code, 2);
  t.match(r.stderr, /HTTP 401/);
  t.notMatch(r.stderr + r.stdout, /wrong-secret-token/);
  t.match(await readFile(log, 'utf8'), /could not verify shop: .*HTTP 401/);
  t.match(created(api, 'Event')[0], { type: 'Warning', reason: 'ImageVerificationFailed' });
  t.equal(created(api, 'PolicyReport').length, 0);
});

t.test('nothing to go on: a usage error naming the settings', async (t) => {
  const r = await cli(work, ['hook', 'argocd-presync', '--no-record', '--termination-log', path.join(work, 'x')], { ARGOCD_APP_NAME: 'shop' });
  t.equal(r.code, 2);
  t.match(r.stderr, /VERIFY_IMAGES_REVISION/);
});

t.test("objects that name no namespace are judged in the Job's namespace (the destination): that namespace's Policy blocks", { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const repo = await makeRepo(t);
  const shopPolicy = kyverno({ name: 'shop-key', refs: [`${images.registry.host}/apps/*`], keys: [generateKeyPair('ecdsa-p256')] }).replace(
    'kind: ClusterPolicy\nmetadata:\n  name: shop-key\n',
    'kind: Policy\nmetadata:\n  name: shop-key\n  namespace: shop\n',
  );
  const rev = await repo.commit(
    {
      '.verify-images/policy.yaml': images.policy,
      '.verify-images/shop.yaml': shopPolicy,
      'apps/shop/kustomization.yaml': 'resources: [deploy.yaml]\n',
      'apps/shop/deploy.yaml': deployment('web', images.signed.ref),
    },
    'signed for the cluster policy, not for the shop Policy',
  );
  const run = (namespace: string) =>
    cli(work, ['hook', 'argocd-presync', '--no-record', '--termination-log', path.join(work, `ns-${namespace}-log`)], {
      ARGOCD_APP_NAME: 'shop',
      VERIFY_IMAGES_REPO: repo.bare,
      VERIFY_IMAGES_REVISION: rev,
      VERIFY_IMAGES_PATH: 'apps/shop',
      POD_NAMESPACE: namespace,
      VERIFY_IMAGES_CACHE_DIR: path.join(work, 'cache'),
    });
  const inShop = await run('shop');
  t.equal(inShop.code, 1, 'synced into shop, where the Policy admits no image of this key');
  t.match(await readFile(path.join(work, 'ns-shop-log'), 'utf8'), /blocked the sync/);
  const elsewhere = await run('web');
  t.equal(elsewhere.code, 0, elsewhere.stderr);
});

t.test('an AppProject in the repository asks for signed commits: the unsigned revision blocks the sync, keys from VERIFY_IMAGES_GPG_KEYS', { skip: (!hasKustomize && 'no kubectl') || (!existsSync('/usr/bin/gpg') && process.env.CI !== 'true' && 'no gpg (Debian package gnupg)') }, async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdir, writeFile } = await import('node:fs/promises');
  const home = path.join(work, 'gnupg-presync');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const gpg = (args: string[]) => execFileSync('gpg', ['--batch', '--no-tty', '--homedir', home, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  gpg(['--passphrase', '', '--quick-gen-key', 'Release <release@example.com>', 'ed25519', 'sign', 'never']);
  const id = /^pub:[^:]*:[^:]*:[^:]*:([0-9A-F]{16}):/m.exec(gpg(['--list-keys', '--with-colons']))![1]!;
  const keys = path.join(work, 'presync-keys');
  await mkdir(keys, { recursive: true });
  await writeFile(path.join(keys, 'release.asc'), gpg(['--armor', '--export']));
  const repo = await makeRepo(t);
  const project = `apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: shop, namespace: argocd}\nspec:\n  sourceIntegrity:\n    git:\n      policies:\n        - repos: [{url: "*"}]\n          gpg: {mode: head, keys: ["${id}"]}\n`;
  const good = await repo.commit({ '.verify-images/policy.yaml': images.policy, '.verify-images/project.yaml': project, 'apps/shop/kustomization.yaml': 'resources: [deploy.yaml]\n', 'apps/shop/deploy.yaml': deployment('web', images.signed.ref) }, 'unsigned commit of a signed image');
  const api = await kube(t);
  const log = path.join(work, 'commit-termination-log');
  const r = await cli(work, ['hook', 'argocd-presync', '--kubeconfig', api.kubeconfig, '--termination-log', log], {
    ARGOCD_APP_NAME: 'shop',
    VERIFY_IMAGES_REPO: repo.bare,
    VERIFY_IMAGES_REVISION: good,
    VERIFY_IMAGES_PATH: 'apps/shop',
    VERIFY_IMAGES_GPG_KEYS: keys,
    POD_NAMESPACE: 'shop',
    VERIFY_IMAGES_CACHE_DIR: path.join(work, 'cache'),
  });
  t.equal(r.code, 1, r.stderr);
  const line = await readFile(log, 'utf8');
  t.match(line, /^verify-images blocked the sync: 1 image, 1 commit: 1 pass, 1 fail/);
  t.match(r.stdout, new RegExp(`commit ${good.slice(0, 12)} by .*: not signed`));
});
