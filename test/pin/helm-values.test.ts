// Helm values pinned without a config mapping: the image maps that produced a rendered image
// are found in the chart's values layers. Golden files (test/pin/corpus/helm-*, bitnami) checked
// byte for byte. Verification is not under test here: the Result is built by hand (helpers.ts);
// rendering is not either (the rendered Deployment is written by the test; see
// test/cli/pin-helm.test.ts for the FAKE helm end to end).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import type { Status } from '../../src/engine/result.js';
import { applyPlan } from '../../src/pin/apply.js';
import { traceUses } from '../../src/pin/collect.js';
import { chartOf } from '../../src/pin/helm-charts.js';
import { findValuesImages } from '../../src/pin/helm-values.js';
import { readIfPresent } from '../../src/pin/pin.js';
import { type HelmMapping, planPins } from '../../src/pin/plan.js';
import type { AppSource } from '../../src/sources/argocd-source.js';
import { digestOf, resultFor } from './helpers.js';

const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'corpus');
const UPDATE = process.env.GOLDEN_UPDATE === '1';

async function copyCorpus(t: Test, sub: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-pin-helm-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(path.join(CORPUS, sub), path.join(dir, 'chart'), { recursive: true });
  return dir;
}

async function golden(t: Test, name: string, actual: string) {
  const file = path.join(CORPUS, name);
  if (UPDATE) await writeFile(file, actual);
  t.equal(actual, await readFile(file, 'utf8'), `${name} byte for byte`);
}

const deployment = (images: string[]) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: rendered\nspec:\n  template:\n    spec:\n      containers:\n${images.map((image, i) => `      - name: c${i}\n        image: ${image}\n`).join('')}`;

/** What `helm template` would print for `images`, traced back to the chart in `dir/chart`. */
async function pinChart(dir: string, images: string[], opts: { source?: AppSource; statuses?: Record<string, Status>; helm?: HelmMapping[] } = {}) {
  const rendered = path.join(dir, 'rendered.yaml');
  await writeFile(rendered, deployment(images));
  const chart = await chartOf(path.join(dir, 'chart'), opts.source ?? {});
  const uses = await traceUses([rendered], dir, new Map([[rendered, chart]]));
  const result = resultFor(images, opts.statuses);
  const plan = await planPins({ result, uses, helm: opts.helm, read: readIfPresent, show: (f) => path.relative(dir, f) });
  return applyPlan(plan);
}

t.test('helm create chart: the empty tag falls back to appVersion and becomes appVersion@digest', async (t) => {
  const dir = await copyCorpus(t, 'helm-create');
  const { files, pin } = await pinChart(dir, ['nginx:1.16.0']);
  t.equal(files.length, 1);
  await golden(t, 'helm-create/values.pinned.yaml', files[0]!.after);
  t.same(pin.changes['chart/values.yaml']!.map((c) => [c.line, c.from, c.to, c.target, c.use]), [[14, '', `1.16.0@${digestOf('nginx:1.16.0')}`, 'helm', 'image']]);
  t.same(pin.skipped, []);
  t.equal(files[0]!.after.replace(`1.16.0@${digestOf('nginx:1.16.0')}`, ''), files[0]!.before, 'only the tag scalar changed');
});

t.test('helm create chart: a rendered tag that is not appVersion matches no values map and is reported', async (t) => {
  const dir = await copyCorpus(t, 'helm-create');
  const { files, pin } = await pinChart(dir, ['nginx:1.27']);
  t.same(files, []);
  t.match(pin.skipped, [{ image: 'nginx:1.27', file: 'chart', reason: /no values image map .* yields this image/ }]);
});

t.test('Bitnami chart: digest: "" keys gain the digest (Docker Hub normalised); a failed image and an unrendered map stay', async (t) => {
  const dir = await copyCorpus(t, 'bitnami');
  const web = 'bitnami/nginx:1.25.4-debian-12-r3'; // rendered without docker.io: still the same image
  const exporter = 'docker.io/bitnami/nginx-exporter:1.1.0-debian-12-r5';
  const { files, pin } = await pinChart(dir, [web, exporter], { statuses: { [exporter]: 'fail' } });
  t.equal(files.length, 1);
  await golden(t, 'bitnami/values.pinned.yaml', files[0]!.after);
  t.same(pin.changes['chart/values.yaml']!.map((c) => [c.line, c.from, c.to, c.use]), [[33, '', digestOf(web), 'image']]);
  t.match(pin.skipped, [{ image: exporter, status: 'fail', reason: /^fail: / }]);
  t.ok(files[0]!.after.includes("    digest: ''\n"), 'the failed exporter keeps its empty digest');
  t.ok(files[0]!.after.includes('    repository: bitnami/git\n    tag: 2.44.0-debian-12-r1\n    digest: ""\n'), 'the git image was not rendered: untouched');
});

t.test('digest-capable chart with a prod values file: digest where the tag is set, else tag@digest in the file that sets it', async (t) => {
  const dir = await copyCorpus(t, 'helm-layers');
  const images = ['ghcr.io/acme/api:2.0', 'ghcr.io/acme/worker:1.1', 'quay.io/acme/proxy:v3'];
  const { files, pin } = await pinChart(dir, images, { source: { helm: { valueFiles: ['values-prod.yaml'] } } });
  const byName = Object.fromEntries(files.map((f) => [f.file, f.after]));
  t.same(Object.keys(byName).sort(), ['chart/values-prod.yaml', 'chart/values.yaml']);
  await golden(t, 'helm-layers/values.pinned.yaml', byName['chart/values.yaml']!);
  await golden(t, 'helm-layers/values-prod.pinned.yaml', byName['chart/values-prod.yaml']!);
  t.same(pin.changes['chart/values.yaml']!.map((c) => [c.line, c.use, c.to]), [
    [5, 'api.image', digestOf(images[0]!)],
    [11, 'proxy', `v3@${digestOf(images[2]!)}`],
  ]);
  t.same(pin.changes['chart/values-prod.yaml']!.map((c) => [c.line, c.from, c.to]), [[4, '1.1', `1.1@${digestOf(images[1]!)}`]], 'the worker digest key sits under an older layer: the prod tag is pinned');
  t.same(pin.skipped, []);
});

t.test('a tag set by a Helm parameter is reported, not pinned in a values file', async (t) => {
  const dir = await copyCorpus(t, 'helm-layers');
  const { files, pin } = await pinChart(dir, ['ghcr.io/acme/api:2.1'], { source: { helm: { parameters: [{ name: 'api.image.tag', value: '2.1' }] } } });
  t.same(files, []);
  t.match(pin.skipped, [{ image: 'ghcr.io/acme/api:2.1', reason: /set by the Helm parameter api\.image\.tag=2\.1/ }]);
});

t.test('ambiguous: two values maps yield the image, nothing is edited; an explicit pin.helm image: decides', async (t) => {
  const dir = await copyCorpus(t, 'helm-ambiguous');
  const { files, pin } = await pinChart(dir, ['ghcr.io/acme/app:1.0']);
  t.same(files, [], 'no file edited');
  t.match(pin.skipped, [{ image: 'ghcr.io/acme/app:1.0', reason: /^ambiguous: Helm values image and migrations\.image both yield this image/ }]);

  const values = path.join(dir, 'chart/values.yaml');
  const explicit = await pinChart(dir, ['ghcr.io/acme/app:1.0'], { helm: [{ values, image: 'migrations.image' }] });
  t.same(explicit.pin.changes['chart/values.yaml']!.map((c) => [c.line, c.use]), [[7, 'migrations.image']], 'the mapping overrides the search');
  t.same(explicit.pin.skipped, [], 'and the ambiguity is not reported');
});

t.test('pin.helm naming only values: the image maps of that file are found for rendered input (stdin-like)', async (t) => {
  const dir = await copyCorpus(t, 'bitnami');
  const values = path.join(dir, 'chart/values.yaml');
  const web = 'bitnami/nginx:1.25.4-debian-12-r3';
  // No traced uses: the manifests came from stdin, only the Result knows the images.
  const plan = await planPins({ result: resultFor([web, 'ghcr.io/other:1']), uses: [], helm: [{ values }], read: readIfPresent, show: (f) => path.relative(dir, f) });
  const { files, pin } = applyPlan(plan);
  t.equal(files.length, 1);
  await golden(t, 'bitnami/values.pinned.yaml', files[0]!.after);
  t.same(pin.changes['chart/values.yaml']!.map((c) => c.use), ['image']);

  const missing = await planPins({ result: resultFor([web]), uses: [], helm: [{ values: path.join(dir, 'nope.yaml') }], read: readIfPresent, show: (f) => path.relative(dir, f) });
  t.match(missing.skipped, [{ status: 'error', reason: /cannot read values file nope\.yaml/ }]);
});

t.test('findValuesImages: conventions, merging, global.imageRegistry, already pinned digests', async (t) => {
  const layers = [
    {
      file: '/v.yaml',
      label: 'values.yaml',
      text: 'global:\n  imageRegistry: ""\na:\n  image: {repository: x/a, tag: 1}\nb:\n  name: x/b\n  tag: "2"\nc:\n  image: {repository: x/c, tag: "3", digest: "sha256:00"}\nsa:\n  name: robot\nlist:\n- image: {repository: x/d, tag: "4"}\n',
    },
    { label: 'the inline Helm values (helm.values)', text: 'a:\n  image:\n    tag: 1.5\n' },
  ];
  const found = findValuesImages(layers);
  t.same(found.map((f) => [f.path, f.image]), [['a.image', 'x/a:1.5'], ['b', 'x/b:2']], 'c is pinned already; sa has no tag; lists are not merged by Helm');
  t.match(found[0]!.target, { blocked: /a\.image\.tag is set in the inline Helm values/ });
  t.match(found[1]!.target, { file: '/v.yaml', field: 'tag' });

  const global = findValuesImages([{ file: '/v.yaml', label: 'v', text: 'global:\n  imageRegistry: mirror.example\nimage: {registry: docker.io, repository: acme/web, tag: "1"}\n' }]);
  t.same(global.map((f) => f.image), ['mirror.example/acme/web:1'], 'global.imageRegistry wins, as Bitnami charts render it');
  t.same(findValuesImages([{ file: '/v.yaml', label: 'v', text: 'image: {repository: web, tag: ""}\n' }]).map((f) => [f.image, 'blocked' in f.target]), [['web', true]], 'an empty tag without appVersion cannot be pinned');
});
