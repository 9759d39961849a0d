// `hook flux`: a Flux Kustomization rendered from a local checkout, a GitRepository artifact
// tarball (served here over HTTP like source-controller does) or a repo + revision; REAL registry.
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { noKubectl } from '../helpers/tools.js';
import { artifactOf } from '../../src/hooks/flux-artifact.js';
import { type FakeKubeApi, startFakeKubeApi } from '../../src/testkit/fake-kube-api.js';
import { makeRepo } from './git-fixture.js';
import { cli, deployment, type Images, startImages, tree } from './registry-fixture.js';

const hasKustomize = !noKubectl;
let images: Images;
t.before(async () => {
  images = await startImages();
});
t.teardown(() => images?.registry.stop());

const KS = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: shop
  namespace: flux-system
spec:
  path: ./apps/shop
  postBuild:
    substitute:
      app: web
`;

async function source(t: Parameters<typeof tree>[0]) {
  return tree(t, {
    '.verify-images/policy.yaml': images.policy,
    // The image repository comes from a Flux substitution.
    'apps/shop/deploy.yaml': deployment('web', `${images.registry.host}/apps/\${app}:1.0`),
    'clusters/prod/shop.yaml': KS,
  });
}

t.test('artifactOf reads status.artifact', async (t) => {
  t.same(artifactOf({ status: { artifact: { url: 'http://sc/a.tar.gz', revision: 'main@sha1:abc' } } }), { url: 'http://sc/a.tar.gz', revision: 'main@sha1:abc' });
  t.throws(() => artifactOf({ kind: 'GitRepository', metadata: { name: 'x', namespace: 'y' }, status: {} }), { code: 'SOURCE_ERROR', message: /not reconciled/ });
});

t.test('a local checkout: substitution applied, signed image passes', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const root = await source(t);
  const r = await cli(root, ['hook', 'flux', '--kustomization', 'clusters/prod/shop.yaml', '--no-record'], { VERIFY_IMAGES_CACHE_DIR: path.join(root, '.cache') });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, images.signed.ref);
  t.match(r.stderr, /verify-images passed: .* \(Kustomization flux-system\/shop\)/);
});

t.test('--kustomization - reads the Kustomization from stdin', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const root = await source(t);
  const r = await cli(root, ['hook', 'flux', '--kustomization', '-', '--no-record'], { VERIFY_IMAGES_CACHE_DIR: path.join(root, '.cache') }, KS.replace('app: web', 'app: rogue'));
  t.equal(r.code, 1, 'the piped Kustomization (substituting the unsigned image) was the one rendered');
  t.match(r.stdout, images.unsigned.ref);
});

t.test('a GitRepository artifact tarball over HTTP, with the PolicyReport written to a FAKE API server', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const root = await source(t);
  const kustomization = path.join(root, 'clusters/prod/shop.yaml');
  // The artifact holds a revision whose substitution points at the unsigned image.
  const artifactRoot = await tree(t, {
    '.verify-images/policy.yaml': images.policy,
    'apps/shop/deploy.yaml': deployment('web', `${images.registry.host}/apps/rogue:1.0`),
  });
  const tarball = execFileSync('tar', ['-czf', '-', '-C', artifactRoot, '.']);
  const server = createServer((req, res) => {
    if (req.url === '/gitrepository/flux-system/fleet/abc.tar.gz') res.end(tarball);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gitrepository/flux-system/fleet/abc.tar.gz`;
  const api: FakeKubeApi = await startFakeKubeApi({ resources: [{ group: 'wgpolicyk8s.io', version: 'v1alpha2', kind: 'PolicyReport', plural: 'policyreports', namespaced: true }] });
  t.teardown(() => api.stop());
  const log = path.join(root, 'termination-log');
  const r = await cli(root, ['hook', 'flux', '--kustomization', kustomization, '--artifact-url', url, '--record', '--kubeconfig', api.kubeconfig, '--termination-log', log], {
    VERIFY_IMAGES_CACHE_DIR: path.join(root, '.cache'),
  });
  t.equal(r.code, 1);
  t.match(await readFile(log, 'utf8'), /blocked the sync.*apps\/rogue:1\.0/);
  const report = api.objects().find((o) => o.kind === 'PolicyReport');
  t.match(report, { metadata: { name: 'verify-images-shop', namespace: 'flux-system' }, scope: { kind: 'Kustomization', name: 'shop' }, summary: { fail: 1 } });
  const missing = await cli(root, ['hook', 'flux', '--kustomization', kustomization, '--artifact-url', url.replace('abc', 'nope'), '--no-record']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /HTTP 404/);
});

t.test('--repo and --revision: the Kustomization is read locally, the source fetched', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const repo = await makeRepo(t);
  const good = await repo.commit({ '.verify-images/policy.yaml': images.policy, 'apps/shop/deploy.yaml': deployment('web', `${images.registry.host}/apps/\${app}:1.0`) });
  const local = await source(t);
  const r = await cli(local, ['hook', 'flux', '--kustomization', 'clusters/prod/shop.yaml', '--repo', repo.bare, '--revision', good, '--no-record'], { VERIFY_IMAGES_CACHE_DIR: path.join(local, '.cache') });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, good);
  const two = await cli(local, ['hook', 'flux', '--kustomization', 'clusters/prod/shop.yaml', '--repo', repo.bare, '--source', '.']);
  t.equal(two.code, 2);
  t.match(two.stderr, /give one source/);
});
