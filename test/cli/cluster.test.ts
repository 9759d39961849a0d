// `kubectl verify-images --cluster` in-process: workloads from a FAKE Kubernetes API
// server (no real API server runs here), images and signatures in the REAL registry
// behind htpasswd auth, reachable only with the workloads' pull secrets.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { startFakeKubeApi } from '../../src/testkit/fake-kube-api.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { OBJECTS, dockerSecret } from '../sources/cluster-objects.js';

const auth = { username: 'alice', password: 'wonderland' };
const key = generateKeyPair('ecdsa-p256');
let registry: TestRegistry;
let webDigest = '';

t.before(async () => {
  registry = await startRegistry({ htpasswd: { [auth.username]: auth.password } });
  webDigest = await pushImage(registry.host, 'private/web', '1.0', { seed: 'cluster-web', auth });
  await signImage({ registry: registry.host, repo: 'private/web', digest: webDigest, key, auth });
  await pushImage(registry.host, 'private/tools', '1.0', { seed: 'cluster-tools', auth });
});
t.teardown(() => registry?.stop());

async function cli(cwd: string, args: string[]) {
  // No docker config: credentials can only come from the pull secrets.
  return runCli(cwd, args, { env: { HOME: cwd, DOCKER_CONFIG: path.join(cwd, '.docker'), XDG_CACHE_HOME: path.join(cwd, '.cache') } });
}

const indent = (text: string, n: number) => text.trim().split('\n').map((l) => ' '.repeat(n) + l).join('\n');
const cip = (host: string) => `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: private-signed
spec:
  images:
    - glob: "${host}/private/**"
  authorities:
    - key:
        data: |
${indent(key.publicKeyPem, 10)}
`;

async function repo(t: { teardown(fn: () => unknown): void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-cluster-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, '.git'));
  await mkdir(path.join(dir, '.verify-images'));
  await writeFile(path.join(dir, '.verify-images', 'private.yaml'), cip(registry.host));
  return dir;
}

t.test('--cluster -n prod verifies running workloads with their pull secrets (FAKE API server, REAL registry)', async (t) => {
  const api = await startFakeKubeApi({ objects: OBJECTS(registry.host) });
  t.teardown(() => api.stop());
  const dir = await repo(t);
  const out = await cli(dir, ['--cluster', '--kubeconfig', api.kubeconfig, '-n', 'prod', '-o', 'json', '--no-cache']);
  t.equal(out.code, 1, out.stderr);
  const result = JSON.parse(out.stdout);
  const byImage = Object.fromEntries(result.results.map((r: { image: string }) => [r.image.replace(`${registry.host}/`, ''), r]));
  t.equal(byImage['private/web:1.0'].status, 'pass', 'signed image verified through the authenticated registry');
  t.equal(byImage['private/web:1.0'].digest, webDigest);
  t.same(byImage['private/web:1.0'].uses.map((u: { file: string }) => u.file).sort(), ['cluster:Deployment/prod/web', 'cluster:Pod/prod/debug']);
  t.equal(byImage['private/tools:1.0'].status, 'fail', JSON.stringify(byImage['private/tools:1.0']));
  console.error(registry.accessLog().slice(-12).map((l) => l.replace(/^.*] /, '')));
  t.match(out.stderr, /warning: Secret prod\/gone: not found/);
  t.ok(registry.accessLog().some((l) => /HEAD \/v2\/private\/web\/manifests\/1\.0 HTTP\/1\.1" 200/.test(l)), 'authenticated pull succeeded');
});

t.test('without the pull secret the private registry refuses and the image is an error, not a pass', async (t) => {
  const objects = OBJECTS(registry.host).filter((o) => !(o.kind === 'Secret' && o.metadata?.name === 'regcred'));
  objects.push(dockerSecret('prod', 'regcred', registry.host, 'alice', 'wrong-password'));
  const api = await startFakeKubeApi({ objects });
  t.teardown(() => api.stop());
  const dir = await repo(t);
  const out = await cli(dir, ['--cluster', '--kubeconfig', api.kubeconfig, '-n', 'prod', '-o', 'json', '--no-cache']);
  const web = JSON.parse(out.stdout).results.find((r: { image: string }) => r.image.endsWith('private/web:1.0'));
  t.equal(web.status, 'error');
  t.not(out.code, 0);
});

t.test("Kyverno imageRegistryCredentials.secrets are read from the cluster (kyverno namespace, or ns/name)", async (t) => {
  const kyverno = (secrets: string) => `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: private-signed
spec:
  rules:
    - name: signed
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["${registry.host}/private/web*"]
          failureAction: Enforce
          verifyDigest: false
          required: false
          mutateDigest: false
${secrets}          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${indent(key.publicKeyPem, 22)}
                    rekor:
                      ignoreTlog: true
`;
  // The workloads' own pull secret is wrong: only the policy's secret opens the registry.
  const objects = OBJECTS(registry.host).filter((o) => !(o.kind === 'Secret' && o.metadata?.name === 'regcred'));
  objects.push(dockerSecret('prod', 'regcred', registry.host, 'alice', 'wrong-password'));
  objects.push(dockerSecret('kyverno', 'registry-auth', registry.host, auth.username, auth.password));
  objects.push(dockerSecret('team', 'pull', registry.host, auth.username, auth.password));
  const api = await startFakeKubeApi({ objects });
  t.teardown(() => api.stop());
  const web = async (secrets: string) => {
    const dir = await repo(t);
    await writeFile(path.join(dir, '.verify-images', 'private.yaml'), kyverno(secrets));
    const out = await cli(dir, ['--cluster', '--kubeconfig', api.kubeconfig, '-n', 'prod', '-o', 'json', '--no-cache']);
    return JSON.parse(out.stdout).results.find((r: { image: string }) => r.image.endsWith('private/web:1.0'));
  };
  const creds = (list: string) => `          imageRegistryCredentials:\n            secrets: [${list}]\n`;
  t.equal((await web(creds('registry-auth'))).status, 'pass', 'a bare name is read from the kyverno namespace');
  t.equal((await web(creds('team/pull'))).status, 'pass', 'ns/name (Kyverno 1.18)');
  t.equal((await web('')).status, 'error', 'without it the registry refuses: error, not pass');
});

t.test('ImageValidatingPolicy credentials.secrets are read from the cluster, as imageRegistryCredentials', async (t) => {
  const ivpol = (credentials: string) => `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: private-signed
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE"]
        resources: ["pods"]
  matchImageReferences:
    - glob: "${registry.host}/private/web*"
  validationConfigurations:
    mutateDigest: false
    verifyDigest: false
    required: false
${credentials}  attestors:
    - name: k
      cosign:
        key:
          data: |-
${indent(key.publicKeyPem, 12)}
        ctlog:
          insecureIgnoreTlog: true
  validations:
    - expression: "images.containers.all(i, verifyImageSignatures(i, [attestors.k]) > 0)"
`;
  const objects = OBJECTS(registry.host).filter((o) => !(o.kind === 'Secret' && o.metadata?.name === 'regcred'));
  objects.push(dockerSecret('prod', 'regcred', registry.host, 'alice', 'wrong-password'));
  objects.push(dockerSecret('kyverno', 'registry-auth', registry.host, auth.username, auth.password));
  const api = await startFakeKubeApi({ objects });
  t.teardown(() => api.stop());
  const web = async (credentials: string) => {
    const dir = await repo(t);
    await writeFile(path.join(dir, '.verify-images', 'private.yaml'), ivpol(credentials));
    const out = await cli(dir, ['--cluster', '--kubeconfig', api.kubeconfig, '-n', 'prod', '-o', 'json', '--no-cache']);
    return JSON.parse(out.stdout).results.find((r: { image: string }) => r.image.endsWith('private/web:1.0'));
  };
  t.equal((await web('  credentials:\n    providers: [default]\n    secrets: [registry-auth]\n')).status, 'pass', 'a bare name is read from the kyverno namespace');
  t.equal((await web('')).status, 'error', 'without it the registry refuses: error, not pass');
});

t.test('--policies-from-cluster uses the ClusterImagePolicies stored in the cluster', async (t) => {
  const policy = {
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: 'from-cluster' },
    spec: { images: [{ glob: `${registry.host}/private/**` }], authorities: [{ key: { data: key.publicKeyPem } }] },
  };
  const api = await startFakeKubeApi({
    objects: [...OBJECTS(registry.host), policy],
    resources: [{ group: 'policy.sigstore.dev', version: 'v1beta1', kind: 'ClusterImagePolicy', plural: 'clusterimagepolicies', namespaced: false }],
  });
  t.teardown(() => api.stop());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-cluster-nopol-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, '.git'));
  const out = await cli(dir, ['--cluster', '--policies-from-cluster', '--kubeconfig', api.kubeconfig, '-n', 'prod', '-o', 'json', '--no-cache']);
  const web = JSON.parse(out.stdout).results.find((r: { image: string }) => r.image.endsWith('private/web:1.0'));
  t.equal(web.status, 'pass', out.stderr);
  t.same(web.policies.map((p: { policy: string; file: string }) => [p.policy, p.file]), [['from-cluster', 'cluster:ClusterImagePolicy//from-cluster']]);
  const without = await cli(dir, ['--cluster', '--kubeconfig', api.kubeconfig, '-n', 'prod', '-o', 'json']);
  t.equal(without.code, 2, 'no repository policies and no --policies-from-cluster: usage error');
});

t.test('usage errors: paths with --cluster, -n with -A, unknown context', async (t) => {
  const api = await startFakeKubeApi({ objects: [] });
  t.teardown(() => api.stop());
  const dir = await repo(t);
  t.equal((await cli(dir, ['--cluster', 'deploy/', '--kubeconfig', api.kubeconfig])).code, 2);
  t.equal((await cli(dir, ['--cluster', '-n', 'a', '-A', '--kubeconfig', api.kubeconfig])).code, 2);
  const ctx = await cli(dir, ['--cluster', '--context', 'nope', '--kubeconfig', api.kubeconfig]);
  t.equal(ctx.code, 2);
  t.match(ctx.stderr, /context "nope" not found/);
});
