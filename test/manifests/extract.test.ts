import t from 'tap';
import { extractImages, formatPath, objectKey, podSpecPath } from '../../src/manifests/extract.js';
import { parseManifests } from '../../src/manifests/parse.js';
import type { ImageUse, ObjectOrigin } from '../../src/manifests/types.js';

function usesOf(text: string, file = 'm.yaml', source?: Parameters<typeof extractImages>[1]): ImageUse[] {
  return parseManifests(text, file).flatMap((o) => extractImages(o, source));
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  labels: {app: web, n: 1}
  annotations: {a: b}
spec:
  template:
    metadata:
      labels: {tier: frontend}
    spec:
      initContainers:
      - name: init
        image: "busybox:1.36"
      containers:
      - name: web
        image: ghcr.io/acme/web:1.4   # pinned later
      - name: sidecar
        image: 'envoyproxy/envoy:v1'
      - name: no-image
      - name: numeric
        image: 42
      ephemeralContainers:
      - name: debug
        image: busybox
      volumes:
      - name: data
        image:
          reference: quay.io/acme/data:7
      - name: plain
        emptyDir: {}
`;

t.test('a Deployment: every container kind and image volumes, with positions and ranges', async (t) => {
  const uses = usesOf(DEPLOYMENT);
  t.same(
    uses.map((u) => [u.image, u.field, u.container, u.path, u.line, u.column]),
    [
      ['ghcr.io/acme/web:1.4', 'containers', 'web', 'spec.template.spec.containers[0].image', 18, 16],
      ['envoyproxy/envoy:v1', 'containers', 'sidecar', 'spec.template.spec.containers[1].image', 20, 16],
      ['busybox:1.36', 'initContainers', 'init', 'spec.template.spec.initContainers[0].image', 15, 16],
      ['busybox', 'ephemeralContainers', 'debug', 'spec.template.spec.ephemeralContainers[0].image', 26, 16],
      ['quay.io/acme/data:7', 'volumes', 'data', 'spec.template.spec.volumes[0].image.reference', 30, 22],
    ],
  );
  // Ranges cover the scalar's source text, quotes included, so `pin` can splice there.
  t.same(
    uses.map((u) => DEPLOYMENT.slice(...u.range!)),
    ['ghcr.io/acme/web:1.4', "'envoyproxy/envoy:v1'", '"busybox:1.36"', 'busybox', 'quay.io/acme/data:7'],
  );
  t.same(uses[0]!.workload, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: 'prod',
    name: 'web',
    labels: { app: 'web' },
    annotations: { a: 'b' },
    templateLabels: { tier: 'frontend' },
  });
  t.equal(uses[0]!.file, 'm.yaml');
});

t.test('every pod-creating kind (and the table\'s custom resources), and only those', async (t) => {
  const pod = (indent: string) =>
    `${indent}containers:\n${indent}- name: c\n${indent}  image: img:1\n`;
  const cases: [string, string, string, string | undefined][] = [
    ['v1', 'Pod', `spec:\n${pod('  ')}`, 'spec.containers[0].image'],
    ['v1', 'PodTemplate', `template:\n  spec:\n${pod('    ')}`, 'template.spec.containers[0].image'],
    ['v1', 'ReplicationController', `spec:\n  template:\n    spec:\n${pod('      ')}`, 'spec.template.spec.containers[0].image'],
    ['apps/v1', 'ReplicaSet', `spec:\n  template:\n    spec:\n${pod('      ')}`, 'spec.template.spec.containers[0].image'],
    ['apps/v1', 'StatefulSet', `spec:\n  template:\n    spec:\n${pod('      ')}`, 'spec.template.spec.containers[0].image'],
    ['apps/v1', 'DaemonSet', `spec:\n  template:\n    spec:\n${pod('      ')}`, 'spec.template.spec.containers[0].image'],
    ['extensions/v1beta1', 'Deployment', `spec:\n  template:\n    spec:\n${pod('      ')}`, 'spec.template.spec.containers[0].image'],
    ['batch/v1', 'Job', `spec:\n  template:\n    spec:\n${pod('      ')}`, 'spec.template.spec.containers[0].image'],
    [
      'batch/v1',
      'CronJob',
      `spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${pod('          ')}`,
      'spec.jobTemplate.spec.template.spec.containers[0].image',
    ],
    ['v1', 'ConfigMap', `data:\n  image: img:1\n`, undefined],
    // Any other kind holding a PodSpec where controllers keep it is a workload (it creates those pods).
    ['batch.volcano.sh/v1alpha1', 'Job', `spec:\n  template:\n    spec:\n${pod('      ')}`, 'spec.template.spec.containers[0].image'],
    ['apps.kruise.io/v1alpha1', 'CloneSet', `spec:\n  template:\n    spec:\n${pod('      ')}`, 'spec.template.spec.containers[0].image'],
    ['acme.io/v1', 'Nightly', `spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${pod('          ')}`, 'spec.jobTemplate.spec.template.spec.containers[0].image'],
    ['acme.io/v1', 'Config', `spec:\n  template:\n    spec:\n      containers: []\n`, undefined],
    // Custom resources of the built-in table (custom-resources.ts) are read like pods.
    ['argoproj.io/v1alpha1', 'Rollout', `spec:\n  template:\n    spec:\n${pod('      ')}`, 'spec.template.spec.containers[0].image'],
    ['example.com/v1', 'Rollout', `spec:\n  template:\n    spec:\n${pod('      ')}`, 'spec.template.spec.containers[0].image'],
  ];
  for (const [apiVersion, kind, body, path] of cases) {
    const uses = usesOf(`apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x}\n${body}`);
    t.same(
      uses.map((u) => u.path),
      path ? [path] : [],
      `${apiVersion} ${kind}`,
    );
  }
  t.same(podSpecPath('batch/v1', 'CronJob'), ['spec', 'jobTemplate', 'spec', 'template', 'spec']);
  t.equal(podSpecPath('v1', 'Service'), undefined);
});

t.test('a Pod has no template labels; missing pieces do not throw', async (t) => {
  const [use] = usesOf('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: nginx}]}\n');
  t.equal(use!.workload.templateLabels, undefined);
  t.same(use!.workload.labels, {});
  t.equal(use!.workload.namespace, undefined);
  t.same(usesOf('apiVersion: v1\nkind: Pod\n'), []);
  t.same(usesOf('apiVersion: v1\nkind: Pod\nspec: {containers: [null, "x", {name: c}], volumes: [{name: v, image: {}}]}\n'), []);
});

t.test('invalid image strings are still returned (validated later, with this position)', async (t) => {
  const uses = usesOf('apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    image: "Not A Ref!!"\n');
  t.same(uses.map((u) => [u.image, u.line]), [['Not A Ref!!', 6]]);
});

t.test('aliases: position of the use, no range (editing the anchor would change other uses)', async (t) => {
  const text = [
    'apiVersion: v1',
    'kind: Pod',
    'spec:',
    '  initContainers:',
    '  - {name: a, image: &img "nginx:1"}',
    '  containers:',
    '  - name: b',
    '    image: *img',
    '  - <<: {image: merged:1}',
    '    name: m',
  ].join('\n');
  const uses = usesOf(text);
  t.same(
    uses.map((u) => [u.container, u.image, u.line, u.range !== undefined]),
    [
      ['b', 'nginx:1', 8, false],
      ['m', 'merged:1', 1, false], // merged in: the object's position
      ['a', 'nginx:1', 5, true],
    ],
  );
});

t.test('List items keep their own positions', async (t) => {
  const text = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: [{name: c, image: "x:1"}]}\n';
  const [use] = usesOf(text);
  t.same([use!.line, use!.column, text.slice(...use!.range!)], [7, 40, '"x:1"']);
});

t.test('rendered sources: no range; origins move the position to the source file', async (t) => {
  const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec: {containers: [{name: c, image: "x:2"}, {name: d, image: y}]}\n';
  const rendered = usesOf(text, 'overlay', { rendered: true });
  t.same(rendered.map((u) => [u.file, u.line, u.range]), [
    ['overlay', 4, undefined],
    ['overlay', 4, undefined],
  ]);
  const origin: ObjectOrigin = {
    file: 'base/pod.yaml',
    line: 3,
    column: 1,
    images: { 'spec.containers[0].image': { file: 'base/pod.yaml', line: 9, column: 12 } },
  };
  const origins = new Map([[objectKey({ kind: 'Pod', metadata: { name: 'p', namespace: 'ns' } }), origin]]);
  const traced = usesOf(text, 'overlay', { rendered: true, origins });
  t.same(traced.map((u) => [u.file, u.line, u.column, u.range]), [
    ['base/pod.yaml', 9, 12, undefined],
    ['base/pod.yaml', 3, 1, undefined], // not in the origin file: the object's line there
  ]);
});

t.test('objects built by hand (no parser handles) use the object position', async (t) => {
  const uses = extractImages({
    file: 'f',
    line: 7,
    column: 1,
    object: { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'c', image: 'i' }] } },
  });
  t.same(uses.map((u) => [u.file, u.line, u.range]), [['f', 7, undefined]]);
});

t.test('helpers', async (t) => {
  t.equal(formatPath(['spec', 'containers', 0, 'image']), 'spec.containers[0].image');
  t.equal(objectKey({ kind: 'Pod', metadata: { name: 'a' } }), 'Pod//a');
});

t.test('10,000 manifests parse and extract (sanity, no timing assertion)', async (t) => {
  const doc = (i: number) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-${i}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: ghcr.io/acme/app-${i}:1.0\n      - name: s\n        image: envoy:1\n`;
  const text = Array.from({ length: 10_000 }, (_, i) => doc(i)).join('---\n');
  const started = performance.now();
  const uses = usesOf(text, 'big.yaml');
  t.comment(`10,000 manifests in ${Math.round(performance.now() - started)} ms`);
  t.equal(uses.length, 20_000);
  t.equal(uses[19_998]!.line, 9_999 * 13 + 10);
});
