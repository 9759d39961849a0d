// --kubeconfig / --context reach the key resolver: the CLI in-process against a REAL
// registry and a FAKE Kubernetes API server holding the key Secret.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { main } from '../../src/cli/main.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { startFakeKubeApi } from '../../src/testkit/fake-kube-api.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry } from '../../src/testkit/registry-server.js';
import { registryMissingMaySkip } from '../registry/registry-fixture.js';

t.test('kubectl verify-images --kubeconfig K --context C: k8s:// key read from that cluster', async (t) => {
  let registry;
  try {
    registry = await startRegistry();
  } catch (err) {
    if (registryMissingMaySkip(err)) return t.skip(err.message, () => {});
    throw err;
  }
  t.teardown(() => registry.stop());
  const key = generateKeyPair('ecdsa-p256');
  const kube = await startFakeKubeApi({
    token: 'tok',
    objects: [{ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'sec', name: 'k' }, data: { 'cosign.pub': Buffer.from(key.publicKeyPem).toString('base64') } }],
  });
  t.teardown(() => kube.stop());
  const digest = await pushImage(registry.host, 'cli/app', '1.0', { seed: 'cli-keyref' });
  await signImage({ registry: registry.host, repo: 'cli/app', digest, key });

  const dir = await mkdtemp(path.join(os.tmpdir(), 'kvi-keys-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, '.git'));
  await writeFile(path.join(dir, 'pod.yaml'), `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: ${registry.host}/cli/app:1.0\n`);
  await writeFile(
    path.join(dir, 'policy.yaml'),
    `apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: k8s-key\nspec:\n  rules:\n    - name: r\n      match:\n        any:\n          - resources:\n              kinds: [Pod]\n      verifyImages:\n        - imageReferences: ["${registry.host}/cli/*"]\n          attestors:\n            - entries:\n                - keys:\n                    publicKeys: k8s://sec/k\n                    rekor:\n                      ignoreTlog: true\n`,
  );
  const cli = async (...extra: string[]) => {
    let stdout = '';
    const code = await main(['pod.yaml', '-p', 'policy.yaml', '-o', 'json', '--no-cache', ...extra], {
      scriptName: 'kubectl verify-images',
      io: { cwd: dir, env: { HOME: dir }, isTTY: false, stdin: Readable.from(['']), stdout: (s) => void (stdout += s), stderr: () => {} },
    });
    return { code, result: JSON.parse(stdout) };
  };
  const ok = await cli('--kubeconfig', kube.kubeconfig, '--context', 'fake');
  t.equal(ok.code, 0);
  t.equal(ok.result.results[0].status, 'pass');
  const wrongContext = await cli('--kubeconfig', kube.kubeconfig, '--context', 'prod');
  t.equal(wrongContext.result.results[0].policies[0].status, 'error');
  t.match(wrongContext.result.results[0].policies[0].reasons.join('\n'), /cannot read k8s:\/\/sec\/k: context "prod" not found/);
  const noKubeconfig = await cli();
  t.match(noKubeconfig.result.results[0].policies[0].reasons.join('\n'), /no kubeconfig/);
});
