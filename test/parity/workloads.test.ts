// Objects read as the cluster runs them: any controller whose spec holds a PodSpec is a workload;
// image fields in custom resources nothing reads are named; an extractor that finds nothing in an
// object it applies to is an error, not 0 images.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { cipPolicy, repo, startBench, verify } from './fixture.js';

const b = await startBench();
t.teardown(() => b.close());

const cloneSet = (image: string) => `apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata:
  name: shop
spec:
  template:
    spec:
      containers:
        - name: shop
          image: ${image}
`;
const deploymentConfig = (image: string) => `apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata:
  name: legacy
spec:
  template:
    spec:
      containers:
        - name: legacy
          image: ${image}
`;
const scheduled = (image: string) => `apiVersion: batch.acme.io/v1
kind: Scheduled
metadata:
  name: nightly
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: ${image}
`;

t.test('controllers outside the built-in table are verified by their PodSpec', async (t) => {
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'c.yaml': cloneSet(b.unsigned), 'dc.yaml': deploymentConfig(b.signed), 's.yaml': scheduled(b.unsigned) });
  const run = await verify(dir, ['.']);
  t.equal(run.code, 1);
  t.same(run.verdicts, { 'apps/rogue:1.0': 'fail', 'apps/web:1.0': 'pass' });
  t.match(run.stdout, /"kind": "CloneSet"/);
  t.match(run.stdout, /"kind": "Scheduled"/);
});

t.test('image fields in a custom resource nothing reads are named on stderr', async (t) => {
  const dir = await repo(t, {
    '.verify-images/p.yaml': cipPolicy(b),
    'r.yaml': `apiVersion: build.acme.io/v1\nkind: Runner\nmetadata:\n  name: ci\nspec:\n  runnerImage: ${b.unsigned}\n---\n` + cloneSet(b.signed),
  });
  const run = await verify(dir, ['r.yaml']);
  t.match(run.stderr, /r\.yaml:1: build\.acme\.io\/v1 Runner ci has image fields \(spec\.runnerImage\) that no extractor reads/);
});

t.test('an extractor that applies to an object but finds no image is an error naming it (exit 2)', async (t) => {
  const builder = `apiVersion: acme.io/v1\nkind: Builder\nmetadata:\n  name: b\nspec:\n  stages:\n    - name: one\n      image: ${b.unsigned}\n`;
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'b.yaml': builder });
  // README's example shape, before it was fixed: the path names the strings, not their holder.
  await writeFile(path.join(dir, '.verify-imagesrc.yaml'), 'extractors:\n  acme.io/v1/Builder:\n    - name: builder\n      path: /spec/stages/*/image\n');
  const wrong = await verify(dir, ['b.yaml']);
  t.equal(wrong.code, 2);
  t.match(wrong.stderr, /b\.yaml:1:1: the config's extractors for acme\.io\/v1\/Builder: extractor "builder" \(path \/spec\/stages\/\*\/image\) applies to Builder b but finds no image in it \(.*try \/spec\/stages\/\*\)/);
  await writeFile(path.join(dir, '.verify-imagesrc.yaml'), 'extractors:\n  acme.io/v1/Builder:\n    - path: /spec/stagez/*\n');
  t.equal((await verify(dir, ['b.yaml'])).code, 2, 'a typo too');
  await writeFile(path.join(dir, '.verify-imagesrc.yaml'), 'extractors:\n  acme.io/v1/Builder:\n    - name: builder\n      path: /spec/stages/*\n');
  const right = await verify(dir, ['b.yaml']);
  t.equal(right.code, 1, "README's corrected example reads the image");
  t.same(right.verdicts, { 'apps/rogue:1.0': 'fail' });
});
