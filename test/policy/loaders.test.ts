import { readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { loaders, loadPolicies } from '../../src/policy/loaders.js';
import { load, projectRoot } from './helpers.js';

t.test('the loader map lists exactly the format folders under src/policy/', async (t) => {
  const dir = path.join(projectRoot, 'src/policy');
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  t.same(Object.keys(loaders).sort(), folders);
  for (const name of folders) {
    const files = readdirSync(path.join(dir, name));
    t.ok(files.includes('load.ts'), `${name}/load.ts exists`);
    t.type(loaders[name]!.load, 'function');
  }
});

const CIP = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: a}
spec:
  images: [{glob: "**"}]
  authorities: [{static: {action: pass}}]
`;

t.test('multi-document files: other kinds ignored, order kept, lines per document', async (t) => {
  const text = `# policies
${CIP}---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
---
${CIP.replace('name: a', 'name: b')}`;
  const ps = loadPolicies([{ file: 'p.yaml', text }, { file: 'q.yaml', text: CIP.replace('name: a', 'name: c') }]);
  t.same(ps.map((p) => p.name), ['a', 'b', 'c']);
  t.same(ps.map((p) => [p.file, p.line]), [['p.yaml', 2], ['p.yaml', 13], ['q.yaml', 1]]);
  t.equal(ps[1]!.rules[0]!.line, 16, 'rule line inside the second document');
});

t.test('kind: List items are loaded', async (t) => {
  const text = `apiVersion: v1
kind: List
items:
  - apiVersion: policy.sigstore.dev/v1beta1
    kind: ClusterImagePolicy
    metadata: {name: listed}
    spec:
      images: [{glob: "**"}]
      authorities: [{static: {action: pass}}]
`;
  const [p] = load(text);
  t.equal(p!.name, 'listed');
  t.equal(p!.line, 4);
});

t.test('invalid YAML and alias bombs are policy errors with a line', async (t) => {
  t.throws(() => load('a: 1\nb: [\n'), { code: 'POLICY_ERROR' });
  t.throws(() => load('apiVersion: v1\nkind: X\nkind: Y\n'), { code: 'POLICY_ERROR', source: { line: 3 } }, 'duplicate key');
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i++) bomb.push(`${'b'.repeat(i)}: &${'b'.repeat(i)} [${Array(10).fill(i === 1 ? '*a' : `*${'b'.repeat(i - 1)}`).join(', ')}]`);
  t.throws(() => load(bomb.join('\n')), { code: 'POLICY_ERROR' });
});

t.test('empty files and documents load nothing', async (t) => {
  t.same(load(''), []);
  t.same(load('---\n---\n# only a comment\n'), []);
});
