// Large inputs are read by worker threads: the uses (file:line, order), the object count and
// the first error must be exactly the sequential reader's. Workers are forced here (tiny
// slices, two threads) over generated repositories with several files, Lists, custom
// resources, documents only `yaml` reads, and broken ones.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { collectUses } from '../../src/engine/run.js';
import { slices } from '../../src/manifests/parallel-extract.js';

const pod = (name: string, image: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: team-${name.length % 3}
  labels: {app: ${name}}
spec:
  initContainers:
    - name: init
      image: ${image}-init
  containers:
    - {name: main, image: "${image}"}
${extra}`;

function repository(seed: number): Record<string, string> {
  let x = seed;
  const rand = (n: number) => ((x = (x * 1103515245 + 12345) % 2 ** 31), x % n);
  const files: Record<string, string> = {};
  for (let f = 0; f < 6; f++) {
    const docs: string[] = [];
    for (let d = 0; d < 30; d++) {
      const name = `app-${f}-${d}`;
      const image = `registry.example.com/team/${name}:v${rand(5)}`;
      switch (rand(6)) {
        case 0:
          docs.push(`# a comment only\n`);
          break;
        case 1:
          docs.push(`apiVersion: v1\nkind: List\nitems:\n  - ${pod(name, image).replace(/\n/g, '\n    ')}\n`);
          break;
        case 2:
          // Anchors: this document is read by `yaml`.
          docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}}\nspec:\n  template:\n    spec:\n      containers:\n        - &c {name: a, image: ${image}}\n        - *c\n`);
          break;
        case 3:
          docs.push(`apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: ${name}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: r\n          image: ${image}\n`);
          break;
        default:
          docs.push(pod(name, image));
      }
    }
    files[`apps/f${f}.yaml`] = docs.join('---\n');
  }
  return files;
}

async function write(t: { teardown(fn: () => unknown): void }, files: Record<string, string>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-parallel-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [f, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), text);
  }
  return dir;
}

async function both(dir: string) {
  const read = async (parallel: boolean) => {
    try {
      const r = await collectUses(['apps'], { cwd: dir, keepObjects: false, parallel: parallel ? { minBytes: 0, workers: 2 } : { minBytes: Infinity } });
      return { uses: r.uses.map(({ range: _r, ...u }) => u), manifests: r.manifests };
    } catch (err) {
      return { error: (err as Error).message, position: (err as { position?: unknown }).position };
    }
  };
  return { sequential: await read(false), parallel: await read(true) };
}

t.test('slices cut at document markers and carry where they start', async (t) => {
  const text = 'a: 1\n---\nb: 2\n---\nc: 3\n';
  const parts = slices('f.yaml', text, {}, 1);
  t.same(
    parts.map((p) => [p.text, p.base]),
    [
      ['a: 1\n', { offset: 0, line: 1 }],
      ['---\nb: 2\n', { offset: 5, line: 2 }],
      ['---\nc: 3\n', { offset: 14, line: 4 }],
    ],
  );
  t.equal(slices('f.yaml', '%YAML 1.2\n---\na: 1\n---\nb: 2\n', {}, 1).length, 1, 'directives: one slice');
});

t.test('generated repositories: the same uses, in the same order, as the sequential reader', async (t) => {
  for (const seed of [1, 2, 3]) {
    const dir = await write(t, repository(seed));
    const { sequential, parallel } = await both(dir);
    const count = sequential.uses?.length ?? 0;
    t.ok(count > 100, `seed ${seed}: ${count} uses`);
    t.same(parallel, sequential, `seed ${seed}`);
  }
});

t.test('the first error in input order, as the sequential reader reports it', async (t) => {
  const files = repository(4);
  // A broken document in the middle of the third file, and an invalid one later in the fourth.
  const docs = files['apps/f2.yaml']!.split('---\n');
  docs.splice(12, 0, 'key: [unclosed\n');
  files['apps/f2.yaml'] = docs.join('---\n');
  files['apps/f3.yaml'] += '---\nkey: "unterminated\n';
  const dir = await write(t, files);
  const { sequential, parallel } = await both(dir);
  t.match(sequential, { error: /^apps\/f2\.yaml:\d+:\d+: malformed YAML/ });
  t.same(parallel, sequential);
});
