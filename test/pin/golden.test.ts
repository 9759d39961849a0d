// Golden tests of the YAML editor over a corpus of real-world shapes (test/pin/corpus):
// only the image scalars change, checked byte for byte against the *.pinned.* files.
// Verification is not under test here: the Result is built by hand (see helpers.ts).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { applyPlan } from '../../src/pin/apply.js';
import { traceUses } from '../../src/pin/collect.js';
import { planPins, type HelmMapping } from '../../src/pin/plan.js';
import { readIfPresent } from '../../src/pin/pin.js';
import type { Status } from '../../src/engine/result.js';
import { digestOf, resultFor } from './helpers.js';

const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');
const UPDATE = process.env.GOLDEN_UPDATE === '1';

async function copyCorpus(t: Test, sub: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-pin-golden-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(path.join(CORPUS, sub), dir, { recursive: true });
  return dir;
}

const read = readIfPresent;

async function pinDir(dir: string, inputs: string[], statuses: Record<string, Status> = {}, helm: HelmMapping[] = [], extra: string[] = []) {
  const uses = await traceUses(inputs, dir);
  const result = resultFor([...uses.map((u) => u.use.image), ...extra], statuses);
  const plan = await planPins({ result, uses, helm, read, show: (f) => path.relative(dir, f) });
  return applyPlan(plan);
}

/** Compares with the golden file (or writes it with GOLDEN_UPDATE=1). */
async function golden(t: Test, name: string, actual: string, transform = (s: string) => s) {
  const file = path.join(CORPUS, name);
  if (UPDATE) await writeFile(file, actual.replace(/\r\n/g, '\n'));
  t.equal(actual, transform(await readFile(file, 'utf8')), `${name} byte for byte`);
}

/** Removing what pinning added gives the original back: nothing else moved. */
function onlyDigestsAdded(t: Test, before: string, after: string, images: string[]) {
  let restored = after;
  for (const image of images) restored = restored.replaceAll(`@${digestOf(image)}`, '');
  t.equal(restored, before, 'only @digest suffixes were added');
}

t.test('plain manifests: comments, quoting, flow style, anchors, image volumes, lists, Flux markers', async (t) => {
  const dir = await copyCorpus(t, 'manifests');
  const { files, pin } = await pinDir(dir, ['comments.yaml'], { 'ghcr.io/acme/migrate:v2': 'fail' });
  t.equal(files.length, 1);
  const f = files[0]!;
  await golden(t, 'manifests/comments.pinned.yaml', f.after);
  onlyDigestsAdded(t, f.before, f.after, ['nginx:1.25', 'registry.example.com:5000/tools/sidecar:1.0', 'ghcr.io/acme/models:2025-01', 'ghcr.io/acme/job:3.1']);
  t.same(
    pin.changes['comments.yaml']!.map((c) => [c.line, c.from, c.target]),
    [
      [23, 'nginx:1.25', 'manifest'],
      [25, 'registry.example.com:5000/tools/sidecar:1.0', 'manifest'],
      [35, 'ghcr.io/acme/models:2025-01', 'manifest'],
      [63, 'ghcr.io/acme/job:3.1', 'manifest'],
    ],
  );
  t.match(pin.changes['comments.yaml']![0]!.use, /Deployment prod\/web \(web\)/);
  const reasons = Object.fromEntries(pin.skipped.map((s) => [s.image, s.reason]));
  t.match(reasons['ghcr.io/acme/migrate:v2'], /^fail: no signature/, 'a failed image is listed with its reason, not pinned');
  t.match(reasons['ghcr.io/acme/auto:1.0'], /Flux/, 'the $imagepolicy line is left to Flux');
  t.notOk(f.after.includes('migrate:v2@'), 'failed image untouched');
  t.ok(f.after.includes('image: *webimg\n'), 'the alias stays an alias and follows its anchor');
});

t.test('JSON manifests and block scalars', async (t) => {
  const dir = await copyCorpus(t, 'manifests');
  const { files } = await pinDir(dir, ['flow.json', 'block.yaml']);
  const byName = Object.fromEntries(files.map((f) => [f.file, f]));
  await golden(t, 'manifests/flow.pinned.json', byName['flow.json']!.after);
  await golden(t, 'manifests/block.pinned.yaml', byName['block.yaml']!.after);
  t.same(JSON.parse(byName['flow.json']!.after).spec.containers[1].image, `busybox@${digestOf('busybox')}`, 'a tagless image keeps its spelling');
  onlyDigestsAdded(t, byName['block.yaml']!.before, byName['block.yaml']!.after, ['ghcr.io/acme/literal:1.0', 'ghcr.io/acme/folded:1.0', 'ghcr.io/acme/tagless']);
});

t.test('CRLF line endings survive', async (t) => {
  const dir = await copyCorpus(t, 'manifests');
  const file = path.join(dir, 'crlf.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace(/\n/g, '\r\n'));
  const { files } = await pinDir(dir, ['crlf.yaml']);
  const after = files[0]!.after;
  await golden(t, 'manifests/crlf.pinned.yaml', after, (s) => s.replace(/\n/g, '\r\n'));
  t.notMatch(after, /[^\r]\n/, 'every line still ends with CRLF');
});

t.test('kustomization images: newTag gets tag@digest in the overlay; the base file is pinned where no entry applies', async (t) => {
  const dir = await copyCorpus(t, 'kustomize');
  const { files, pin } = await pinDir(dir, ['overlay']);
  const byName = Object.fromEntries(files.map((f) => [f.file, f]));
  t.same(Object.keys(byName).sort(), ['base/deployment.yaml', 'overlay/kustomization.yaml']);
  await golden(t, 'kustomize/overlay/kustomization.pinned.yaml', byName['overlay/kustomization.yaml']!.after);
  await golden(t, 'kustomize/base/deployment.pinned.yaml', byName['base/deployment.yaml']!.after);
  const k = pin.changes['overlay/kustomization.yaml']![0]!;
  t.same([k.image, k.from, k.to, k.target], ['ghcr.io/acme/api-server:2.4.0', '2.4.0', `2.4.0@${digestOf('ghcr.io/acme/api-server:2.4.0')}`, 'kustomization']);
  t.notOk(byName['overlay/kustomization.yaml']!.after.includes('digest:'), 'never both newTag and digest');
});

t.test('Helm values: the digest key when the chart has one, else tag@digest', async (t) => {
  const dir = await copyCorpus(t, 'helm');
  const values = path.join(dir, 'values.yaml');
  const helm = [
    { values, image: 'image' },
    { values, image: 'worker.image' },
    { values, image: 'missing.image' },
  ];
  const { files, pin } = await pinDir(dir, [], {}, helm, ['ghcr.io/acme/web:1.25', 'ghcr.io/acme/worker:3.2.1']);
  await golden(t, 'helm/values.pinned.yaml', files[0]!.after);
  t.same(
    pin.changes['values.yaml']!.map((c) => [c.line, c.from, c.to]),
    [
      [8, '', digestOf('ghcr.io/acme/web:1.25')],
      [14, '3.2.1', `3.2.1@${digestOf('ghcr.io/acme/worker:3.2.1')}`],
    ],
  );
  t.match(pin.skipped, [{ image: 'missing.image', reason: /no image map/ }]);
});

t.test('pinning twice is a no-op', async (t) => {
  const dir = await copyCorpus(t, 'manifests');
  const first = await pinDir(dir, ['comments.yaml']);
  await writeFile(path.join(dir, 'comments.yaml'), first.files[0]!.after);
  const second = await pinDir(dir, ['comments.yaml']);
  t.same(second.files, [], 'no file changes the second time');
  t.same(second.pin.changes, {});
});
