// Argo CD-style rendering with the real kustomize (kubectl kustomize) and real files.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { extractImages } from '../../src/manifests/extract.js';
import { parseManifests } from '../../src/manifests/parse.js';
import { applyOverrideFiles, mergeSource, overrideFiles, parseKustomizeImage } from '../../src/sources/argocd-source.js';
import { helmTemplateArgs } from '../../src/sources/helm.js';
import { detectTool, directoryFiles, prepareApp, renderText } from '../../src/sources/render.js';
import { helms, pathWith } from '../helpers/reference.js';

const hasKustomize = ['kustomize', 'kubectl'].some((cmd) => !spawnSync(cmd, ['version', '--client'], { stdio: 'ignore' }).error);

async function tree(t: { teardown: (fn: () => unknown) => void }, files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vi-render-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, f)), { recursive: true });
    await writeFile(path.join(root, f), text);
  }
  return root;
}

const deploy = (image: string, name = 'web') =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n      - name: ${name}\n        image: ${image}\n`;

export const KUSTOMIZE_APP = {
  'base/kustomization.yaml': 'resources: [deploy.yaml]\n',
  'base/deploy.yaml': deploy('registry.example/web:1.0'),
  'overlays/prod/kustomization.yaml': 'resources: [../../base]\nimages:\n- name: registry.example/web\n  newTag: "2.0"\n',
};

const images = (text: string) => parseManifests(text, 'x').flatMap((o) => extractImages(o)).map((u) => u.image);

t.test('detection follows Argo CD: Helm, then Kustomize, then Directory', async (t) => {
  t.equal(detectTool(['Chart.yaml', 'kustomization.yaml']), 'helm');
  t.equal(detectTool(['kustomization.yml']), 'kustomize');
  t.equal(detectTool(['Kustomization']), 'kustomize');
  t.equal(detectTool(['a.yaml']), 'directory');
});

t.test('kustomize image overrides in `kustomize edit set image` syntax', async (t) => {
  t.same(parseKustomizeImage('nginx:1.25'), { name: 'nginx', newTag: '1.25' });
  t.same(parseKustomizeImage('nginx=ghcr.io/acme/nginx:2'), { name: 'nginx', newName: 'ghcr.io/acme/nginx', newTag: '2' });
  t.same(parseKustomizeImage('registry:5000/web@sha256:abc'), { name: 'registry:5000/web', digest: 'sha256:abc' });
  t.same(parseKustomizeImage('registry:5000/web'), { name: 'registry:5000/web' }, 'a port is not a tag');
  t.throws(() => parseKustomizeImage('=x'), { code: 'SOURCE_ERROR' });
});

t.test('override files: names and merge semantics (maps merge, lists replace)', async (t) => {
  t.same(overrideFiles('guestbook', 'team'), ['.argocd-source.yaml', '.argocd-source-guestbook.yaml', '.argocd-source-team_guestbook.yaml']);
  t.same(overrideFiles(), ['.argocd-source.yaml']);
  t.same(
    mergeSource({ helm: { valueFiles: ['a.yaml'], parameters: [{ name: 'x', value: '1' }] } }, { helm: { parameters: [{ name: 'y', value: '2' }] } }),
    { helm: { valueFiles: ['a.yaml'], parameters: [{ name: 'y', value: '2' }] } },
  );
  const dir = await tree(t, {
    'app/.argocd-source.yaml': 'kustomize:\n  images: [web:1]\n',
    'app/.argocd-source-guestbook.yaml': 'kustomize:\n  images: [web:2]\n',
  });
  const both = await applyOverrideFiles(path.join(dir, 'app'), {}, { name: 'guestbook' });
  t.same(both.source.kustomize?.images, ['web:2'], 'the per-app file is merged last');
  t.equal(both.applied.length, 2);
  const generic = await applyOverrideFiles(path.join(dir, 'app'), {}, { name: 'other' });
  t.same(generic.source.kustomize?.images, ['web:1'], 'another app only gets the generic file');
  const bad = await tree(t, { '.argocd-source.yaml': '- not a map\n' });
  await t.rejects(applyOverrideFiles(bad, {}, {}), { code: 'SOURCE_ERROR', message: /must be a mapping/ });
});

t.test('kustomize: the overlay `images:` changes the tag; `.argocd-source-<app>.yaml` wins over it', { skip: !hasKustomize && 'no kustomize/kubectl on PATH' }, async (t) => {
  const root = await tree(t, { ...KUSTOMIZE_APP, 'overlays/prod/.argocd-source-guestbook.yaml': 'kustomize:\n  images:\n  - registry.example/web:3.0\n' });
  const plain = await prepareApp({ root, path: 'overlays/prod' });
  t.teardown(() => plain.cleanup());
  t.equal(plain.tool, 'kustomize');
  t.same(images(await renderText(plain.inputs)), ['registry.example/web:2.0'], 'overlay images: newTag applied');
  t.same(plain.overrides, [], 'no app name: only .argocd-source.yaml would apply, and there is none');

  const app = await prepareApp({ root, path: 'overlays/prod', app: { name: 'guestbook' } });
  t.teardown(() => app.cleanup());
  t.same(images(await renderText(app.inputs)), ['registry.example/web:3.0'], 'the Argo CD override file is applied');
  t.equal(app.overrides.length, 1);

  const flags = await prepareApp({ root, path: 'overlays/prod', source: { kustomize: { images: ['registry.example/web=registry.example/web2:4'] } } });
  t.teardown(() => flags.cleanup());
  t.same(images(await renderText(flags.inputs)), ['registry.example/web2:4'], 'Application-level images (rename + tag)');
});

t.test('directory apps: top level only, recurse, include and exclude', async (t) => {
  const root = await tree(t, {
    'app/a.yaml': deploy('x/a:1', 'a'),
    'app/b.yml': deploy('x/b:1', 'b'),
    'app/notes.txt': 'not a manifest',
    'app/sub/c.yaml': deploy('x/c:1', 'c'),
    'app/sub/skip.yaml': deploy('x/skip:1', 'skip'),
  });
  const app = path.join(root, 'app');
  const names = (files: string[]) => files.map((f) => path.relative(app, f));
  t.same(names(await directoryFiles(app, {})), ['a.yaml', 'b.yml']);
  t.same(names(await directoryFiles(app, { recurse: true })), ['a.yaml', 'b.yml', 'sub/c.yaml', 'sub/skip.yaml']);
  // Argo CD's globs match the whole relative path; `*` crosses `/` (gobwas without separators).
  t.same(names(await directoryFiles(app, { recurse: true, exclude: '{skip.yaml,b.yml}' })), ['a.yaml', 'sub/c.yaml', 'sub/skip.yaml']);
  t.same(names(await directoryFiles(app, { recurse: true, exclude: '{*skip.yaml,b.yml}' })), ['a.yaml', 'sub/c.yaml']);
  t.same(names(await directoryFiles(app, { recurse: true, include: 'sub/*.yaml' })), ['sub/c.yaml', 'sub/skip.yaml']);
  const prepared = await prepareApp({ root, path: 'app', source: { directory: { recurse: true } } });
  t.equal(prepared.tool, 'directory');
  t.same(images(await renderText(prepared.inputs)), ['x/a:1', 'x/b:1', 'x/c:1', 'x/skip:1']);
});

t.test('a path outside the repository or missing is a SOURCE_ERROR', async (t) => {
  const root = await tree(t, { 'a.yaml': deploy('x/a:1') });
  await t.rejects(prepareApp({ root, path: '../elsewhere' }), { code: 'SOURCE_ERROR', message: /outside the repository/ });
  await t.rejects(prepareApp({ root, path: 'nope' }), { code: 'SOURCE_ERROR', message: /no such directory/ });
});

t.test('helm: the helm template arguments Argo CD would use', async (t) => {
  t.same(
    helmTemplateArgs({
      chartDir: '/c',
      releaseName: 'guestbook',
      namespace: 'prod',
      helm: { valueFiles: ['values-prod.yaml'], parameters: [{ name: 'image.tag', value: '2.0' }, { name: 'port', value: '80', forceString: true }] },
      inlineValueFiles: ['/tmp/inline.yaml'],
    }),
    ['template', '/c', '--name-template', 'guestbook', '--namespace', 'prod', '--set', 'image.tag=2.0', '--set-string', 'port=80', '--values', 'values-prod.yaml', '--values', '/tmp/inline.yaml', '--include-crds'],
  );
  t.same(
    helmTemplateArgs({
      chartDir: '/c',
      releaseName: 'r',
      namespace: 'app-ns',
      helm: { namespace: 'override', kubeVersion: '1.31.0', apiVersions: ['monitoring.coreos.com/v1'], skipCrds: true, skipTests: true, skipSchemaValidation: true, parameters: [{ name: 'hosts', value: 'a,b' }, { name: 'list', value: '{a,b}' }] },
    }),
    ['template', '/c', '--name-template', 'r', '--namespace', 'override', '--kube-version', '1.31.0', '--set', 'hosts=a\\,b', '--set', 'list={a,b}', '--api-versions', 'monitoring.coreos.com/v1', '--skip-schema-validation', '--skip-tests'],
    'source.helm namespace, kubeVersion, apiVersions, skips; a comma escaped unless the value is a {list}',
  );
});

t.test('helm: a chart without helm on PATH is a clear error naming helm', async (t) => {
  const root = await tree(t, { 'chart/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n', 'chart/templates/d.yaml': deploy('x/a:1') });
  const err = await prepareApp({ root, path: 'chart', env: { PATH: path.join(root, 'empty-bin') } }).catch((e: Error) => e);
  t.match(err, { code: 'SOURCE_ERROR', message: /helm is not on PATH/ });
});

// The real helm (3 as Argo CD runs it, 4 as Flux links it), installed by scripts/reference-tools.mjs.
const helmBins = helms();
const CHART = {
  'shop/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 0.1.0\ndependencies:\n- name: cache\n  version: 0.2.0\n',
  'shop/values.yaml': 'image: {repository: registry.example/shop, tag: "1.0"}\nworker: {enabled: false}\ncache: {tag: "7.0"}\n',
  'shop/values-prod.yaml': 'worker: {enabled: true}\n',
  'shop/templates/deploy.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: "{{ .Release.Name }}", namespace: "{{ .Release.Namespace }}"}',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    '      - name: web',
    '        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
    '      {{- if .Values.worker.enabled }}',
    '      - name: worker',
    '        image: "registry.example/worker:{{ .Capabilities.KubeVersion.Minor }}"',
    '      {{- end }}',
    '      {{- if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}',
    '      - name: exporter',
    '        image: registry.example/exporter:1.0',
    '      {{- end }}',
    '',
  ].join('\n'),
  'shop/templates/tests/test-pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations: {"helm.sh/hook": test}\nspec:\n  containers: [{name: t, image: registry.example/chart-test:1.0}]\n',
  'shop/crds/crd.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\n',
  // A vendored dependency: Argo CD renders it without `helm dependency build`.
  'shop/charts/cache/Chart.yaml': 'apiVersion: v2\nname: cache\nversion: 0.2.0\n',
  'shop/charts/cache/templates/sts.yaml': 'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: cache}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: "registry.example/cache:{{ .Values.tag }}"}]\n',
  'shop/.argocd-source-shop.yaml': 'helm:\n  valueFiles: [values-prod.yaml]\n  kubeVersion: "1.31.0"\n  apiVersions: [monitoring.coreos.com/v1]\n  parameters:\n  - name: image.tag\n    value: "9.9"\n  - name: cache.tag\n    value: "7.2"\n',
};
for (const h of 'skip' in helmBins ? [] : helmBins) {
  t.test(`helm ${h.version}: a chart with a vendored dependency, rendered with the app's overrides as Argo CD would`, async (t) => {
    const root = await tree(t, CHART);
    const app = await prepareApp({ root, path: 'shop', app: { name: 'shop', namespace: 'prod' }, env: { PATH: pathWith(h.dir) } });
    t.teardown(() => app.cleanup());
    t.equal(app.tool, 'helm');
    const text = await renderText(app.inputs);
    t.same(images(text).sort(), ['registry.example/cache:7.2', 'registry.example/chart-test:1.0', 'registry.example/exporter:1.0', 'registry.example/shop:9.9', 'registry.example/worker:31'], 'parameters win over values, the values file and kube/API versions reach the templates, the subchart renders');
    t.match(text, /namespace: "prod"/, 'the namespace is the app destination');
    t.match(text, /kind: CustomResourceDefinition/, 'CRDs included');
    const skipped = await prepareApp({ root, path: 'shop', app: { name: 'shop', namespace: 'prod' }, source: { helm: { skipTests: true, skipCrds: true } }, env: { PATH: pathWith(h.dir) } });
    t.teardown(() => skipped.cleanup());
    const text2 = await renderText(skipped.inputs);
    t.notOk(images(text2).includes('registry.example/chart-test:1.0'), 'skipTests leaves the test hook out');
    t.notMatch(text2, /CustomResourceDefinition/, 'skipCrds');
  });

  t.test(`helm ${h.version}: a dependency neither vendored nor built is helm's error, exit-2 material`, async (t) => {
    const root = await tree(t, { ...CHART, 'shop/charts/cache/Chart.yaml': '', 'shop/charts/cache/templates/sts.yaml': '' });
    await rm(path.join(root, 'shop/charts'), { recursive: true });
    const err = await prepareApp({ root, path: 'shop', app: { name: 'shop' }, env: { PATH: pathWith(h.dir) } }).then((a) => renderText(a.inputs)).catch((e: Error) => e);
    t.match(err, { code: 'SOURCE_ERROR', message: /helm template failed for .*shop: .*cache/ });
  });
}
if ('skip' in helmBins) t.test('real helm', { skip: helmBins.skip }, async () => {});

t.test('.argocd-source.yaml helm fields of the wrong type are refused, naming the field (never read letter by letter)', async (t) => {
  const root = await tree(t, { 'chart/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n', 'chart/.argocd-source.yaml': 'helm:\n  apiVersions: monitoring.coreos.com/v1\n' });
  await t.rejects(applyOverrideFiles(path.join(root, 'chart'), {}, {}), { code: 'SOURCE_ERROR', message: /\.argocd-source\.yaml: helm\.apiVersions must be a list of strings/ });
  await writeFile(path.join(root, 'chart/.argocd-source.yaml'), 'helm:\n  parameters:\n  - name: image.tag\n    value: 2.0\n');
  await t.rejects(applyOverrideFiles(path.join(root, 'chart'), {}, {}), { message: /helm\.parameters must be a list of \{name, value\} strings \(quote numbers/ });
  await writeFile(path.join(root, 'chart/.argocd-source.yaml'), 'helm:\n  skipCrds: "yes"\n');
  await t.rejects(applyOverrideFiles(path.join(root, 'chart'), {}, {}), { message: /helm\.skipCrds must be true or false/ });
});
