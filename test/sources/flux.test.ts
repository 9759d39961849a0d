// Flux Kustomizations rendered like kustomize-controller, with the real kustomize.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { noKubectl } from '../helpers/tools.js';
import { extractImages } from '../../src/manifests/extract.js';
import { parseManifests } from '../../src/manifests/parse.js';
import { parseFluxKustomization, prepareFlux, substituteVariables } from '../../src/sources/flux.js';
import { renderText } from '../../src/sources/render.js';

const hasKustomize = !noKubectl || !spawnSync('kustomize', ['version'], { stdio: 'ignore' }).error;

const KS = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: shop
  namespace: flux-system
spec:
  path: ./apps/shop
  sourceRef: {kind: GitRepository, name: fleet}
  targetNamespace: shop
  images:
  - name: registry.example/web
    newTag: "2.0"
  postBuild:
    substitute:
      cluster: prod
      replicas: 3
    substituteFrom:
    - kind: ConfigMap
      name: cluster-vars
`;

t.test('reads spec.path, images, targetNamespace and inline substitutions', async (t) => {
  const ks = parseFluxKustomization(`---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n${KS}`, 'ks.yaml');
  t.equal(ks.name, 'shop');
  t.equal(ks.path, './apps/shop');
  t.same(ks.images, [{ name: 'registry.example/web', newTag: '2.0' }]);
  t.same(ks.substitute, { cluster: 'prod', replicas: '3' });
  t.same(ks.substituteFrom, ['ConfigMap/cluster-vars']);
  t.equal(ks.targetNamespace, 'shop');
  t.throws(() => parseFluxKustomization('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n', 'k.yaml'), { code: 'SOURCE_ERROR' });
});

t.test("Flux's envsubst: ${var}, defaults, escapes, unknown → empty", async (t) => {
  t.equal(substituteVariables('a: ${x}\nb: ${y:=dflt}\nc: ${z:-d2}\nd: $${x}\ne: ${nope}', { x: '1' }), 'a: 1\nb: dflt\nc: d2\nd: ${x}\ne: ');
  t.equal(substituteVariables('image: reg/app:${tag:=1.0}', { tag: '2.0' }), 'image: reg/app:2.0');
});

t.test('a path without kustomization.yaml: generated kustomization, images, namespace, substitutions', { skip: !hasKustomize && 'no kustomize/kubectl on PATH' }, async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vi-flux-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await mkdir(path.join(root, 'apps/shop/sub'), { recursive: true });
  await writeFile(
    path.join(root, 'apps/shop/deploy.yaml'),
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-${cluster}\nspec:\n  replicas: ${replicas}\n  template:\n    spec:\n      containers:\n      - name: web\n        image: registry.example/web:1.0\n',
  );
  await writeFile(path.join(root, 'apps/shop/sub/job.yaml'), 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      containers:\n      - name: m\n        image: registry.example/migrate:${cluster}\n');
  await writeFile(path.join(root, 'apps/shop/values.yaml'), 'not: a manifest\n');
  const prepared = await prepareFlux(root, parseFluxKustomization(KS, 'ks.yaml'));
  t.teardown(() => prepared.cleanup());
  const text = await renderText(prepared.inputs);
  const objs = parseManifests(text, 'x');
  t.same(objs.flatMap((o) => extractImages(o)).map((u) => u.image).sort(), ['registry.example/migrate:prod', 'registry.example/web:2.0']);
  t.ok(objs.every((o) => (o.object.metadata as { namespace?: string }).namespace === 'shop'), 'targetNamespace applied');
  t.ok(objs.some((o) => (o.object.metadata as { name?: string }).name === 'web-prod'), 'substitution applied');
  await t.rejects(prepareFlux(root, { ...parseFluxKustomization(KS, 'ks.yaml'), path: '../..' }), { code: 'SOURCE_ERROR', message: /outside the source/ });
});
