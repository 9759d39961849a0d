// Argo CD-style rendering with the real kustomize (kubectl kustomize) and real files.
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { extractImages } from '../../src/manifests/extract.js';
import { parseManifests } from '../../src/manifests/parse.js';
import { applyOverrideFiles, mergeSource, overrideFiles, parseKustomizeImage } from '../../src/sources/argocd-source.js';
import { helmTemplateArgs } from '../../src/sources/helm.js';
import { detectTool, directoryFiles, prepareApp, renderText } from '../../src/sources/render.js';

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
    ['template', 'guestbook', '/c', '--include-crds', '--namespace', 'prod', '--values', 'values-prod.yaml', '--values', '/tmp/inline.yaml', '--set', 'image.tag=2.0', '--set-string', 'port=80'],
  );
});

t.test('helm: a chart without helm on PATH is a clear error naming helm', async (t) => {
  const root = await tree(t, { 'chart/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n', 'chart/templates/d.yaml': deploy('x/a:1') });
  const err = await prepareApp({ root, path: 'chart', env: { PATH: path.join(root, 'empty-bin') } }).catch((e: Error) => e);
  t.match(err, { code: 'SOURCE_ERROR', message: /helm is not on PATH/ });
});

t.test('helm: with a FAKE helm on PATH (no helm here), overrides reach its arguments and its output is verified', async (t) => {
  const root = await tree(t, {
    'chart/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
    'chart/.argocd-source.yaml': 'helm:\n  parameters:\n  - name: image.tag\n    value: "9.9"\n',
  });
  const bin = path.join(root, 'bin');
  await mkdir(bin);
  // The fake prints a Deployment whose image carries all arguments it was given.
  await writeFile(
    path.join(bin, 'helm'),
    `#!/bin/sh\nargs=$(echo "$*" | tr ' =/' '-_-')\nprintf 'apiVersion: v1\\nkind: Pod\\nmetadata:\\n  name: p\\nspec:\\n  containers:\\n  - name: c\\n    image: "x/fake:%s"\\n' "$args"\n`,
  );
  await chmod(path.join(bin, 'helm'), 0o755);
  const app = await prepareApp({ root, path: 'chart', app: { name: 'shop', namespace: 'prod' }, env: { PATH: `${bin}:${process.env.PATH}` } });
  t.teardown(() => app.cleanup());
  t.equal(app.tool, 'helm');
  const [image] = images(await renderText(app.inputs));
  t.match(image, /template-shop-/, 'release name is the app name');
  t.match(image, /--namespace-prod/);
  t.match(image, /--set-image\.tag_9\.9/, 'the .argocd-source.yaml helm parameter is passed');
});
