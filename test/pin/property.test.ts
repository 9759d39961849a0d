// Property-based tests (fast-check) of the YAML editor: for generated manifests in many
// styles, pinning then parsing gives the same data except the pinned images, and pinning
// the result again changes nothing. Files are kept in memory; the Result is built by hand.
import fc from 'fast-check';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { extractImages } from '../../src/manifests/extract.js';
import { parseManifests } from '../../src/manifests/parse.js';
import { applyPlan } from '../../src/pin/apply.js';
import { planPins, type TracedUse } from '../../src/pin/plan.js';
import { digestOf, resultFor } from './helpers.js';

const FILE = '/virtual/manifests.yaml';

const image = fc
  .tuple(
    fc.constantFrom('', 'ghcr.io/', 'registry.example.com:5000/', 'localhost/'),
    fc.constantFrom('nginx', 'acme/api', 'team/sub/worker'),
    fc.constantFrom('', ':1.25', ':v2.0.1', ':latest', ':2025-01-01'),
  )
  .map(([r, n, tag]) => `${r}${n}${tag}`);

const quote = fc.constantFrom<(s: string) => string>((s) => s, (s) => `"${s}"`, (s) => `'${s}'`);
const comment = fc.constantFrom('', ' # a comment', '   # {"note": "x"}', ' #');

const container = fc.record({ name: fc.constantFrom('app', 'side', 'init-db'), image, quote, comment, flow: fc.boolean() });

function containerText(c: { name: string; image: string; quote: (s: string) => string; comment: string; flow: boolean }, indent: string): string {
  if (c.flow) return `${indent}- {name: ${c.name}, image: ${c.quote(c.image)}}${c.comment}\n`;
  return `${indent}- name: ${c.name}${c.comment}\n${indent}  image: ${c.quote(c.image)}${c.comment}\n`;
}

const doc = fc.record({
  kind: fc.constantFrom('Pod', 'Deployment', 'CronJob', 'ConfigMap'),
  containers: fc.array(container, { minLength: 1, maxLength: 3 }),
  volumeImage: fc.option(fc.tuple(image, quote), { nil: undefined }),
  header: comment,
});

function docText(d: { kind: string; containers: Array<Parameters<typeof containerText>[0]>; volumeImage?: [string, (s: string) => string]; header: string }, i: number): string {
  if (d.kind === 'ConfigMap') return `apiVersion: v1${d.header}\nkind: ConfigMap\nmetadata:\n  name: cm${i}\ndata:\n  image: ${d.containers[0]!.image}\n`;
  const [apiVersion, specIndent, prefix] =
    d.kind === 'Pod'
      ? ['v1', '  ', 'spec:\n']
      : d.kind === 'Deployment'
        ? ['apps/v1', '      ', 'spec:\n  template:\n    spec:\n']
        : ['batch/v1', '          ', 'spec:\n  schedule: "@daily"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n'];
  let text = `apiVersion: ${apiVersion}${d.header}\nkind: ${d.kind}\nmetadata:\n  name: w${i}\n${prefix}`;
  text += `${specIndent}containers:\n`;
  for (const c of d.containers) text += containerText(c, `${specIndent}  `);
  if (d.volumeImage) {
    const [img, q] = d.volumeImage;
    text += `${specIndent}volumes:\n${specIndent}  - name: data\n${specIndent}    image:\n${specIndent}      reference: ${q(img)}\n`;
  }
  return text;
}

const file = fc
  .record({ docs: fc.array(doc, { minLength: 1, maxLength: 4 }), crlf: fc.boolean(), lead: fc.constantFrom('', '---\n', '# file comment\n---\n') })
  .map(({ docs, crlf, lead }) => {
    const text = lead + docs.map(docText).join('---\n');
    return crlf ? text.replace(/\n/g, '\r\n') : text;
  });

async function pin(text: string) {
  const uses: TracedUse[] = parseManifests(text, FILE).flatMap((o) => extractImages(o)).map((use) => ({ use, file: FILE }));
  const result = resultFor(uses.map((u) => u.use.image));
  const plan = await planPins({ result, uses, read: async (f) => (f === FILE ? text : undefined), show: () => 'manifests.yaml' });
  const { files } = applyPlan(plan);
  return { after: files[0]?.after ?? text, images: uses.map((u) => u.use.image) };
}

/** The expected data: every workload image string gets @digest, nothing else changes. */
function expectedData(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => {
    const data = d.toJS() as Record<string, unknown>;
    if (data && data.kind !== 'ConfigMap') {
      const walk = (v: unknown, key?: string): unknown => {
        if (Array.isArray(v)) return v.map((x) => walk(x));
        if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
        if ((key === 'image' || key === 'reference') && typeof v === 'string') return `${v}@${digestOf(v)}`;
        return v;
      };
      return walk(data);
    }
    return data;
  });
}

t.test('pinning then parsing gives the same data except the pinned images', async (t) => {
  await fc.assert(
    fc.asyncProperty(file, async (text) => {
      const { after } = await pin(text);
      const actual = parseAllDocuments(after).map((d) => d.toJS());
      t.same(actual, expectedData(text));
      const eol = text.includes('\r\n') ? /\r\n/g : /\n/g;
      t.equal((after.match(eol) ?? []).length, (text.match(eol) ?? []).length, 'same number of lines');
      return JSON.stringify(actual) === JSON.stringify(expectedData(text));
    }),
    { numRuns: 150, seed: 5 },
  );
});

t.test('pinning twice is a no-op', async (t) => {
  await fc.assert(
    fc.asyncProperty(file, async (text) => {
      const once = (await pin(text)).after;
      const twice = (await pin(once)).after;
      t.equal(twice, once);
      return twice === once;
    }),
    { numRuns: 100, seed: 7 },
  );
});
