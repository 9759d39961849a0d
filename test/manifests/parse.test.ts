import t from 'tap';
import { thrown } from '../helpers/errors.js';
import { parseManifests } from '../../src/manifests/parse.js';
import { ManifestError } from '../../src/manifests/types.js';


t.test('multi-document YAML: Kubernetes objects with their start line', async (t) => {
  const text = [
    '# leading comment',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: a}',
    '---',
    '---',
    'just: some yaml',
    '---',
    '- a list',
    '---',
    'plain scalar',
    '---',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: b',
    '--- # comment',
    'kind: NoApiVersion',
    '...',
    '',
  ].join('\n');
  const objs = parseManifests(text, 'm.yaml');
  t.same(
    objs.map((o) => [o.file, o.line, o.column, (o.object.metadata as { name: string }).name]),
    [
      ['m.yaml', 2, 1, 'a'],
      ['m.yaml', 13, 1, 'b'],
    ],
  );
  t.equal(JSON.stringify(objs[0]), JSON.stringify({ file: 'm.yaml', line: 2, column: 1, object: objs[0]!.object }), 'parser handles are not serialised');
  t.ok(objs[0]!.yaml, 'parser handles are available');
});

t.test('JSON input and kind: List / *List items are flattened with their own lines', async (t) => {
  const json = '{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "p"}\n}\n';
  t.same(parseManifests(json, 'p.json').map((o) => [o.line, o.object.kind]), [[1, 'Pod']]);

  const list = [
    'apiVersion: v1',
    'kind: List',
    'items:',
    '- apiVersion: v1',
    '  kind: Pod',
    '  metadata: {name: one}',
    '- not: an object',
    '- apiVersion: apps/v1',
    '  kind: Deployment',
    '  metadata: {name: two}',
    '---',
    'apiVersion: v1',
    'kind: PodList',
    'items: [{apiVersion: v1, kind: Pod, metadata: {name: three}}]',
  ].join('\n');
  t.same(
    parseManifests(list, 'l.yaml').map((o) => [o.line, o.column, o.object.kind, (o.object.metadata as { name: string }).name]),
    [
      [4, 3, 'Pod', 'one'],
      [8, 3, 'Deployment', 'two'],
      [14, 9, 'Pod', 'three'],
    ],
  );
  // A kind that ends in List but has no items array is an ordinary object.
  t.equal(parseManifests('apiVersion: x/v1\nkind: AllowList\nspec: {}\n', 'x.yaml').length, 1);
});

t.test('merge keys are honoured, as Kubernetes (go-yaml) does', async (t) => {
  const text = ['base: &b {image: nginx:1}', 'apiVersion: v1', 'kind: Pod', 'spec:', '  containers:', '  - <<: *b', '    name: c'].join('\n');
  const [obj] = parseManifests(text, 'm.yaml');
  t.same((obj!.object.spec as { containers: unknown[] }).containers, [{ image: 'nginx:1', name: 'c' }]);
});

t.test('malformed YAML throws ManifestError at file:line:column', async (t) => {
  const text = 'apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: [Pod\n';
  const e = thrown(() => parseManifests(text, 'bad.yaml'));
  t.ok(e instanceof ManifestError);
  t.equal((e as ManifestError).code, 'MANIFEST_ERROR');
  t.equal((e as ManifestError).position.file, 'bad.yaml');
  t.ok((e as ManifestError).position.line >= 5, 'points into the second document');
  t.match((e as ManifestError).message, /^bad\.yaml:\d+:\d+: /);

  const tab = thrown(() => parseManifests('a: 1\n\tb: 2\n', 'tab.yaml')) as ManifestError;
  t.same([tab.code, tab.position.line], ['MANIFEST_ERROR', 2]);

  const dup = thrown(() => parseManifests('apiVersion: v1\nkind: Pod\nkind: Pod\n', 'dup.yaml')) as ManifestError;
  t.same([dup.code, dup.position.line], ['MANIFEST_ERROR', 3], 'duplicate keys are an error, as in kubectl');
});

t.test('alias bombs are refused', async (t) => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  const names = 'abcdefghij';
  for (let i = 1; i < names.length; i++) {
    const prev = names[i - 1];
    lines.push(`${names[i]}: &${names[i]} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
  }
  lines.push('apiVersion: v1', 'kind: ConfigMap');
  const started = Date.now();
  const e = thrown(() => parseManifests(lines.join('\n'), 'bomb.yaml')) as ManifestError;
  t.ok(e instanceof ManifestError, 'ManifestError');
  t.equal(e.code, 'MANIFEST_ERROR');
  t.ok(Date.now() - started < 5000, 'refused without expanding');
});

t.test('a large corpus parses (sanity, no timing assertion)', async (t) => {
  const doc = (i: number) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: ghcr.io/acme/app-${i}:1.0\n`;
  const text = Array.from({ length: 10_000 }, (_, i) => doc(i)).join('---\n');
  const objs = parseManifests(text, 'big.yaml');
  t.equal(objs.length, 10_000);
  t.equal(objs[9_999]!.line, 9_999 * 11 + 1);
});
