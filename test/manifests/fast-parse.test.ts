// The fast read path (js-yaml with node events) against parseManifests (the `yaml` package):
// for every manifest of the test corpus, for generated manifests in many styles, and for
// random edits of them (errors included), both give the same objects, the same positions and
// the same image uses — or the same error at the same place.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import { extractImages } from '../../src/manifests/extract.js';
import { parseManifestsFast } from '../../src/manifests/fast-parse.js';
import { parseManifests } from '../../src/manifests/parse.js';
import type { ManifestObject } from '../../src/manifests/types.js';

const FILE = 'manifests.yaml';
// Fixed seeds keep CI deterministic; FAST_PARSE_SCALE=20 FAST_PARSE_SEED=n explores further by hand.
const SCALE = Number(process.env.FAST_PARSE_SCALE ?? 1);
const SEED = Number(process.env.FAST_PARSE_SEED ?? 20261127);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function read(parse: (text: string, file: string) => ManifestObject[], text: string) {
  let objects: ManifestObject[];
  try {
    objects = parse(text, FILE);
  } catch (err) {
    const e = err as Error & { position?: unknown };
    return { error: e.message, position: e.position };
  }
  return {
    objects: objects.map((o) => ({ line: o.line, column: o.column, object: o.object })),
    // `range` (byte offsets for `pin`) comes from the full parser only.
    uses: objects.flatMap((o) => extractImages(o)).map(({ range: _range, ...u }) => u),
  };
}

function agree(t: Test, text: string, name: string): boolean {
  const slow = read(parseManifests, text);
  const fast = read(parseManifestsFast, text);
  return t.same(fast, slow, name);
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === '.git' || name === 'dist') continue;
    const full = path.join(dir, name);
    const st = statSync(full, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) yamlFiles(full, out);
    else if (/\.(ya?ml|json)$/.test(name) && st.size < 5_000_000) out.push(full);
  }
  return out;
}

t.test('every YAML and JSON file of the corpus reads the same on both paths', async (t) => {
  const files = [...yamlFiles(path.join(root, 'test')), ...yamlFiles(path.join(root, 'examples')), ...yamlFiles(path.join(root, 'hooks')), ...yamlFiles(path.resolve(root, '../shared/fixtures'))];
  t.ok(files.length > 50, `${files.length} files`);
  let differ = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (!agree(t, text, path.relative(root, f))) differ++;
  }
  t.equal(differ, 0);
});

// --- generated manifests --------------------------------------------------------------------

const image = fc
  .tuple(fc.constantFrom('', 'ghcr.io/', 'registry.example.com:5000/', 'localhost/'), fc.constantFrom('nginx', 'acme/api', 'team/sub/worker'), fc.constantFrom('', ':1.25', ':v2.0.1', '@sha256:' + 'a'.repeat(64)))
  .map(([r, n, tag]) => `${r}${n}${tag}`);
const quote = fc.constantFrom<(s: string) => string>((s) => s, (s) => `"${s}"`, (s) => `'${s}'`);
const comment = fc.constantFrom('', ' # a comment', '   # {"note": "x"}', ' #');
/** Scalars where YAML schemas differ: the two paths must resolve them alike. */
const scalar = fc.constantFrom('1', '-1', '0o17', '0x1F', '0b101', '1e3', '-.5', '+.5', '.inf', '.NaN', 'null', '~', '', 'True', 'false', 'yes', 'on', '2024-01-01', '1_000', '12:30', '"quoted"', "'single'", 'plain text', '0.10', '007');
const labels = fc.dictionary(fc.constantFrom('app', 'tier', 'version', 'team', 'x'), scalar, { maxKeys: 4 });

const container = fc.record({ name: fc.constantFrom('app', 'side', 'init-db'), image, quote, comment, style: fc.constantFrom('block', 'flow', 'next-line', 'json') });
type Container = { name: string; image: string; quote: (s: string) => string; comment: string; style: string };

function containerText(c: Container, indent: string): string {
  switch (c.style) {
    case 'flow':
      return `${indent}- {name: ${c.name}, image: ${c.quote(c.image)}}${c.comment}\n`;
    case 'json':
      return `${indent}- {"name": "${c.name}", "image": "${c.image}"}\n`;
    case 'next-line':
      return `${indent}- name: ${c.name}${c.comment}\n${indent}  image:${c.comment}\n${indent}    ${c.quote(c.image)}\n`;
    default:
      return `${indent}- name: ${c.name}${c.comment}\n${indent}  image: ${c.quote(c.image)}${c.comment}\n`;
  }
}

const annotation = fc.constantFrom('', '    note: |\n      a block scalar\n      ---\n      with a marker-like line\n', '    note: >-\n      folded\n      text\n', '    note: "two\n      lines"\n', '    checksum: 0b101\n');

const doc = fc.record({
  kind: fc.constantFrom('Pod', 'Deployment', 'CronJob', 'ConfigMap', 'Rollout', 'TaskRun', 'List', 'Empty', 'Anchors'),
  containers: fc.array(container, { minLength: 1, maxLength: 3 }),
  init: fc.array(container, { maxLength: 2 }),
  volumeImage: fc.option(fc.tuple(image, quote), { nil: undefined }),
  header: comment,
  labels,
  annotation,
});
type Doc = { kind: string; containers: Container[]; init: Container[]; volumeImage?: [string, (s: string) => string]; header: string; labels: Record<string, string>; annotation: string };

function labelText(l: Record<string, string>, indent: string): string {
  const keys = Object.keys(l);
  return keys.length === 0 ? '' : `${indent}labels:\n${keys.map((k) => `${indent}  ${k}: ${l[k]}\n`).join('')}`;
}

function podSpec(d: Doc, indent: string): string {
  let text = `${indent}containers:\n${d.containers.map((c) => containerText(c, `${indent}  `)).join('')}`;
  if (d.init.length > 0) text = `${indent}initContainers:\n${d.init.map((c) => containerText(c, `${indent}  `)).join('')}` + text;
  if (d.volumeImage) {
    const [img, q] = d.volumeImage;
    text += `${indent}volumes:\n${indent}  - name: data\n${indent}    image:\n${indent}      reference: ${q(img)}\n`;
  }
  return text;
}

function docText(d: Doc, i: number): string {
  const meta = `metadata:\n  name: w${i}\n${labelText(d.labels, '  ')}${d.annotation ? `  annotations:\n${d.annotation}` : ''}`;
  switch (d.kind) {
    case 'Empty':
      return `# only a comment${d.header}\n`;
    case 'ConfigMap':
      return `apiVersion: v1${d.header}\nkind: ConfigMap\n${meta}data:\n  image: ${d.containers[0]!.image}\n  count: ${Object.values(d.labels)[0] ?? '3'}\n`;
    case 'Pod':
      return `apiVersion: v1${d.header}\nkind: Pod\n${meta}spec:\n${podSpec(d, '  ')}`;
    case 'CronJob':
      return `apiVersion: batch/v1\nkind: CronJob\n${meta}spec:\n  schedule: "@daily"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${podSpec(d, '          ')}`;
    case 'Rollout':
      return `apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n${meta}spec:\n  template:\n    spec:\n${podSpec(d, '      ')}`;
    case 'TaskRun':
      return `apiVersion: tekton.dev/v1\nkind: TaskRun\n${meta}spec:\n  taskSpec:\n    steps:\n${d.containers.map((c) => containerText(c, '      ')).join('')}`;
    case 'List':
      return `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: listed${i}}\n    spec:\n${podSpec(d, '      ')}  - apiVersion: v1\n    kind: Service\n    metadata: {name: svc}\n`;
    case 'Anchors':
      return `apiVersion: apps/v1\nkind: Deployment\n${meta}spec:\n  template:\n    spec:\n      containers:\n        - &main\n          name: app\n          image: ${d.containers[0]!.image}\n        - <<: *main\n          name: copy\n`;
    default:
      return `apiVersion: apps/v1\nkind: Deployment${d.header}\n${meta}spec:\n  replicas: ${Object.values(d.labels)[0] ?? 2}\n  template:\n    metadata:\n${labelText(d.labels, '      ')}    spec:\n${podSpec(d, '      ')}`;
  }
}

const file = fc
  .record({ docs: fc.array(doc, { minLength: 1, maxLength: 4 }), crlf: fc.boolean(), lead: fc.constantFrom('', '---\n', '# file comment\n---\n', '--- # marker comment\n'), sep: fc.constantFrom('---\n', '---\n\n', '--- \n# between\n') })
  .map(({ docs, crlf, lead, sep }) => {
    const text = lead + docs.map(docText).join(sep);
    return crlf ? text.replace(/\n/g, '\r\n') : text;
  });

t.test('generated manifests: same objects, positions and uses (fast-check)', async (t) => {
  fc.assert(
    fc.property(file, (text) => {
      const sub = { same: (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b) };
      void sub;
      const slow = read(parseManifests, text);
      const fast = read(parseManifestsFast, text);
      if (!t.same(fast, slow, 'agree', { text } as object)) throw new Error(`disagree on:\n${text}`);
    }),
    { numRuns: 400 * SCALE, seed: SEED },
  );
});

t.test('random edits (broken YAML included): same result or the same error at the same place', async (t) => {
  const edit = fc.tuple(file, fc.array(fc.tuple(fc.nat(), fc.constantFrom('', ':', '-', ' ', '\t', '[', ']', '{', '}', '"', "'", '#', '&a ', '*a', '!', '|', '>', '\n', '  ', '---\n', '? ', ',', '%', '@', '`')), { minLength: 1, maxLength: 3 }));
  fc.assert(
    fc.property(edit, ([text, edits]) => {
      let s = text;
      for (const [at, insert] of edits) {
        const i = at % (s.length + 1);
        // Insert, or replace one character when the insertion is empty.
        s = insert === '' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + insert + s.slice(i);
      }
      const slow = read(parseManifests, s);
      const fast = read(parseManifestsFast, s);
      if (!t.same(fast, slow, 'agree', { text: s } as object)) throw new Error(`disagree on:\n${s}`);
    }),
    { numRuns: 1500 * SCALE, seed: SEED + 1 },
  );
});
