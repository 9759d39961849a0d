// k8s:// and Secret key references read with client-node from a FAKE Kubernetes
// API server (no real API server runs here), through the user's kubeconfig.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pickKey } from '../../src/keys/k8s-secret.js';
import { createKeyResolver, resolveKeyReference } from '../../src/keys/resolve.js';
import { startFakeKubeApi, type FakeKubeApi } from '../../src/testkit/fake-kube-api.js';

const pem = (k = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey) => k.export({ type: 'spki', format: 'pem' }).toString().trim();
const keyA = pem();
const keyB = pem();
const b64 = (s: string) => Buffer.from(s).toString('base64');
const secret = (namespace: string, name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { namespace, name },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});

let api: FakeKubeApi;
t.before(async () => {
  api = await startFakeKubeApi({
    token: 'kube-token-xyz',
    objects: [
      secret('cosign-system', 'signing', { 'cosign.pub': keyA, 'cosign.key': 'encrypted', 'cosign.password': 'pw' }),
      secret('cosign-system', 'only', { 'release.pub': keyB }),
      secret('cosign-system', 'two', { 'a.pub': keyA + '\n' + keyB }),
      secret('cosign-system', 'many', { 'a.pub': keyA, 'b.pub': keyB }),
      secret('cosign-system', 'junk', { 'cosign.pub': 'not a key' }),
    ],
  });
});
t.teardown(() => api?.stop());

t.test('k8s://ns/name reads cosign.pub with the kubeconfig given (--kubeconfig)', async (t) => {
  const keys = await resolveKeyReference({ type: 'kms', uri: 'k8s://cosign-system/signing' }, { kubeconfig: api.kubeconfig, env: {} });
  t.same(keys, [keyA]);
  t.match(api.requests().at(-1), { method: 'GET', path: '/api/v1/namespaces/cosign-system/secrets/signing' });
});

t.test('Kyverno secret{} / CIP secretRef: cosign.pub, else the only key, every PEM block in it', async (t) => {
  const env = { KUBECONFIG: api.kubeconfig };
  t.same(await resolveKeyReference({ type: 'k8s-secret', namespace: 'cosign-system', name: 'signing' }, { env }), [keyA], 'KUBECONFIG env');
  t.same(await resolveKeyReference({ type: 'k8s-secret', namespace: 'cosign-system', name: 'only' }, { env }), [keyB]);
  t.same(await resolveKeyReference({ type: 'k8s-secret', namespace: 'cosign-system', name: 'two' }, { env }), [keyA, keyB]);
  t.same(await resolveKeyReference({ type: 'k8s-secret', namespace: 'cosign-system', name: 'many', key: 'b.pub' }, { env }), [keyB], 'an explicit data key');
});

t.test('clear errors: secret not found, no cosign.pub, not a key, no kubeconfig, unknown context, bad token', async (t) => {
  const opts = { kubeconfig: api.kubeconfig, env: {} };
  await t.rejects(resolveKeyReference({ type: 'kms', uri: 'k8s://cosign-system/missing' }, opts), {
    code: 'KEY_SECRET_NOT_FOUND',
    message: 'cannot read k8s://cosign-system/missing: secret missing not found in namespace cosign-system',
  });
  await t.rejects(resolveKeyReference({ type: 'k8s-secret', namespace: 'cosign-system', name: 'many' }, opts), {
    code: 'KEY_SECRET_NO_KEY',
    message: 'k8s://cosign-system/many: secret has no cosign.pub (keys: a.pub, b.pub)',
  });
  await t.rejects(resolveKeyReference({ type: 'k8s-secret', namespace: 'cosign-system', name: 'junk' }, opts), { code: 'KEY_NOT_PUBLIC', message: /k8s:\/\/cosign-system\/junk/ });

  const home = await mkdtemp(path.join(os.tmpdir(), 'kvi-nokube-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  await t.rejects(resolveKeyReference({ type: 'kms', uri: 'k8s://ns/name' }, { env: { HOME: home } }), {
    code: 'KEY_NO_KUBECONFIG',
    message: /^cannot read k8s:\/\/ns\/name: no kubeconfig/,
  });
  await t.rejects(resolveKeyReference({ type: 'kms', uri: 'k8s://ns/name' }, { kubeconfig: path.join(home, 'absent'), env: {} }), {
    code: 'KEY_NO_KUBECONFIG',
    message: /^cannot read k8s:\/\/ns\/name: cannot read kubeconfig/,
  });
  await t.rejects(resolveKeyReference({ type: 'kms', uri: 'k8s://ns/name' }, { ...opts, context: 'prod' }), {
    code: 'KEY_NO_KUBECONFIG',
    message: /context "prod" not found/,
  });

  const wrong = path.join(home, 'wrong-token');
  await writeFile(wrong, (await readFile(api.kubeconfig, 'utf8')).replace('kube-token-xyz', 'nope-token'));
  const denied = await resolveKeyReference({ type: 'kms', uri: 'k8s://cosign-system/signing' }, { kubeconfig: wrong, env: {} }).catch((e) => e);
  t.equal(denied.code, 'KEY_ACCESS_DENIED');
  t.match(denied.message, /unauthorized \(context fake\)/);
  t.notMatch(denied.message, /token/, 'no credential in the message');
});

t.test('--context picks the context among several', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kvi-ctx-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const text = await readFile(api.kubeconfig, 'utf8');
  // A second context pointing nowhere is current; --context fake must be used instead.
  const multi = text
    .replace('contexts:\n', 'contexts:\n- name: broken\n  context:\n    cluster: nowhere\n    user: fake\n')
    .replace('clusters:\n', 'clusters:\n- name: nowhere\n  cluster:\n    server: https://127.0.0.1:9\n')
    .replace('current-context: fake', 'current-context: broken');
  const file = path.join(dir, 'config');
  await writeFile(file, multi);
  t.same(await resolveKeyReference({ type: 'kms', uri: 'k8s://cosign-system/signing' }, { kubeconfig: file, context: 'fake', env: {} }), [keyA]);
  await t.rejects(resolveKeyReference({ type: 'kms', uri: 'k8s://cosign-system/signing' }, { kubeconfig: file, env: {} }), { code: 'KEY_FETCH_FAILED' });
});

t.test('createKeyResolver: one request per Secret per run; leaf() fills keys and drops keyRef', async (t) => {
  const resolver = createKeyResolver({ kubeconfig: api.kubeconfig, env: {} });
  const before = api.requests().length;
  const ref = { type: 'k8s-secret' as const, namespace: 'cosign-system', name: 'signing' };
  const [a, b] = await Promise.all([resolver.keys(ref), resolver.keys({ ...ref })]);
  t.same(a, [keyA]);
  t.equal(a, b, 'the same promise result');
  t.equal(api.requests().length - before, 1);
  const leaf = { kind: 'key' as const, path: 'p', line: 1, keys: [], hashAlgorithm: 'sha256' as const, annotations: {}, tlog: 'ignore' as const, keyRef: ref };
  const resolved = await resolver.leaf(leaf);
  t.same(resolved.keys, [keyA]);
  t.notOk('keyRef' in resolved);
  t.equal(await resolver.leaf(leaf), resolved, 'same object for the same leaf (stable cache key)');
  t.equal(api.requests().length - before, 1);
});

t.test('pickKey (pure)', async (t) => {
  t.equal(pickKey({ 'cosign.pub': 'x', other: 'y' }, undefined, 'w'), 'cosign.pub');
  t.equal(pickKey({ other: 'y' }, undefined, 'w'), 'other');
  t.equal(pickKey({ a: '1', b: '2' }, 'b', 'w'), 'b');
  t.throws(() => pickKey({}, undefined, 'k8s://a/b'), { code: 'KEY_SECRET_NO_KEY', message: 'k8s://a/b: secret has no cosign.pub (keys: none)' });
  t.throws(() => pickKey({ a: '1' }, 'b', 'w'), { code: 'KEY_SECRET_NO_KEY' });
});
