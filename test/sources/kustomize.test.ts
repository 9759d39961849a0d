// Uses the real kustomize (`kustomize` or `kubectl kustomize` on PATH).
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { extractImages } from '../../src/manifests/extract.js';
import { parseManifests } from '../../src/manifests/parse.js';
import { readSources } from '../../src/sources/files.js';
import { renderKustomize, stripOrigins } from '../../src/sources/kustomize.js';

const hasKustomize = ['kustomize', 'kubectl'].some((cmd) => !spawnSync(cmd, ['version', '--client'], { stdio: 'ignore' }).error);

async function fixture(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vi-kustomize-'));
  const files: Record<string, string> = {
    'base/kustomization.yaml': 'resources: [deploy.yaml, other.yaml]\n',
    'base/deploy.yaml': [
      '# the web app',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  annotations: {keep: me}',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '      - name: web',
      '        image: ghcr.io/acme/web:1.0',
      '',
    ].join('\n'),
    'base/other.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: tool\nspec:\n  containers:\n  - name: t\n    image: busybox:1\n',
    'overlay/kustomization.yaml': [
      'resources: [../base]',
      'namePrefix: prod-',
      'namespace: prod',
      'images:',
      '- name: ghcr.io/acme/web',
      '  newTag: "2.0"',
      '',
    ].join('\n'),
  };
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
  }
  return root;
}

t.test('renders base + overlay with the real kustomize and traces origins', { skip: !hasKustomize && 'no kustomize/kubectl on PATH' }, async (t) => {
  const root = await fixture();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const before = await readdir(os.tmpdir());

  const rendered = await renderKustomize(path.join(root, 'overlay'));
  t.notMatch(rendered.text, /config\.kubernetes\.io\/origin/, 'our origin annotations are stripped');
  t.match(rendered.text, /keep: me/, 'user annotations are kept');
  const objs = parseManifests(rendered.text, 'rendered');
  const images = objs.flatMap((o) => extractImages(o, { rendered: true })).map((u) => u.image);
  t.same(images.sort(), ['busybox:1', 'ghcr.io/acme/web:2.0'], 'the overlay changed the tag');
  t.same(
    [...rendered.origins.entries()].sort(),
    [
      ['Deployment/prod/prod-web', path.join(await realRoot(root), 'base', 'deploy.yaml')],
      ['Pod/prod/prod-tool', path.join(await realRoot(root), 'base', 'other.yaml')],
    ],
  );
  t.same(
    (await readdir(os.tmpdir())).filter((n) => n.startsWith('verify-images-kustomize-') && !before.includes(n)),
    [],
    'temporary wrapper removed',
  );
});

t.test('readSources + extract: the rendered image points at the base file and line', { skip: !hasKustomize && 'no kustomize/kubectl on PATH' }, async (t) => {
  const root = await fixture();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const cwd = process.cwd();
  process.chdir(root);
  t.teardown(() => process.chdir(cwd));

  const sources = await readSources(['overlay']);
  t.equal(sources.length, 1);
  const source = sources[0]!;
  t.same([source.file, source.rendered], ['overlay', true]);
  const uses = parseManifests(source.text, source.file).flatMap((o) => extractImages(o, source));
  const web = uses.find((u) => u.container === 'web')!;
  t.same(
    [web.image, web.file, web.line, web.column, web.range, web.workload.name, web.workload.namespace],
    ['ghcr.io/acme/web:2.0', path.join('base', 'deploy.yaml'), 12, 16, undefined, 'prod-web', 'prod'],
  );
  const tool = uses.find((u) => u.container === 't')!;
  t.same([tool.file, tool.line], [path.join('base', 'other.yaml'), 8]);
});

t.test('kustomize errors are SourceError with kustomize\'s message', { skip: !hasKustomize && 'no kustomize/kubectl on PATH' }, async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vi-kustomize-bad-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await writeFile(path.join(root, 'kustomization.yaml'), 'resources: [missing.yaml]\n');
  await t.rejects(renderKustomize(root), { code: 'SOURCE_ERROR', message: /missing\.yaml/ });
  await t.rejects(renderKustomize(path.join(root, 'nope')), { code: 'SOURCE_ERROR' });
});

t.test('stripOrigins: remote origins have no file; emptied annotations are removed', async (t) => {
  const out = [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  annotations:',
    '    config.kubernetes.io/origin: |',
    '      path: pod.yaml',
    '      repo: https://github.com/x/y',
    '  name: a',
    '---',
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  annotations:',
    '    config.kubernetes.io/origin: |',
    '      path: ../b/pod.yaml',
    '  name: b',
    '',
  ].join('\n');
  const { text, origins } = stripOrigins(out, '/w/wrap');
  t.notMatch(text, /annotations/);
  t.same([...origins], [['Pod//b', path.resolve('/w/wrap', '../b/pod.yaml')]]);
  t.equal(parseManifests(text, 'x').length, 2);
});

async function realRoot(p: string): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  return realpath(p);
}
