// The Argo CD CMP contract against a REAL registry and the real kustomize: stdout is only the
// manifests, explanations go to stderr, failures exit non-zero, and never an empty success.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { noKubectl } from '../helpers/tools.js';
import { parseAllDocuments } from 'yaml';
import { cmpRoot } from '../../src/hooks/argocd-cmp.js';
import { cli, deployment, type Images, startImages, tree } from './registry-fixture.js';
import { kyverno } from '../helpers/engine.js';
import { generateKeyPair } from '../../src/testkit/cosign-signer.js';
import { helms, pathWith } from '../helpers/reference.js';

let images: Images;
let cacheDir: string;
t.before(async () => {
  images = await startImages();
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vi-cmp-cache-'));
});
t.teardown(async () => {
  await images?.registry.stop();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

const hasKustomize = !noKubectl;

async function app(t: Parameters<typeof tree>[0], image: string, extra: Record<string, string> = {}) {
  return tree(t, {
    '.verify-images/policy.yaml': images.policy,
    'apps/guestbook/base/kustomization.yaml': 'resources: [deploy.yaml]\n',
    'apps/guestbook/base/deploy.yaml': deployment('web', 'placeholder/web:0'),
    'apps/guestbook/prod/kustomization.yaml': `resources: [../base]\nimages:\n- name: placeholder/web\n  newName: ${image.split(':').slice(0, -1).join(':')}\n  newTag: "${image.split(':').at(-1)}"\n`,
    ...extra,
  });
}

const env = (extra: NodeJS.ProcessEnv = {}) => ({
  ARGOCD_APP_NAME: 'guestbook',
  ARGOCD_APP_NAMESPACE: 'shop',
  ARGOCD_APP_REVISION: 'abc123',
  ARGOCD_APP_SOURCE_PATH: 'apps/guestbook/prod',
  VERIFY_IMAGES_CACHE_DIR: cacheDir,
  ...extra,
});

const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS()).filter(Boolean);

t.test('the repository root is found from ARGOCD_APP_SOURCE_PATH', async (t) => {
  t.equal(cmpRoot('/repo/apps/guestbook/prod', 'apps/guestbook/prod'), '/repo');
  t.equal(cmpRoot('/repo/apps/guestbook/prod', 'apps/guestbook/prod/'), '/repo');
  t.equal(cmpRoot('/repo', '.'), '/repo');
  t.equal(cmpRoot('/elsewhere/x', 'apps/y'), '/elsewhere/x', 'no match: the directory itself');
});

t.test('signed: exit 0 and stdout is exactly the rendered manifests', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const root = await app(t, images.signed.ref);
  const dir = path.join(root, 'apps/guestbook/prod');
  const r = await cli(dir, ['hook', 'argocd-cmp'], env());
  t.equal(r.code, 0, r.stderr);
  const expected = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }).stdout;
  t.same(objects(r.stdout), objects(expected), 'the same objects kustomize renders');
  t.match(r.stdout, images.signed.ref);
  t.notMatch(r.stdout, /@sha256/, 'not pinned unless asked');
  t.equal(r.stderr, '', 'nothing on stderr on success');
});

t.test('VERIFY_IMAGES_ANNOTATE=true: each pod template carries its verdict and the verified digests', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const root = await app(t, images.signed.ref);
  const dir = path.join(root, 'apps/guestbook/prod');
  const r = await cli(dir, ['hook', 'argocd-cmp'], env({ ARGOCD_ENV_VERIFY_IMAGES_ANNOTATE: 'true' }));
  t.equal(r.code, 0, r.stderr);
  const [deploy] = objects(r.stdout) as any[];
  t.same(deploy.spec.template.metadata.annotations, {
    'verify-images.io/status': 'pass',
    'verify-images.io/verified-digests': `${images.signed.ref}@${images.signed.digest}`,
  });
  t.equal(deploy.spec.template.spec.containers[0].image, images.signed.ref, 'the image itself is unchanged');
  const plain = await cli(dir, ['hook', 'argocd-cmp'], env());
  t.notMatch(plain.stdout, /verify-images\.io\/status/, 'only when asked');
});

t.test('ARGOCD_ENV_VERIFY_IMAGES_PIN=true pins the verified digest in the output only', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const root = await app(t, images.signed.ref);
  const dir = path.join(root, 'apps/guestbook/prod');
  const r = await cli(dir, ['hook', 'argocd-cmp'], env({ ARGOCD_ENV_VERIFY_IMAGES_PIN: 'true' }));
  t.equal(r.code, 0, r.stderr);
  const [deploy] = objects(r.stdout) as any[];
  t.equal(deploy.spec.template.spec.containers[0].image, `${images.signed.ref}@${images.signed.digest}`);
  const again = await cli(dir, ['hook', 'argocd-cmp'], env());
  t.match(again.stdout, images.signed.ref, 'the files were not changed');
  t.notMatch(again.stdout, /@sha256/);
});

t.test('unsigned: non-zero exit, empty stdout, the reason on stderr', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const root = await app(t, images.unsigned.ref);
  const r = await cli(path.join(root, 'apps/guestbook/prod'), ['hook', 'argocd-cmp'], env());
  t.equal(r.code, 1);
  t.equal(r.stdout, '', 'nothing Argo CD could apply');
  t.match(r.stderr, images.unsigned.ref);
  t.match(r.stderr, /FAIL/);
  t.match(r.stderr, /guestbook at abc123 is blocked/);
  t.match(r.stderr, /used by Deployment\/shop\/web container web at apps\/guestbook\/base\/deploy\.yaml:\d+/, "the source file the image is written in (and the destination namespace it lands in)");
  t.notMatch(r.stderr, /<rendered>|verify-images-hook-|rendered\.yaml/, 'not the rendered stream or a temporary file');
});

t.test("objects that name no namespace are judged in the destination namespace (ARGOCD_APP_NAMESPACE): that namespace's Policy blocks", { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  // The team's namespaced Kyverno Policy in `shop` wants another key; the manifests name no namespace.
  const shopPolicy = kyverno({ name: 'shop-key', refs: [`${images.registry.host}/apps/*`], keys: [generateKeyPair('ecdsa-p256')] }).replace(
    'kind: ClusterPolicy\nmetadata:\n  name: shop-key\n',
    'kind: Policy\nmetadata:\n  name: shop-key\n  namespace: shop\n',
  );
  const root = await app(t, images.signed.ref, { '.verify-images/shop.yaml': shopPolicy });
  const dir = path.join(root, 'apps/guestbook/prod');
  const inShop = await cli(dir, ['hook', 'argocd-cmp'], env({ ARGOCD_APP_NAMESPACE: 'shop' }));
  t.equal(inShop.code, 1, 'Argo CD applies them in shop, where the Policy admits no image of this key');
  t.equal(inShop.stdout, '');
  t.match(inShop.stderr, /shop-key/);
  const elsewhere = await cli(dir, ['hook', 'argocd-cmp'], env({ ARGOCD_APP_NAMESPACE: 'web' }));
  t.equal(elsewhere.code, 0, 'in another namespace only the ClusterImagePolicy applies, and the image is signed for it');
  t.match(elsewhere.stdout, images.signed.ref);
});

t.test('the .argocd-source-<app>.yaml override decides what is verified', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const root = await app(t, images.signed.ref, {
    'apps/guestbook/prod/.argocd-source-guestbook.yaml': `kustomize:\n  images:\n  - ${images.signed.ref.replace(':1.0', '')}=${images.unsigned.ref}\n`,
  });
  const r = await cli(path.join(root, 'apps/guestbook/prod'), ['hook', 'argocd-cmp'], env());
  t.equal(r.code, 1, 'the image Argo CD would deploy is the unsigned one');
  t.equal(r.stdout, '');
  t.match(r.stderr, images.unsigned.ref);
});

t.test('never an empty success: no objects rendered is an error with empty stdout', async (t) => {
  const root = await tree(t, { '.verify-images/policy.yaml': images.policy, 'apps/empty/notes.yaml': '# nothing here\n' });
  const r = await cli(path.join(root, 'apps/empty'), ['hook', 'argocd-cmp'], env({ ARGOCD_APP_SOURCE_PATH: 'apps/empty' }));
  t.not(r.code, 0);
  t.equal(r.stdout, '');
  t.match(r.stderr, /rendered no Kubernetes objects/);
});

t.test('render and policy errors: exit 2, empty stdout, explanation on stderr', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const broken = await tree(t, { '.verify-images/policy.yaml': images.policy, 'app/kustomization.yaml': 'resources: [missing.yaml]\n' });
  const r = await cli(path.join(broken, 'app'), ['hook', 'argocd-cmp'], env({ ARGOCD_APP_SOURCE_PATH: 'app' }));
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  t.match(r.stderr, /kustomize failed/);
  const nopolicy = await tree(t, { 'app/d.yaml': deployment('web', images.signed.ref) });
  const n = await cli(path.join(nopolicy, 'app'), ['hook', 'argocd-cmp'], env({ ARGOCD_APP_SOURCE_PATH: 'app' }));
  t.equal(n.code, 2);
  t.equal(n.stdout, '');
  t.match(n.stderr, /no policy found/);
});

t.test('the CMP tells the PreSync Job what it rendered (repo, revision, path); other documents are untouched', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const job = `apiVersion: batch/v1
kind: Job
metadata:
  name: verify-images
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: verify-images
          image: ${images.signed.ref}
          args: [hook, argocd-presync]
          env:
            - {name: VERIFY_IMAGES_REVISION, value: stale}
            - {name: HOME, value: /tmp}
`;
  const root = await app(t, images.signed.ref, {
    'apps/guestbook/prod/kustomization.yaml': `resources: [../base, job.yaml]\nimages:\n- name: placeholder/web\n  newName: ${images.signed.ref.replace(/:1\.0$/, '')}\n  newTag: "1.0"\n`,
    'apps/guestbook/prod/job.yaml': job,
  });
  const dir = path.join(root, 'apps/guestbook/prod');
  const r = await cli(dir, ['hook', 'argocd-cmp'], env({ ARGOCD_APP_SOURCE_REPO_URL: 'https://git.example/gitops.git' }));
  t.equal(r.code, 0, r.stderr);
  const objs = objects(r.stdout) as any[];
  const out = objs.find((o) => o.kind === 'Job');
  t.same(out.spec.template.spec.containers[0].env, [
    { name: 'HOME', value: '/tmp' },
    { name: 'VERIFY_IMAGES_REPO', value: 'https://git.example/gitops.git' },
    { name: 'VERIFY_IMAGES_REVISION', value: 'abc123' },
    { name: 'VERIFY_IMAGES_PATH', value: 'apps/guestbook/prod' },
  ]);
  const rendered = objects(spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }).stdout) as any[];
  t.same(objs.find((o) => o.kind === 'Deployment'), rendered.find((o) => o.kind === 'Deployment'), 'the Deployment is as rendered');
  t.equal(objs.length, rendered.length);
});

t.test('injectRevision rewrites only the verification Job, byte for byte elsewhere', async (t) => {
  const { injectRevision } = await import('../../src/hooks/inject-revision.js');
  const other = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x # keep me\ndata: {a: "1"}\n';
  const plainJob = 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      containers:\n      - name: m\n        image: x/m:1\n';
  const gate = 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: verify-images\nspec:\n  template:\n    spec:\n      containers:\n      - name: v\n        image: x/v:1\n        args: [hook, argocd-presync]\n';
  const text = `${other}---\n${plainJob}---\n${gate}`;
  const out = injectRevision(text, { revision: 'r1', repo: 'https://g/x.git' });
  t.ok(out.startsWith(`${other}---\n${plainJob}---\n`), 'the documents before are unchanged');
  const docs = objects(out) as any[];
  t.equal(docs.length, 3);
  t.same(docs[2].spec.template.spec.containers[0].env, [
    { name: 'VERIFY_IMAGES_REPO', value: 'https://g/x.git' },
    { name: 'VERIFY_IMAGES_REVISION', value: 'r1' },
  ]);
  t.equal(injectRevision(text, {}), text, 'nothing to inject: unchanged');
  t.equal(injectRevision(`${other}---\n${plainJob}`, { revision: 'r1' }), `${other}---\n${plainJob}`, 'no gate Job: unchanged');
});

t.test('plugin parameters (ARGOCD_APP_PARAMETERS) stand in for spec.source.kustomize/helm/directory', async (t) => {
  const { sourceFromParameters } = await import('../../src/hooks/cmp-parameters.js');
  t.same(
    sourceFromParameters(
      JSON.stringify([
        { name: 'helm-values-files', array: ['values-prod.yaml'] },
        { name: 'helm-parameters', map: { 'image.tag': '2.0' } },
        { name: 'kustomize-images', array: ['web:3'] },
        { name: 'directory-recurse', string: 'true' },
        { name: 'someone-else', string: 'x' },
      ]),
    ),
    { helm: { valueFiles: ['values-prod.yaml'], parameters: [{ name: 'image.tag', value: '2.0' }] }, kustomize: { images: ['web:3'] }, directory: { recurse: true } },
  );
  t.same(sourceFromParameters(undefined), {});
  t.throws(() => sourceFromParameters('{nope'), { code: 'SOURCE_ERROR' });
});

t.test('a kustomize-images plugin parameter changes what is verified', { skip: !hasKustomize && 'no kubectl' }, async (t) => {
  const root = await app(t, images.signed.ref);
  const params = JSON.stringify([{ name: 'kustomize-images', array: [`${images.signed.ref.replace(/:1\.0$/, '')}=${images.unsigned.ref}`] }]);
  const r = await cli(path.join(root, 'apps/guestbook/prod'), ['hook', 'argocd-cmp'], env({ ARGOCD_APP_PARAMETERS: params }));
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.match(r.stderr, images.unsigned.ref);
});

// A Helm app as Argo CD renders it, with the real helm (3 and 4): a chart with a vendored dependency,
// values and plugin parameters deciding which image the subchart runs; verdicts per image.
const helmBins = helms();
for (const h of 'skip' in helmBins ? [] : helmBins) {
  t.test(`helm ${h.version}: a chart app with a dependency; the parameter that picks the unsigned image blocks`, async (t) => {
    const [signedRepo, signedTag] = [images.signed.ref.slice(0, images.signed.ref.lastIndexOf(':')), images.signed.ref.split(':').at(-1)];
    const root = await tree(t, {
      '.verify-images/policy.yaml': images.policy,
      'apps/shop/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 0.1.0\ndependencies:\n- name: worker\n  version: 0.1.0\n',
      'apps/shop/values.yaml': `image: "${images.signed.ref}"\nworker:\n  repository: ${signedRepo}\n  tag: "${signedTag}"\n`,
      'apps/shop/templates/deploy.yaml': deployment('web', '{{ .Values.image }}'),
      'apps/shop/charts/worker/Chart.yaml': 'apiVersion: v2\nname: worker\nversion: 0.1.0\n',
      'apps/shop/charts/worker/templates/deploy.yaml': deployment('worker', '"{{ .Values.repository }}:{{ .Values.tag }}"'),
    });
    const dir = path.join(root, 'apps/shop');
    const helmEnv = (extra: NodeJS.ProcessEnv = {}) => env({ ARGOCD_APP_NAME: 'shop', ARGOCD_APP_SOURCE_PATH: 'apps/shop', PATH: pathWith(h.dir), ...extra });
    const ok = await cli(dir, ['hook', 'argocd-cmp'], helmEnv());
    t.equal(ok.code, 0, ok.stderr);
    t.same(objects(ok.stdout).map((o) => `${o.metadata.name} ${o.spec.template.spec.containers[0].image}`).sort(), [`web ${images.signed.ref}`, `worker ${images.signed.ref}`], 'both charts rendered, both images signed');
    const [rogueRepo] = [images.unsigned.ref.slice(0, images.unsigned.ref.lastIndexOf(':'))];
    const params = JSON.stringify([{ name: 'helm-parameters', map: { 'worker.repository': rogueRepo } }]);
    const blocked = await cli(dir, ['hook', 'argocd-cmp'], helmEnv({ ARGOCD_APP_PARAMETERS: params }));
    t.equal(blocked.code, 1);
    t.equal(blocked.stdout, '', 'nothing Argo CD could apply');
    t.match(blocked.stderr, images.unsigned.ref, 'the subchart image the parameter chose');
    t.notMatch(blocked.stderr, new RegExp(`FAIL[^\\n]*${images.signed.ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'the signed image is not the one blamed');
  });
}
