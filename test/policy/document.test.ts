// Policy files read with js-yaml (node events give every line) against the `yaml` package's
// reading: for every YAML and JSON file of the test corpus and the shared fixtures, and for
// random edits of the policies among them (errors included), both give the same objects and
// the same line for every path — or the same error at the same line.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import t from 'tap';
import { fastPolicyDocuments, parsePolicyDocuments, yamlPolicyDocuments, type Path, type PolicyDocument } from '../../src/policy/document.js';

const FILE = 'policy.yaml';
const SCALE = Number(process.env.FAST_PARSE_SCALE ?? 1);
const SEED = Number(process.env.FAST_PARSE_SEED ?? 20261127);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every path into a value, and one past each mapping and list (a missing field's line is its parent's). */
function paths(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) {
    value.forEach((v, i) => paths(v, [...at, i], out));
    out.push([...at, value.length]);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out);
    out.push([...at, 'notAField']);
  }
  return out;
}

function read(parse: (text: string, file: string) => PolicyDocument[], text: string) {
  let docs: PolicyDocument[];
  try {
    docs = parse(text, FILE);
  } catch (err) {
    return { error: (err as Error).message };
  }
  return docs.map((d) => ({ file: d.file, line: d.line, value: d.value, lines: paths(d.value).map((p) => `${p.join('.')}:${d.lineOf(p)}`) }));
}

function files(dir: string, out: string[] = []): string[] {
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
    if (st.isDirectory()) files(full, out);
    else if (/\.(ya?ml|json)$/.test(name) && st.size < 1_000_000) out.push(full);
  }
  return out;
}

const corpus = [...files(path.join(root, 'test')), ...files(path.join(root, 'examples')), ...files(path.resolve(root, '../shared/fixtures'))];

t.test('every YAML and JSON file of the corpus: the same objects and lines on both paths', async (t) => {
  let fast = 0;
  let yamlFiles = 0;
  for (const file of corpus) {
    const text = readFileSync(file, 'utf8');
    // JSON spreads flow collections over lines: `yaml` reads it (see NodeEvents).
    if (!file.endsWith('.json')) {
      yamlFiles++;
      if (fastPolicyDocuments(text, FILE) !== undefined) fast++;
    }
    t.same(read(parsePolicyDocuments, text), read(yamlPolicyDocuments, text), path.relative(root, file));
  }
  t.ok(fast >= yamlFiles * 0.9, `js-yaml read the YAML files (${fast} of ${yamlFiles})`);
});

t.test('what js-yaml leaves to `yaml`: anchors, merge keys, empty items, flow keys without value, null keys, multi-line flow', async (t) => {
  for (const text of [
    'a: &x 1\nb: *x\n',
    'base: &b {k: 1}\nm:\n  <<: *b\n',
    'l:\n  -\n  - x\n',
    'm: {a, b: 1}\n',
    '~: 1\n',
    'm: {a: 1,\n  b: 2}\n',
    '%YAML 1.2\n---\na: 1\n',
  ]) {
    t.equal(fastPolicyDocuments(text, FILE), undefined, JSON.stringify(text));
    t.same(read(parsePolicyDocuments, text), read(yamlPolicyDocuments, text));
  }
  const plain = 'apiVersion: kyverno.io/v1\nkind: ClusterPolicy\n---\n# c\nspec:\n  rules:\n    - name: r\n      verifyImages: []\n';
  const docs = fastPolicyDocuments(plain, FILE);
  t.ok(docs, 'block YAML is read by js-yaml');
  t.same(docs!.map((d) => [d.line, d.lineOf(['spec', 'rules', 0, 'verifyImages'])]), [[1, 1], [5, 8]]);
});

t.test('random edits of the corpus policies (broken YAML included): same result or the same error', async (t) => {
  const policies = corpus.map((f) => readFileSync(f, 'utf8')).filter((s) => /kind: *(ClusterPolicy|Policy|ImageValidatingPolicy|ClusterImagePolicy)/.test(s) && s.length < 20_000);
  // The project's own tests and examples hold a few; the shared corpus (absent in a plain clone) many more.
  t.ok(policies.length > (existsSync(path.resolve(root, '../shared/fixtures')) ? 10 : 5), `${policies.length} policies to edit`);
  let fastRuns = 0;
  const edit = fc.tuple(
    fc.constantFrom(...policies),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('', ':', '-', ' ', '\t', '[', ']', '{', '}', '"', "'", '#', '&a ', '*a', '!', '|', '>', '\n', '  ', '---\n', '? ', ',', '%', '~', '- ', '\n-\n')), { minLength: 1, maxLength: 3 }),
  );
  fc.assert(
    fc.property(edit, ([text, edits]) => {
      let s = text;
      for (const [at, insert] of edits) {
        const i = at % (s.length + 1);
        s = insert === '' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + insert + s.slice(i);
      }
      if (fastPolicyDocuments(s, FILE) !== undefined) fastRuns++;
      if (!t.same(read(parsePolicyDocuments, s), read(yamlPolicyDocuments, s), 'agree', { text: s } as object)) throw new Error(`disagree on:\n${s}`);
    }),
    { numRuns: 1500 * SCALE, seed: SEED + 2 },
  );
  // Edits that send every text to `yaml` would make the comparison trivial: a good share (56 % with the fixed seed) must stay on js-yaml.
  t.ok(fastRuns > 600 * SCALE, `js-yaml read ${fastRuns} of the ${1500 * SCALE} edited texts`);
});

t.test('merge keys are merged, as kubectl (go-yaml) reads them: explicit keys win, lines fall back to the mapping', async (t) => {
  const { loadPolicies } = await import('../../src/policy/loaders.js');
  const text = [
    'apiVersion: policy.sigstore.dev/v1beta1',
    'kind: ClusterImagePolicy',
    'metadata: {name: merged}',
    'spec:',
    '  images: [{glob: "ghcr.io/acme/**"}]',
    '  authorities:',
    '    - &keyless',
    '      name: first',
    '      keyless:',
    '        identities: [{issuer: "https://token.actions.githubusercontent.com", subject: "https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main"}]',
    '    - <<: *keyless',
    '      name: second',
    '',
  ].join('\n');
  const [doc] = parsePolicyDocuments(text, FILE);
  const authorities = (doc!.value.spec as { authorities: Record<string, unknown>[] }).authorities;
  t.same(authorities[1], { ...authorities[0], name: 'second' });
  t.equal(doc!.lineOf(['spec', 'authorities', 1, 'name']), 12);
  t.equal(doc!.lineOf(['spec', 'authorities', 1, 'keyless']), 11, 'a merged key: the line of the mapping that merges it');
  const [policy] = loadPolicies([{ file: FILE, text }]);
  t.equal(policy!.name, 'merged', 'no unknown field "<<"');
});
