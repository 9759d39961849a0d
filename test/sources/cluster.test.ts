// Live-cluster source against a FAKE Kubernetes API server (src/testkit/fake-kube-api.ts:
// no real API server runs here), read through the real @kubernetes/client-node.
import t from 'tap';
import { readKubeconfig, selectTarget, toClientConfig } from '../../src/config/kubeconfig.js';
import { ClusterReader, controllerOwned, pullSecretNames, readClusterPolicies, readClusterUses, usesOfObject } from '../../src/sources/cluster.js';
import { authsOfSecret, chainCredentialStores, pullSecretCredentialStore } from '../../src/registry/pull-secrets.js';
import { startFakeKubeApi } from '../../src/testkit/fake-kube-api.js';
import { b64, dockerSecret, OBJECTS, owned } from './cluster-objects.js';

t.test('pure helpers: controller ownership, pull secret names, cluster: file names', async (t) => {
  t.ok(controllerOwned({ metadata: owned('ReplicaSet', 'x') }));
  t.notOk(controllerOwned({ metadata: { ownerReferences: [{ kind: 'Foo', controller: false }] } }));
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { imagePullSecrets: [{ name: 'a' }], containers: [{ name: 'c', image: 'x:1' }] } };
  t.same(pullSecretNames(pod, { imagePullSecrets: [{ name: 'b' }, { name: 'a' }] }), ['a', 'b']);
  const [use] = usesOfObject(pod);
  t.equal(use!.file, 'cluster:Pod/n/p');
  t.equal(use!.workload.kind, 'Pod');
  t.equal(use!.image, 'x:1');
});

t.test('pull secrets become a credential store (dockerconfigjson and dockercfg; first secret wins)', async (t) => {
  const a = dockerSecret('n', 'a', 'https://index.docker.io/v1/', 'u1', 'p1');
  const b = dockerSecret('n', 'b', 'docker.io', 'u2', 'p2');
  const legacy = { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ 'reg.example': { username: 'u3', password: 'p3' } })) } };
  const opaque = { type: 'Opaque', data: { '.dockerconfigjson': a.data['.dockerconfigjson'] } };
  t.same(authsOfSecret(opaque), {}, 'other secret types are ignored');
  const store = pullSecretCredentialStore([a, b, legacy]);
  t.match(await store.get('registry-1.docker.io'), { username: 'u1', password: 'p1', source: 'pull secret n/a' });
  t.match(await store.get('reg.example'), { username: 'u3', password: 'p3' });
  t.equal(await store.get('nowhere.example'), undefined);
  const chained = chainCredentialStores(store, { get: async () => ({ username: 'fallback' }) });
  t.same(await chained.get('nowhere.example'), { username: 'fallback' });
});

t.test('lists top-level workloads of a namespace with their pull secrets (FAKE API server)', async (t) => {
  const api = await startFakeKubeApi({ objects: OBJECTS('127.0.0.1:5999'), namespace: 'prod' });
  t.teardown(() => api.stop());
  const target = selectTarget(await readKubeconfig({ kubeconfig: api.kubeconfig }, {}), {});
  t.equal(target.namespace, 'prod', "the context's namespace");
  const reader = new ClusterReader(await toClientConfig(target));
  const got = await readClusterUses(reader, target.namespace);
  t.equal(got.workloads, 2, 'the ReplicaSet and Pod owned by the Deployment are not listed twice');
  t.same(
    got.uses.map((u) => [u.file, u.container, u.field, u.image]),
    [
      ['cluster:Deployment/prod/web', 'web', 'containers', '127.0.0.1:5999/private/web:1.0'],
      ['cluster:Pod/prod/debug', 'sh', 'containers', '127.0.0.1:5999/private/tools:1.0'],
      ['cluster:Pod/prod/debug', 'init', 'initContainers', '127.0.0.1:5999/private/web:1.0'],
    ],
  );
  t.same(got.pullSecrets.map((s) => s.metadata?.name), ['regcred', 'sa-cred'], "the workload's own secret and its ServiceAccount's");
  t.match(got.warnings.join('\n'), /Secret prod\/gone: not found/);
  t.match(got.warnings.join('\n'), /ServiceAccount prod\/default: not found/);
  t.ok(api.requests().every((r) => r.method === 'GET'), 'the audit only reads');
  t.notOk(api.requests().some((r) => r.path.includes('/namespaces/staging')), 'nothing outside the namespace');
});

t.test('-A lists every namespace', async (t) => {
  const api = await startFakeKubeApi({ objects: OBJECTS('127.0.0.1:5999') });
  t.teardown(() => api.stop());
  const target = selectTarget(await readKubeconfig({ kubeconfig: api.kubeconfig }, {}), { allNamespaces: true });
  const got = await readClusterUses(new ClusterReader(await toClientConfig(target)), target.namespace);
  t.same([...new Set(got.uses.map((u) => u.file))].sort(), [
    'cluster:CronJob/staging/nightly',
    'cluster:Deployment/prod/web',
    'cluster:Deployment/staging/api',
    'cluster:Pod/prod/debug',
  ]);
});

t.test('policies stored in the cluster become policy files; absent CRDs are skipped', async (t) => {
  const cip = {
    apiVersion: 'policy.sigstore.dev/v1beta1',
    kind: 'ClusterImagePolicy',
    metadata: { name: 'allow-busybox', managedFields: [{ manager: 'kubectl' }] },
    spec: { images: [{ glob: 'index.docker.io/library/busybox*' }], authorities: [{ static: { action: 'pass' } }] },
  };
  const api = await startFakeKubeApi({
    objects: [cip],
    resources: [{ group: 'policy.sigstore.dev', version: 'v1beta1', kind: 'ClusterImagePolicy', plural: 'clusterimagepolicies', namespaced: false }],
  });
  t.teardown(() => api.stop());
  const target = selectTarget(await readKubeconfig({ kubeconfig: api.kubeconfig }, {}), {});
  const files = await readClusterPolicies(new ClusterReader(await toClientConfig(target)), target.namespace);
  t.same(files.map((f) => f.file), ['cluster:ClusterImagePolicy//allow-busybox']);
  t.match(files[0]!.text, /kind: ClusterImagePolicy/);
  t.notMatch(files[0]!.text, /managedFields/);
});
