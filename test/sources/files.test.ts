import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import type { Rendered } from '../../src/sources/kustomize.js';
import { readSources, SourceError, STDIN_NAME } from '../../src/sources/files.js';
import { helms, pathWith } from '../helpers/reference.js';

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vi-files-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
  }
  return root;
}

t.test('directories: recursive, sorted, manifest extensions only, hidden folders read (kubectl -R reads them), .git and node_modules not', async (t) => {
  const root = await tree({
    'b.yaml': 'b',
    'a.yml': 'a',
    'c.json': '{}',
    'README.md': 'no',
    'sub/z.YAML': 'z',
    'sub/inner/y.yaml': 'y',
    '.hidden/h.yaml': 'h',
    '.verify-images/policy.yaml': 'p',
    '.git/config.yaml': 'no',
    'node_modules/pkg/x.yaml': 'no',
  });
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const sources = await readSources([root]);
  t.same(
    sources.map((s) => path.relative(root, s.file)),
    ['.hidden/h.yaml', '.verify-images/policy.yaml', 'a.yml', 'b.yaml', 'c.json', 'sub/inner/y.yaml', 'sub/z.YAML'],
  );
  t.same(sources.map((s) => s.text), ['h', 'p', 'a', 'b', '{}', 'y', 'z']);
  t.notOk(sources.some((s) => s.rendered), 'plain files are source text');
  const flat = await readSources([root], { kubectl: { inputs: new Set([root]), recursive: false } });
  t.same(flat.map((s) => path.relative(root, s.file)), ['a.yml', 'b.yaml', 'c.json'], '-f DIR without -R: the top level, as kubectl');
  const deep = await readSources([root], { kubectl: { inputs: new Set([root]), recursive: true } });
  t.ok(deep.some((s) => s.file.endsWith('x.yaml')), '-R -f reads node_modules too, as kubectl does');
});

t.test('files keep the name as given, are read once, in input order; any extension for explicit files', async (t) => {
  const root = await tree({ 'x.txt': 'x', 'd/a.yaml': 'a' });
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const cwd = process.cwd();
  process.chdir(root);
  t.teardown(() => process.chdir(cwd));
  const sources = await readSources(['x.txt', 'd', './d/a.yaml', 'd/../d']);
  t.same(sources.map((s) => s.file), ['x.txt', path.join('d', 'a.yaml')]);
});

t.test('stdin is read once for -', async (t) => {
  const sources = await readSources(['-', '-'], { stdin: Readable.from([Buffer.from('kind: '), 'Pod\n']) });
  t.same(sources, [{ file: STDIN_NAME, text: 'kind: Pod\n', input: '-' }]);
});

t.test('a missing path is a SourceError (SOURCE_ERROR)', async (t) => {
  await t.rejects(readSources(['/definitely/not/here.yaml']), { code: 'SOURCE_ERROR' });
  try {
    await readSources(['nope-dir/']);
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof SourceError);
  }
});

t.test('symlink loops do not hang', async (t) => {
  const root = await tree({ 'a/m.yaml': 'm' });
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await symlink(path.join(root, 'a'), path.join(root, 'a', 'loop'));
  const sources = await readSources([root]);
  t.same(sources.map((s) => path.relative(root, s.file)), ['a/m.yaml']);
});

t.test('a kustomization directory is rendered, not read file by file; origins are traced', async (t) => {
  const root = await tree({
    'plain.yaml': 'p',
    'app/kustomization.yaml': 'resources: [deploy.yaml]\n',
    'app/deploy.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '      - name: web',
      '        image: ghcr.io/acme/web:1.0',
      '',
    ].join('\n'),
    'app/nested/ignored.yaml': 'no',
  });
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const calls: string[] = [];
  const kustomize = async (dir: string): Promise<Rendered> => {
    calls.push(dir);
    return {
      text: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: prod-web}\n',
      origins: new Map([['Deployment//prod-web', path.join(root, 'app', 'deploy.yaml')]]),
    };
  };
  const sources = await readSources([root], { kustomize });
  t.same(calls, [path.join(root, 'app')]);
  t.same(
    sources.map((s) => [path.relative(root, s.file), s.rendered ?? false]),
    [
      ['app', true],
      ['plain.yaml', false],
    ],
  );
  const origin = sources[0]!.origins!.get('Deployment//prod-web')!;
  t.same(origin, {
    file: path.join(root, 'app', 'deploy.yaml'),
    line: 1,
    column: 1,
    images: { 'spec.template.spec.containers[0].image': { file: path.join(root, 'app', 'deploy.yaml'), line: 10, column: 16 } },
  });
});

t.test('kustomize failures surface as SourceError', async (t) => {
  const root = await tree({ 'kustomization.yaml': 'resources: [missing.yaml]\n' });
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const kustomize = async (): Promise<Rendered> => {
    throw new SourceError('kustomize failed: missing.yaml not found');
  };
  await t.rejects(readSources([root], { kustomize }), { code: 'SOURCE_ERROR' });
});

const helmBins = helms();
t.test('a Helm chart directory is rendered with the real helm template, or says helm is missing', { skip: 'skip' in helmBins && helmBins.skip }, async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vi-chart-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const chart = path.join(root, 'charts', 'web');
  await mkdir(path.join(chart, 'templates'), { recursive: true });
  await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: web\nversion: 0.1.0\n');
  // Not YAML until rendered: the file is never read as a manifest.
  await writeFile(path.join(chart, 'templates', 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  containers:\n    - name: c\n      image: registry.internal/{{ .Release.Name }}:{{ .Chart.Version }}\n');
  const saved = process.env.PATH;
  t.teardown(() => void (process.env.PATH = saved));
  for (const h of helmBins as { version: string; dir: string }[]) {
    process.env.PATH = pathWith(h.dir);
    const [source] = await readSources([root]);
    t.equal(source?.file, chart);
    t.equal(source?.rendered, true);
    t.match(source?.text, /image: registry\.internal\/web:0\.1\.0/, `helm ${h.version}: the release is named for the chart directory`);
  }
  process.env.PATH = path.join(root, 'empty');
  await t.rejects(readSources([root]), { code: 'SOURCE_ERROR', message: /helm is not on PATH/ });
});
