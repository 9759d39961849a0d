// Keys kept outside the policy, end to end through run(): a REAL registry holds
// the signed images; the Secrets live in a FAKE Kubernetes API server and the
// transit key in a FAKE Vault (neither a real API server nor Vault runs here).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { startFakeKubeApi, type FakeKubeApi } from '../../src/testkit/fake-kube-api.js';
import { startFakeVault } from '../../src/testkit/fake-kms.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { registryMissingMaySkip } from '../registry/registry-fixture.js';
import { runScenario } from '../helpers/engine.js';

const signer = generateKeyPair('ecdsa-p256');
const other = generateKeyPair('ecdsa-p256');
const b64 = (s: string) => Buffer.from(s).toString('base64');

let registry: TestRegistry | undefined;
let kube: FakeKubeApi;
let unavailable: string | undefined;
t.before(async () => {
  try {
    registry = await startRegistry();
  } catch (err) {
    if (!registryMissingMaySkip(err)) throw err;
    unavailable = err.message;
  }
  kube = await startFakeKubeApi({
    token: 't0ken',
    objects: [
      { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'cosign-system', name: 'release-key' }, data: { 'cosign.pub': b64(signer.publicKeyPem) } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'cosign-system', name: 'cip-key' }, data: { 'key.pub': b64(signer.publicKeyPem) } },
    ],
  });
});
t.teardown(async () => {
  await registry?.stop();
  await kube?.stop();
});

let n = 0;
async function signedImage(key = signer) {
  const repo = `keyref/img${++n}`;
  const digest = await pushImage(registry!.host, repo, '1.0', { seed: `keyref${n}` });
  await signImage({ registry: registry!.host, repo, digest, key });
  return { repo, ref: `${registry!.host}/${repo}:1.0` };
}

const pod = (image: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: prod\nspec:\n  containers:\n    - name: c\n      image: ${image}\n`;

function kyverno(keys: string): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: external-key
spec:
  rules:
    - name: check
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["${registry!.host}/keyref/*"]
          failureAction: Enforce
          attestors:
            - entries:
                - keys:
${keys}
                    rekor:
                      ignoreTlog: true
`;
}

async function verify(t: { teardown: (fn: () => unknown) => void }, manifest: string, policy: string, extra: { kubeconfig?: string; env?: NodeJS.ProcessEnv } = {}) {
  const out = await runScenario(t, { manifests: { 'a.yaml': manifest }, policies: { 'p.yaml': policy }, options: extra });
  return { ...out, verdict: out.result.results[0]!.policies[0]! };
}

t.test('Kyverno publicKeys: k8s://ns/name → the Secret key verifies (--kubeconfig), one Secret read', async (t) => {
  if (unavailable) return t.skip(unavailable, () => {});
  const img = await signedImage();
  const before = kube.requests().length;
  const r = await verify(t, pod(img.ref), kyverno('                    publicKeys: k8s://cosign-system/release-key'), { kubeconfig: kube.kubeconfig, env: {} });
  t.equal(r.verdict.status, 'pass', r.verdict.reasons.join('; '));
  t.match(r.verdict.signers?.[0], /ECDSA/);
  t.equal(r.code, 0);
  t.same(
    kube.requests().slice(before).map((q) => q.path),
    ['/api/v1/namespaces/cosign-system/secrets/release-key'],
  );
});

t.test('Kyverno secret{}: signed by another key → fail; KUBECONFIG from the run env', async (t) => {
  if (unavailable) return t.skip(unavailable, () => {});
  const img = await signedImage(other);
  const r = await verify(t, pod(img.ref), kyverno('                    secret:\n                      name: release-key\n                      namespace: cosign-system'), { env: { KUBECONFIG: kube.kubeconfig } });
  t.equal(r.verdict.status, 'fail');
  t.equal(r.code, 1);
});

t.test('missing Secret → error verdict for that rule with the reason, exit 3', async (t) => {
  if (unavailable) return t.skip(unavailable, () => {});
  const img = await signedImage();
  const r = await verify(t, pod(img.ref), kyverno('                    publicKeys: k8s://cosign-system/nope'), { kubeconfig: kube.kubeconfig, env: {} });
  t.equal(r.verdict.status, 'error');
  t.match(r.verdict.reasons.join('\n'), 'cannot read k8s://cosign-system/nope: secret nope not found in namespace cosign-system');
  t.equal(r.code, 3);
});

t.test('no kubeconfig at all → error "no kubeconfig"', async (t) => {
  if (unavailable) return t.skip(unavailable, () => {});
  const home = await mkdtemp(path.join(os.tmpdir(), 'kvi-home-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  const img = await signedImage();
  const r = await verify(t, pod(img.ref), kyverno('                    publicKeys: k8s://cosign-system/release-key'), { env: { HOME: home } });
  t.equal(r.verdict.status, 'error');
  t.match(r.verdict.reasons.join('\n'), /cannot read k8s:\/\/cosign-system\/release-key: no kubeconfig/);
});

t.test('ClusterImagePolicy key.secretRef → read from cosign-system, the only data key', async (t) => {
  if (unavailable) return t.skip(unavailable, () => {});
  const img = await signedImage();
  const cip = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: cip-secret
spec:
  images:
    - glob: "${registry!.host}/keyref/**"
  authorities:
    - key:
        secretRef:
          name: cip-key
`;
  const r = await verify(t, pod(img.ref), cip, { kubeconfig: kube.kubeconfig, env: {} });
  t.equal(r.verdict.status, 'pass', r.verdict.reasons.join('; '));
});

t.test('Kyverno kms: hashivault:// → the transit key from a fake Vault verifies', async (t) => {
  if (unavailable) return t.skip(unavailable, () => {});
  const vault = await startFakeVault({ token: 's.vault', keys: { release: [signer.publicKey] } });
  t.teardown(() => vault.stop());
  const img = await signedImage();
  const r = await verify(t, pod(img.ref), kyverno('                    kms: hashivault://release'), { env: { VAULT_ADDR: vault.url, VAULT_TOKEN: 's.vault' } });
  t.equal(r.verdict.status, 'pass', r.verdict.reasons.join('; '));
  t.equal(vault.requests().length, 1);
});
