// Kyverno verifyImages fields that were "unsupported" before issue 12, through the REAL registry
// and the whole pipeline: type SigstoreBundle, rule preconditions, validate.deny over the
// verified attestations, imageRegistryCredentials. Each case asserts the verdict per image.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadPolicies } from '../../src/policy/loaders.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImageDescriptor } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { createSigstoreStandIn, type SigstoreStandIn } from '../../src/testkit/sigstore-stand-in.js';
import { attestImage, COSIGN_SIGN_PREDICATE, makeDsseBundle, pushBundleReferrer } from '../../src/testkit/sigstore-signer.js';
import { indent, runScenario } from '../helpers/engine.js';

const key = generateKeyPair('ecdsa-p256');
const SCAN = 'https://example.com/scan/v1';
const VEX = 'https://example.com/vex/v1';
let registry: TestRegistry;
let standIn: SigstoreStandIn;
t.before(async () => {
  [registry, standIn] = await Promise.all([startRegistry(), createSigstoreStandIn()]);
});
t.teardown(() => registry?.stop());

const keyEntry = (n: number) => `- entries:
    - keys:
        publicKeys: |-
${indent(key.publicKeyPem, 10)}
        rekor:
          ignoreTlog: true`.replace(/^/gm, ' '.repeat(n));

function policy(verifyImage: string, ruleExtra = ''): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: kyverno-fields
spec:
  rules:
    - name: check
      match:
        any:
          - resources:
              kinds: [Pod]
${ruleExtra ? indent(ruleExtra, 6) + '\n' : ''}      verifyImages:
        - imageReferences: ["${registry.host}/fields/*"]
          failureAction: Enforce
          verifyDigest: false
          required: false
          mutateDigest: false
${indent(verifyImage, 10)}
`;
}

const deploy = (name: string, image: string, labels: Record<string, string> = {}) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: prod}
spec:
  template:
    metadata:
      labels: ${JSON.stringify(labels)}
    spec:
      containers:
        - name: c
          image: ${image}
`;

async function image(name: string) {
  const subject = await pushImageDescriptor(registry.host, `fields/${name}`, '1.0', { seed: `fields-${name}` });
  return { ...subject, ref: `${registry.host}/fields/${name}:1.0`, repo: `fields/${name}` };
}

type Img = Awaited<ReturnType<typeof image>>;

async function bundle(img: Img, predicateType: string, predicate: unknown) {
  const b = await makeDsseBundle({ digest: img.digest, standIn, identity: { subject: '' }, key, predicateType, predicate, version: 'v1' });
  await pushBundleReferrer({ registry: registry.host, repo: img.repo, subject: { mediaType: img.mediaType, digest: img.digest, size: img.size }, predicateType, bundle: b });
}

function statuses(r: Awaited<ReturnType<typeof runScenario>>, images: Img[]) {
  return images.map((i) => r.result.results.find((x) => x.image === i.ref)?.status);
}

t.test('type: SigstoreBundle counts only Sigstore bundles found as OCI referrers, with the same attestors', async (t) => {
  const legacy = await image('legacy');
  await signImage({ registry: registry.host, repo: legacy.repo, digest: legacy.digest, key });
  await attestImage({ registry: registry.host, repo: legacy.repo, digest: legacy.digest, signer: { key }, predicateType: SCAN, predicate: { critical: 0 }, tlog: 'none' });
  const bundled = await image('bundled');
  await bundle(bundled, COSIGN_SIGN_PREDICATE, {});
  await bundle(bundled, SCAN, { critical: 0 });
  const unsigned = await image('unsigned');
  const manifests = { 'a.yaml': deploy('a', legacy.ref), 'b.yaml': deploy('b', bundled.ref), 'c.yaml': deploy('c', unsigned.ref) };

  const signatures = (type: string) => policy(`type: ${type}\nattestors:\n${keyEntry(0)}`);
  const asBundle = await runScenario(t, { manifests, policies: { 'p.yaml': signatures('SigstoreBundle') } });
  t.same(statuses(asBundle, [legacy, bundled, unsigned]), ['fail', 'pass', 'fail'], 'a legacy .sig does not count for SigstoreBundle: ' + JSON.stringify(asBundle.image('bundled').policies));
  t.match(asBundle.image('legacy').policies[0]?.reasons.join(), /no Sigstore bundle refers to the image/);
  const asCosign = await runScenario(t, { manifests, policies: { 'p.yaml': signatures('Cosign') } });
  t.same(statuses(asCosign, [legacy, bundled, unsigned]), ['pass', 'fail', 'fail'], 'Cosign reads the .sig tag only, as kyverno apply does (test/reference/cosign.test.ts)');
  t.match(asCosign.image('bundled').policies[0]?.reasons.join(), /type Cosign reads only that tag, never a cosign 3 bundle/);

  const attested = policy(`type: SigstoreBundle\nattestations:\n  - type: ${SCAN}\n    attestors:\n${keyEntry(4)}\n    conditions:\n      - all:\n          - key: "{{ critical }}"\n            operator: Equals\n            value: 0`);
  const att = await runScenario(t, { manifests, policies: { 'p.yaml': attested } });
  t.same(statuses(att, [legacy, bundled, unsigned]), ['fail', 'pass', 'fail'], 'a legacy .att does not count for SigstoreBundle');
});

t.test('preconditions select the rule over the object (autogen: the pod template) and image.*; what only admission knows blocks', async (t) => {
  const unsigned = await image('pre-unsigned');
  const other = await image('pre-other');
  const verifyImage = `attestors:\n${keyEntry(0)}`;
  const byLabel = policy(verifyImage, `preconditions:\n  all:\n    - key: "{{ request.object.metadata.labels.verify || '' }}"\n      operator: Equals\n      value: "yes"\n    - key: "{{ image.path }}"\n      operator: NotEquals\n      value: fields/pre-other`);
  const manifests = {
    'a.yaml': deploy('a', unsigned.ref, { verify: 'yes' }),
    'b.yaml': deploy('b', `${registry.host}/fields/pre-unlabelled:1.0`),
    'c.yaml': deploy('c', other.ref, { verify: 'yes' }),
  };
  const r = await runScenario(t, { manifests, policies: { 'p.yaml': byLabel } });
  t.equal(r.image('pre-unsigned').status, 'fail', 'labelled pod template: the rule applies');
  t.equal(r.image('pre-unlabelled').status, 'unmatched', 'no label: the precondition deselects the rule');
  t.equal(r.image('pre-other').status, 'unmatched', 'image.path deselects the rule');
  t.equal(r.code, 1);

  const userInfo = policy(verifyImage, `preconditions:\n  any:\n    - key: "{{ request.userInfo.username }}"\n      operator: NotEquals\n      value: system:admin`);
  const u = await runScenario(t, { manifests: { 'b.yaml': manifests['b.yaml'] }, policies: { 'p.yaml': userInfo } });
  t.equal(u.image('pre-unlabelled').status, 'error', 'request.userInfo is not known offline: never a pass, never dropped');
  t.match(u.image('pre-unlabelled').policies[0]?.reasons.join(), /unsupported: preconditions over request\.userInfo/);
  t.equal(u.code, 3);

  const broken = policy(verifyImage, `preconditions:\n  all:\n    - key: "{{ length(request.object.spec.replicas) }}"\n      operator: Equals\n      value: 1`);
  const withReplicas = `${manifests['a.yaml'].replace('spec:\n  template:', 'spec:\n  replicas: 2\n  template:')}`;
  const b = await runScenario(t, { manifests: { 'a.yaml': withReplicas }, policies: { 'p.yaml': broken } });
  t.equal(b.image('pre-unsigned').status, 'error', 'a precondition that cannot be evaluated blocks');
  t.match(b.image('pre-unsigned').policies[0]?.reasons.join(), /preconditions \(line \d+\): .*cannot evaluate/);
});

t.test('validate.deny over the verified attestations by name; cached runs evaluate it again', async (t) => {
  const clean = await image('deny-clean');
  const dirty = await image('deny-dirty');
  const weird = await image('deny-weird');
  for (const [img, ids, vex] of [
    [clean, ['CVE-1', 'CVE-2'], ['CVE-1', 'CVE-2']],
    [dirty, ['CVE-1', 'CVE-2'], ['CVE-1']],
    [weird, 7, ['CVE-1']],
  ] as const) {
    await attestImage({ registry: registry.host, repo: img.repo, digest: img.digest, signer: { key }, predicateType: SCAN, predicate: { ids }, tlog: 'none' });
    await attestImage({ registry: registry.host, repo: img.repo, digest: img.digest, signer: { key }, predicateType: VEX, predicate: { ids: vex }, tlog: 'none' });
  }
  const p = policy(`attestations:
  - name: scan
    type: ${SCAN}
    attestors:
${keyEntry(4)}
  - name: vex
    type: ${VEX}
    attestors:
${keyEntry(4)}
validate:
  message: every vulnerability the scan found needs a VEX statement
  deny:
    conditions:
      any:
        - key: "{{ scan.ids[] }}"
          operator: AnyNotIn
          value: "{{ vex.ids }}"
        - key: "{{ length(scan.ids) }}"
          operator: GreaterThan
          value: 10`);
  const manifests = { 'a.yaml': deploy('a', clean.ref), 'b.yaml': deploy('b', dirty.ref), 'c.yaml': deploy('c', weird.ref) };
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vi-deny-cache-'));
  t.teardown(() => rm(cacheDir, { recursive: true, force: true }));
  for (const run of ['first run', 'second run (cache warm)']) {
    const r = await runScenario(t, { manifests, policies: { 'p.yaml': p }, options: { cache: cacheDir } });
    t.same(statuses(r, [clean, dirty, weird]), ['pass', 'fail', 'error'], run);
    t.match(r.image('deny-dirty').policies[0]?.reasons.join(), /validate \(line \d+\): every vulnerability the scan found needs a VEX statement/);
    t.match(r.image('deny-weird').policies[0]?.reasons.join(), /cannot evaluate/, 'a deny that cannot be evaluated is not "not denied"');
  }
});

t.test('loader: imageRegistryCredentials secrets by namespace; validate, preconditions and SigstoreBundle are no longer unsupported', async (t) => {
  const text = policy(`type: SigstoreBundle
imageRegistryCredentials:
  allowInsecureRegistry: true
  providers: [default, amazon]
  secrets: [regcred, team-a/pull]
attestors:
${keyEntry(0)}
attestations:
  - name: scan
    type: ${SCAN}
    attestors:
${keyEntry(4)}
validate:
  deny:
    conditions:
      all:
        - key: "{{ scan.critical }}"
          operator: GreaterThan
          value: 0`, `preconditions:\n  - key: "{{ request.operation }}"\n    operator: Equals\n    value: CREATE`);
  const [p] = loadPolicies([{ file: 'p.yaml', text }]);
  const rule = p!.rules[0]!;
  t.same(rule.pullSecrets, ['kyverno/regcred', 'team-a/pull']);
  t.notMatch(JSON.stringify(rule.requirement), /unsupported/);
  t.same(rule.deny?.names, ['scan']);
  t.equal(rule.cel?.applies?.({ apiVersion: 'v1', kind: 'Pod', labels: {}, annotations: {}, object: {} }, 'nginx'), true, 'the legacy precondition list: request.operation is CREATE');
  t.throws(() => loadPolicies([{ file: 'p.yaml', text: text.replace('deny:\n', 'deny:\n            message: x\n') }]), { code: 'POLICY_ERROR' });
});
