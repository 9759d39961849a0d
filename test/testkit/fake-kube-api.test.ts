import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { Agent, fetch as undiciFetch } from 'undici';
import { parseLabelSelector, startFakeKubeApi } from '../../src/testkit/fake-kube-api.js';

const exec = promisify(execFile);
const k8s = await import('@kubernetes/client-node');

/** fetch that trusts the fake's self-signed certificate. */
const fetchFrom = (api: { ca?: string }) => (url: string, init: { headers?: Record<string, string> } = {}) =>
  undiciFetch(url, { ...init, dispatcher: new Agent({ connect: { ca: api.ca } }) });

const secret = (ns: string, name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: ns, labels },
  data: { 'cosign.pub': Buffer.from('PEM').toString('base64') },
});

function clients(kubeconfig: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { kc, core: kc.makeApiClient(k8s.CoreV1Api), apps: kc.makeApiClient(k8s.AppsV1Api), batch: kc.makeApiClient(k8s.BatchV1Api), custom: kc.makeApiClient(k8s.CustomObjectsApi) };
}

t.test('fake kube API: client-node CoreV1Api reads, lists with labelSelector, 404 as ApiException', async (t) => {
  const api = await startFakeKubeApi({ objects: [secret('a', 's1', { app: 'x' }), secret('a', 's2', { app: 'y' }), secret('b', 's3', { app: 'x' })] });
  t.teardown(() => api.stop());
  const { core } = clients(api.kubeconfig);
  const s = await core.readNamespacedSecret({ name: 's1', namespace: 'a' });
  t.equal(Buffer.from(s.data!['cosign.pub']!, 'base64').toString(), 'PEM');
  t.ok(s.metadata?.uid, 'server fills uid');
  const inA = await core.listNamespacedSecret({ namespace: 'a' });
  t.same(inA.items.map((i) => i.metadata!.name), ['s1', 's2']);
  const selected = await core.listSecretForAllNamespaces({ labelSelector: 'app=x' });
  t.same(selected.items.map((i) => `${i.metadata!.namespace}/${i.metadata!.name}`), ['a/s1', 'b/s3']);
  const err = await core.readNamespacedSecret({ name: 'nope', namespace: 'a' }).catch((e: unknown) => e);
  t.ok(err instanceof k8s.ApiException, 'client-node raises ApiException');
  t.equal((err as InstanceType<typeof k8s.ApiException>).code, 404);
  t.match(api.requests().at(-1), { method: 'GET', path: '/api/v1/namespaces/a/secrets/nope' });
  t.match(api.requests().find((r) => r.path === '/api/v1/secrets'), { query: 'labelSelector=app%3Dx' });
});

t.test('fake kube API: create, replace, merge and JSON patch, delete (typed APIs)', async (t) => {
  const api = await startFakeKubeApi();
  t.teardown(() => api.stop());
  const { core, apps, batch } = clients(api.kubeconfig);
  await core.createNamespace({ body: { metadata: { name: 'ns1' } } });
  const dep = await apps.createNamespacedDeployment({
    namespace: 'ns1',
    body: {
      metadata: { name: 'web', labels: { tier: 'front' } },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } },
    },
  });
  t.equal(dep.metadata?.namespace, 'ns1');
  const dup = await apps.createNamespacedDeployment({ namespace: 'ns1', body: { metadata: { name: 'web' } } }).catch((e: any) => e.code);
  t.equal(dup, 409, 'AlreadyExists');

  // client-node's default patch body is a JSON patch (RFC 6902).
  await apps.patchNamespacedDeployment({ name: 'web', namespace: 'ns1', body: [{ op: 'add', path: '/spec/replicas', value: 3 }] });
  const badPatch = await apps
    .patchNamespacedDeployment({ name: 'web', namespace: 'ns1', body: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }] })
    .catch((e: any) => e.code);
  t.equal(badPatch, 422, 'JSON patch on a missing path is Invalid');
  const merged = await apps.patchNamespacedDeployment(
    { name: 'web', namespace: 'ns1', body: { metadata: { labels: { tier: null, owner: 'me' } } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
  t.same(merged.metadata?.labels, { owner: 'me' });
  t.equal(merged.spec?.replicas, 3);
  const strategic = await apps.patchNamespacedDeployment(
    { name: 'web', namespace: 'ns1', body: { spec: { replicas: 5 } } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
  );
  t.equal(strategic.spec?.replicas, 5, 'strategic merge treated as merge');

  const read = await apps.readNamespacedDeployment({ name: 'web', namespace: 'ns1' });
  read.spec!.template.spec!.containers[0]!.image = 'nginx:2';
  const replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: 'ns1', body: read });
  t.equal(replaced.spec?.template.spec?.containers[0]?.image, 'nginx:2');
  t.equal(replaced.metadata?.uid, dep.metadata?.uid, 'uid kept across replace');

  await batch.createNamespacedJob({ namespace: 'ns1', body: { metadata: { name: 'j' }, spec: { template: { spec: { containers: [], restartPolicy: 'Never' } } } } });
  t.equal((await batch.listJobForAllNamespaces()).items.length, 1);

  await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'ns1' });
  t.equal((await apps.listNamespacedDeployment({ namespace: 'ns1' })).items.length, 0);
  t.same(
    api.objects().map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    ['Job/j', 'Namespace/ns1'],
  );
});

t.test('fake kube API: CustomObjectsApi (cluster-scoped CRDs) and Events', async (t) => {
  const cip = { apiVersion: 'policy.sigstore.dev/v1beta1', kind: 'ClusterImagePolicy', metadata: { name: 'p' }, spec: { images: [{ glob: '**' }] } };
  const api = await startFakeKubeApi({ objects: [cip] });
  t.teardown(() => api.stop());
  const { core, custom } = clients(api.kubeconfig);
  const list = (await custom.listClusterCustomObject({ group: 'policy.sigstore.dev', version: 'v1beta1', plural: 'clusterimagepolicies' })) as any;
  t.same(list.items.map((i: any) => i.metadata.name), ['p']);
  const one = (await custom.getClusterCustomObject({ group: 'policy.sigstore.dev', version: 'v1beta1', plural: 'clusterimagepolicies', name: 'p' })) as any;
  t.same(one.spec, cip.spec);
  // A kind the fake never heard of can still be created and read back.
  await custom.createNamespacedCustomObject({ group: 'example.com', version: 'v1', namespace: 'n', plural: 'widgets', body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } } });
  const w = (await custom.getNamespacedCustomObject({ group: 'example.com', version: 'v1', namespace: 'n', plural: 'widgets', name: 'w' })) as any;
  t.equal(w.kind, 'Widget');
  await core.createNamespacedEvent({ namespace: 'n', body: { metadata: { generateName: 'ev-' }, reason: 'ImageVerified', involvedObject: { kind: 'Pod', name: 'x' } } });
  const events = await core.listNamespacedEvent({ namespace: 'n' });
  t.equal(events.items.length, 1);
  t.match(events.items[0]!.metadata?.name, /^ev-/);
  t.equal(events.items[0]!.reason, 'ImageVerified');
});

t.test('fake kube API: token required when set (401 without it), kubeconfig carries it', async (t) => {
  const api = await startFakeKubeApi({ token: 'sekret', objects: [secret('a', 's')] });
  t.teardown(() => api.stop());
  const fetch = fetchFrom(api);
  t.match(api.url, /^https:/);
  const res = await fetch(`${api.url}/api/v1/namespaces/a/secrets/s`);
  t.equal(res.status, 401);
  t.match((await res.json()) as object, { kind: 'Status', code: 401, reason: 'Unauthorized' });
  const { core } = clients(api.kubeconfig);
  t.equal((await core.readNamespacedSecret({ name: 's', namespace: 'a' })).metadata?.name, 's');
  const ok = await fetch(`${api.url}/version`, { headers: { authorization: 'Bearer sekret' } });
  t.match((await ok.json()) as object, { major: '1', gitVersion: /fake/ });
});

t.test('fake kube API: discovery documents', async (t) => {
  const api = await startFakeKubeApi();
  t.teardown(() => api.stop());
  const fetch = fetchFrom(api);
  const get = async (p: string) => (await fetch(api.url + p)).json() as Promise<any>;
  t.same((await get('/api')).versions, ['v1']);
  const groups = (await get('/apis')).groups.map((g: any) => g.name);
  t.ok(groups.includes('apps') && groups.includes('batch') && groups.includes('kyverno.io') && groups.includes('policy.sigstore.dev'));
  const core = await get('/api/v1');
  t.match(core.resources.find((r: any) => r.name === 'namespaces'), { kind: 'Namespace', namespaced: false });
  t.match(core.resources.find((r: any) => r.name === 'pods'), { kind: 'Pod', namespaced: true });
  t.equal((await get('/apis/policy.sigstore.dev')).preferredVersion.version, 'v1beta1');
  t.equal((await fetch(api.url + '/apis/nope.io/v1/things')).status, 404);
});

t.test('fake kube API: the real kubectl works against it', async (t) => {
  if (!existsSync('/usr/bin/kubectl') && !(process.env.PATH ?? '').split(':').some((d) => existsSync(`${d}/kubectl`))) {
    return t.skip('kubectl not installed', () => {});
  }
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
  const api = await startFakeKubeApi({ token: 'tok', objects: [pod] });
  t.teardown(() => api.stop());
  const { stdout } = await exec('kubectl', ['--kubeconfig', api.kubeconfig, 'get', 'pods', '-o', 'jsonpath={.items[*].spec.containers[*].image}']);
  t.equal(stdout, 'nginx:1');
  const { stdout: names } = await exec('kubectl', ['--kubeconfig', api.kubeconfig, 'get', 'pods', '-o', 'name']);
  t.equal(names.trim(), 'pod/p1');
});

t.test('fake kube API: plain HTTP mode works with client-node', async (t) => {
  const api = await startFakeKubeApi({ tls: false, token: 'x', objects: [secret('a', 's')] });
  t.teardown(() => api.stop());
  t.match(api.url, /^http:/);
  t.equal(api.ca, undefined);
  const { core } = clients(api.kubeconfig);
  t.equal((await core.readNamespacedSecret({ name: 's', namespace: 'a' })).metadata?.name, 's');
});

t.test('fake kube API: stop removes the kubeconfig', async (t) => {
  const api = await startFakeKubeApi();
  t.ok(existsSync(api.kubeconfig));
  await api.stop();
  t.notOk(existsSync(api.kubeconfig));
});

t.test('label selector syntax', async (t) => {
  const l = { app: 'web', tier: 'front' };
  t.ok(parseLabelSelector('')(l));
  t.ok(parseLabelSelector('app=web,tier==front')(l));
  t.notOk(parseLabelSelector('app!=web')(l));
  t.ok(parseLabelSelector('app in (web, api)')(l));
  t.notOk(parseLabelSelector('app notin (web,api)')(l));
  t.ok(parseLabelSelector('tier,!missing')(l));
  t.notOk(parseLabelSelector('!tier')(l));
});
