// `pin` on a Helm chart without a config mapping, end to end on the REAL registry: the chart
// is rendered by the real `helm template` (helm 3 and 4, installed by scripts/reference-tools.mjs);
// pin then finds the values entries that produced each verified image and pins them.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage, pushIndex } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { cli, keyPolicy, tempDir, writeFiles } from './pin-helpers.js';
import { helms, pathWith } from '../helpers/reference.js';

let registry: TestRegistry;
const key = generateKeyPair('ecdsa-p256');
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

// The real helm (scripts/reference-tools.mjs): 3 as Argo CD runs it, 4 as Flux links it.
const helmBins = helms();
const skip = 'skip' in helmBins ? helmBins.skip : false;
const [helm3, helm4] = 'skip' in helmBins ? [] : helmBins;

/** helm create's image map (an empty tag means appVersion) and Bitnami's (registry, repository, tag, digest). */
const TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      containers:
      - name: c0
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
      {{- with .Values.sidecar.image }}
      - name: c1
        image: "{{ .registry }}/{{ .repository }}{{ if .digest }}@{{ .digest }}{{ else }}:{{ .tag }}{{ end }}"
      {{- end }}
`;

async function fixture(t: Parameters<typeof tempDir>[0], helm = helm3) {
  const web = await pushIndex(registry.host, 'helm/web', '1.0', { seed: 'helm-web' });
  await signImage({ registry: registry.host, repo: 'helm/web', digest: web, key });
  const side = await pushImage(registry.host, 'helm/side', '2.0', { seed: 'helm-side' });
  await signImage({ registry: registry.host, repo: 'helm/side', digest: side, key });
  const side21 = await pushImage(registry.host, 'helm/side', '2.1', { seed: 'helm-side-2.1' });
  await signImage({ registry: registry.host, repo: 'helm/side', digest: side21, key });
  await pushImage(registry.host, 'helm/side', '9.9', { seed: 'helm-side-unsigned' });
  const dir = await tempDir(t, 'vi-pin-helm-');
  // helm create style (empty tag → appVersion) and a Bitnami-style map with a digest key.
  const values = `image:\n  repository: ${registry.host}/helm/web\n  # Overrides the image tag whose default is the chart appVersion.\n  tag: ""\nsidecar:\n  image:\n    registry: ${registry.host}\n    repository: helm/side\n    tag: "2.0"   # quoted: Helm renders a plain 2.0 as 2\n    digest: ""\n`;
  await writeFiles(dir, {
    '.git/HEAD': '',
    'chart/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\nappVersion: "1.0"\n',
    'chart/values.yaml': values,
    'chart/values-prod.yaml': 'sidecar:\n  image:\n    tag: "2.1"\n',
    'chart/templates/deployment.yaml': TEMPLATE,
    '.verify-images/signed.yaml': keyPolicy(`${registry.host}/helm/*`, key),
  });
  return { dir, web, side, side21, values, env: { PATH: pathWith(helm!.dir) } };
}

for (const helm of [helm3, helm4]) t.test(`pin CHART --write (helm ${helm?.version}): the values that produced each image are pinned; a rerun changes nothing`, { skip }, async (t) => {
  const { dir, web, side, values, env } = await fixture(t, helm);
  const r = await cli(dir, ['pin', 'chart', '--write', '--no-cache'], env);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /pinned chart\/values\.yaml:4 \(empty\) → 1\.0@sha256:/);
  t.match(r.stdout, /pinned chart\/values\.yaml:10 \(empty\) → sha256:/);
  t.match(r.stdout, /2 values pinned in 1 file\n/);
  const after = await readFile(path.join(dir, 'chart/values.yaml'), 'utf8');
  t.equal(after, values.replace('tag: ""', `tag: "1.0@${web}"`).replace('digest: ""', `digest: "${side}"`), 'appVersion@digest in the empty tag; the digest key for the chart that has one');
  const again = await cli(dir, ['pin', 'chart', '--write', '--no-cache'], env);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, /0 values pinned in 0 files/, 'the rendered images now carry their digests');
  t.equal(await readFile(path.join(dir, 'chart/values.yaml'), 'utf8'), after);
});

t.test('pin --path CHART --helm-values (real helm): the prod tag is pinned in the prod values file; a diff by default', { skip }, async (t) => {
  const { dir, web, side21, values, env } = await fixture(t);
  const r = await cli(dir, ['pin', '--path', 'chart', '--helm-values', 'values-prod.yaml', '--no-cache'], env);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, `--- a/chart/values-prod.yaml\n+++ b/chart/values-prod.yaml\n`);
  t.match(r.stdout, `-    tag: "2.1"\n+    tag: "2.1@${side21}"\n`, 'the tag is set in a later file than the digest key: tag@digest there');
  t.match(r.stdout, `+  tag: "1.0@${web}"\n`);
  t.notMatch(r.stdout, /digest: "sha256/, 'the base digest key is left alone (it would pin prod\'s sidecar for every environment)');
  t.equal(await readFile(path.join(dir, 'chart/values.yaml'), 'utf8'), values, 'without --write nothing is edited');
});

t.test('pin CHART (real helm): an unsigned image set by --helm-set is not pinned and is listed; exit 1', { skip }, async (t) => {
  const { dir, env } = await fixture(t);
  const r = await cli(dir, ['pin', '--path', 'chart', '--helm-set', 'sidecar.image.tag=9.9', '--write', '--no-cache'], env);
  t.equal(r.code, 1, 'the unsigned tag fails the policy');
  t.match(r.stdout, /pinned chart\/values\.yaml:4 /, 'the verified web image is still pinned');
  t.match(r.stdout, new RegExp(`not pinned: ${registry.host}/helm/side:9\\.9 \\(chart\\): fail: `), 'named by its chart, not the temporary rendered file');
});

t.test('pin --repo is a usage error: pin edits the checkout it runs in', { skip }, async (t) => {
  const { dir, env } = await fixture(t);
  const r = await cli(dir, ['pin', '--repo', dir, '--path', 'chart'], env);
  t.equal(r.code, 2);
  t.match(r.stderr, /run it inside a clone/);
  const both = await cli(dir, ['pin', '--path', 'chart', 'chart'], env);
  t.equal(both.code, 2);
  t.match(both.stderr, /--path names the app itself/);
});

t.test('pin CHART without helm on PATH: a clear source error naming helm, nothing edited', { skip }, async (t) => {
  const { dir, values } = await fixture(t);
  const r = await cli(dir, ['pin', 'chart', '--write', '--no-cache'], { PATH: path.join(dir, 'no-bin') });
  t.equal(r.code, 2);
  t.match(r.stderr, /helm is not on PATH/);
  t.equal(await readFile(path.join(dir, 'chart/values.yaml'), 'utf8'), values);
});
