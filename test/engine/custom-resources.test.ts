// Images in custom resources, through the REAL registry: the built-in table (Argo Rollouts,
// Knative, Tekton, Argo Workflows, KubeVirt) judged by an ordinary Pod rule, Kyverno
// imageExtractors (judged by their rule only), and the config's extractors for in-house kinds.
import t from 'tap';
import { CUSTOM_RESOURCES } from '../../src/manifests/custom-resources.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { kyverno, runScenario } from '../helpers/engine.js';

let registry: TestRegistry;
const key = generateKeyPair('ecdsa-p256');
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

let n = 0;
async function image(signed: boolean) {
  const repo = `crd/img${++n}`;
  const digest = await pushImage(registry.host, repo, '1.0', { seed: `crd${n}` });
  if (signed) await signImage({ registry: registry.host, repo, digest, key });
  return { repo, ref: `${registry.host}/${repo}:1.0` };
}

const podRule = () => kyverno({ refs: [`${registry.host}/crd/*`], keys: [key] });

t.test('built-in custom resources: a Pod rule judges their images, each use at its line', async (t) => {
  const cases: { kind: string; manifest: (good: string, bad: string) => string; line: number }[] = [
    {
      kind: 'Rollout',
      manifest: (g, b) => `apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: ${g}\n        - name: b\n          image: ${b}\n`,
      line: 11,
    },
    {
      kind: 'Knative Service',
      manifest: (g, b) => `apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: s}\nspec:\n  template:\n    spec:\n      containers:\n        - image: ${g}\n      initContainers:\n        - image: ${b}\n`,
      line: 10,
    },
    {
      kind: 'Tekton Task',
      manifest: (g, b) => `apiVersion: tekton.dev/v1\nkind: Task\nmetadata: {name: t}\nspec:\n  stepTemplate:\n    image: ${g}\n  steps:\n    - name: build\n      image: ${b}\n`,
      line: 9,
    },
    {
      kind: 'Tekton PipelineRun',
      manifest: (g, b) => `apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {name: pr}\nspec:\n  pipelineSpec:\n    tasks:\n      - name: t\n        taskRef:\n          bundle: ${g}\n      - name: u\n        taskSpec:\n          steps:\n            - name: s\n              image: ${b}\n`,
      line: 14,
    },
    {
      kind: 'Argo Workflow',
      manifest: (g, b) => `apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\nspec:\n  templates:\n    - name: a\n      container:\n        image: ${g}\n    - name: b\n      script:\n        image: ${b}\n`,
      line: 11,
    },
    {
      kind: 'Argo CronWorkflow',
      manifest: (g, b) => `apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nmetadata: {name: c}\nspec:\n  workflowSpec:\n    templates:\n      - name: a\n        container: {image: ${g}}\n        sidecars:\n          - name: s\n            image: ${b}\n`,
      line: 11,
    },
    {
      kind: 'KubeVirt DataVolume',
      manifest: (g, b) => `apiVersion: cdi.kubevirt.io/v1beta1\nkind: DataVolume\nmetadata: {name: dv}\nspec:\n  source:\n    registry:\n      url: docker://${b}\n---\napiVersion: cdi.kubevirt.io/v1beta1\nkind: DataVolume\nmetadata: {name: dv2}\nspec:\n  source:\n    registry:\n      url: docker://${g}\n`,
      line: 7,
    },
  ];
  for (const c of cases) {
    const good = await image(true);
    const bad = await image(false);
    const r = await runScenario(t, { manifests: { 'crd.yaml': c.manifest(good.ref, bad.ref) }, policies: { 'p.yaml': podRule() } });
    const status = (img: { repo: string }) => r.result.results.find((x) => x.image.endsWith(`${img.repo}:1.0`))?.status;
    t.same([status(good), status(bad)], ['pass', 'fail'], `${c.kind}: verdict per image`);
    const use = r.result.results.find((x) => x.image.endsWith(`${bad.repo}:1.0`))!.uses[0]!;
    t.equal(use.line, c.line, `${c.kind}: the use points at the value`);
    t.equal(r.code, 1);
  }
  t.ok(CUSTOM_RESOURCES.length >= 8, 'one table');
});

t.test('a Flux HelmRelease is not an image source; a Rollout with workloadRef has no images of its own', async (t) => {
  const img = await image(false);
  const hr = `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: h}\nspec:\n  values:\n    image: ${img.ref}\n`;
  const rollout = `apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: r}\nspec:\n  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n`;
  const r = await runScenario(t, { manifests: { 'a.yaml': `${hr}---\n${rollout}` }, policies: { 'p.yaml': podRule() } });
  t.equal(r.result.results.length, 0);
  t.match(r.warnings.join('\n'), /no container images found/);
});

t.test('Kyverno imageExtractors: paths with *, value, key, jmesPath; only their rule judges them', async (t) => {
  const good = await image(true);
  const bad = await image(false);
  const extractors = `imageExtractors:
  TaskRun:
    - name: bundles
      path: /spec/taskRef
      value: bundle
    - name: steps
      path: /spec/steps/*
      key: name
      jmesPath: "trim_prefix(@, 'docker://')"`;
  const policy = kyverno({ refs: [`${registry.host}/crd/*`], keys: [key], kinds: ['TaskRun'] }).replace('      verifyImages:', `${extractors.split('\n').map((l) => `      ${l}`).join('\n')}\n      verifyImages:`);
  const taskRun = `apiVersion: tekton.dev/v1beta1\nkind: TaskRun\nmetadata: {name: tr, namespace: ci}\nspec:\n  taskRef:\n    bundle: ${good.ref}\n  steps:\n    - name: compile\n      image: docker://${bad.ref}\n`;
  const r = await runScenario(t, { manifests: { 'tr.yaml': taskRun }, policies: { 'p.yaml': policy, 'all.yaml': kyverno({ name: 'pods-only', refs: ['*'], keys: [key] }) } });
  const find = (img: { repo: string }) => r.result.results.find((x) => x.image.endsWith(`${img.repo}:1.0`))!;
  t.equal(find(good).status, 'pass');
  t.equal(find(bad).status, 'fail');
  t.match(find(bad).uses[0], { file: /tr\.yaml$/, line: 9, kind: 'TaskRun', namespace: 'ci', name: 'tr', container: 'compile' });
  t.same(find(bad).policies.map((p) => p.policy), ['signed'], 'the extracted images are judged by the rule that extracts them, not by other policies');
});

t.test('the config extractors: in-house kinds, judged by every policy, covered by a Pod rule', async (t) => {
  const good = await image(true);
  const bad = await image(false);
  const job = `apiVersion: batch.acme.io/v1\nkind: BatchJob\nmetadata: {name: nightly}\nspec:\n  runners:\n    - name: r1\n      runnerImage: ${good.ref}\n    - name: r2\n      runnerImage: ${bad.ref}\n`;
  const r = await runScenario(t, {
    manifests: { 'job.yaml': job },
    policies: { 'p.yaml': podRule() },
    options: { extractors: { 'batch.acme.io/v1/BatchJob': [{ name: 'runners', path: '/spec/runners/*', value: 'runnerImage' }] } },
  });
  const find = (img: { repo: string }) => r.result.results.find((x) => x.image.endsWith(`${img.repo}:1.0`))!;
  t.same([find(good).status, find(bad).status], ['pass', 'fail']);
  t.match(find(bad).uses[0], { line: 9, container: 'r2', kind: 'BatchJob' });
});
