// Kubeconfig selection and merging, checked against the REAL kubectl reading the same files.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { noKubectl } from '../helpers/tools.js';
import { parse } from 'yaml';
import { inClusterConfig, kubeconfigPaths, mergeKubeconfigs, readKubeconfig, selectTarget, toClientConfig, type KubeconfigFile } from '../../src/config/kubeconfig.js';

const exec = promisify(execFile);
const hasKubectl = !noKubectl;

const A = `apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: {server: "https://a.example:6443", certificate-authority: ca.crt}
- name: onlya
  cluster: {server: "https://onlya.example"}
users:
- name: u
  user: {token: aaa, client-key: keys/k.pem}
- name: ua
  user: {username: alice, password: pw}
contexts:
- name: ctx
  context: {cluster: shared, user: u, namespace: team-a}
`;
const B = `apiVersion: v1
kind: Config
current-context: ctx-b
clusters:
- name: shared
  cluster: {server: "https://b.example:6443"}
- name: onlyb
  cluster: {server: "https://onlyb.example", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: bbb}
contexts:
- name: ctx
  context: {cluster: onlyb, user: u}
- name: ctx-b
  context: {cluster: onlyb, user: u}
`;
const C = `apiVersion: v1
kind: Config
current-context: ctx
contexts:
- name: ctx-c
  context: {cluster: onlya, user: ua, namespace: team-c}
`;

async function files(t: { teardown(fn: () => unknown): void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-kubeconfig-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries({ a: A, b: B, c: C })) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'config'), text);
  }
  const f = (name: string) => path.join(dir, name, 'config');
  return { dir, f };
}

const byName = <T extends { name: string }>(list: T[] | undefined | null) => Object.fromEntries((list ?? []).map((e) => [e.name, e]));
const comparable = (c: KubeconfigFile) => ({
  clusters: byName(c.clusters),
  users: byName(c.users),
  contexts: byName(c.contexts),
  current: c['current-context'] ?? '',
});

async function kubectlView(env: NodeJS.ProcessEnv, args: string[] = []): Promise<KubeconfigFile> {
  const { stdout } = await exec('kubectl', ['config', 'view', '--merge', '--raw', '-o', 'json', ...args], { env: { PATH: process.env.PATH, HOME: env.HOME, ...env } });
  return JSON.parse(stdout) as KubeconfigFile;
}

t.test('KUBECONFIG with several files merges exactly like kubectl config view --merge', { skip: !hasKubectl && 'kubectl is not on PATH' }, async (t) => {
  const { dir, f } = await files(t);
  for (const order of [
    [f('a'), f('b')],
    [f('b'), f('a')],
    [f('a'), path.join(dir, 'missing'), f('b'), f('c')],
    [f('c'), f('b'), f('a'), f('a')],
  ]) {
    const KUBECONFIG = order.join(path.delimiter);
    const expected = await kubectlView({ KUBECONFIG, HOME: dir });
    const ours = await readKubeconfig({}, { KUBECONFIG, HOME: dir });
    // kubectl config view shows relative paths as written; compare that form.
    const unresolved = mergeKubeconfigs(
      order.filter((p) => !p.endsWith('missing')).map((file) => ({ file, config: parse(readFileSync(file, 'utf8')) as KubeconfigFile })),
      { resolvePaths: false },
    );
    t.same(comparable(unresolved), comparable(expected), `KUBECONFIG=${order.map((p) => path.relative(dir, p)).join(':')}`);
    t.equal(ours['current-context'], expected['current-context'] ?? '');
  }
});

t.test('relative certificate paths resolve against the file that names them', async (t) => {
  const { dir, f } = await files(t);
  const merged = await readKubeconfig({}, { KUBECONFIG: [f('a'), f('b')].join(path.delimiter), HOME: dir });
  t.equal(byName(merged.clusters).shared!.cluster['certificate-authority'], path.join(dir, 'a', 'ca.crt'));
  t.equal(byName(merged.users).u!.user['client-key'], path.join(dir, 'a', 'keys/k.pem'));
  t.equal(byName(merged.users).u!.user.token, 'aaa', 'first file wins for a duplicate user');
});

t.test('--context, -n and -A pick what kubectl would', { skip: !hasKubectl && 'kubectl is not on PATH' }, async (t) => {
  const { dir, f } = await files(t);
  const env = { KUBECONFIG: [f('a'), f('b'), f('c')].join(path.delimiter), HOME: dir };
  const merged = await readKubeconfig({}, env);
  const ns = async (args: string[]) =>
    (await exec('kubectl', ['config', 'view', '--minify', '-o', 'jsonpath={..namespace}', ...args], { env: { PATH: process.env.PATH, ...env } })).stdout || 'default';
  t.equal(selectTarget(merged, {}).context, (await exec('kubectl', ['config', 'current-context'], { env: { PATH: process.env.PATH, ...env } })).stdout.trim());
  t.equal(selectTarget(merged, {}).namespace, await ns([]), 'ctx-b has no namespace: default');
  t.equal(selectTarget(merged, { context: 'ctx' }).namespace, await ns(['--context', 'ctx']));
  t.equal(selectTarget(merged, { context: 'ctx-c' }).namespace, 'team-c');
  t.equal(selectTarget(merged, { context: 'ctx', namespace: 'other' }).namespace, 'other');
  t.equal(selectTarget(merged, { allNamespaces: true }).namespace, undefined);
  t.throws(() => selectTarget(merged, { context: 'nope' }), { code: 'CONFIG_ERROR', message: /context "nope" not found/ });
  t.throws(() => selectTarget(merged, { namespace: 'x', allNamespaces: true }), { code: 'CONFIG_ERROR' });
});

t.test('--kubeconfig overrides KUBECONFIG and must exist; missing KUBECONFIG entries are skipped', async (t) => {
  const { dir, f } = await files(t);
  t.same(kubeconfigPaths(f('c'), { KUBECONFIG: f('a') }).paths, [f('c')]);
  t.same(kubeconfigPaths(undefined, {}, '/home/x').paths, [path.join('/home/x', '.kube', 'config')]);
  const merged = await readKubeconfig({ kubeconfig: f('b') }, { KUBECONFIG: f('a'), HOME: dir });
  t.equal(merged['current-context'], 'ctx-b');
  t.equal(byName(merged.users).u!.user.token, 'bbb');
  await t.rejects(readKubeconfig({ kubeconfig: path.join(dir, 'nope') }, { HOME: dir }), { code: 'CONFIG_ERROR' });
  const none = await readKubeconfig({}, { KUBECONFIG: path.join(dir, 'nope'), HOME: dir });
  t.same(none.contexts, []);
});

t.test('the merged config loads into client-node even with duplicate names across files', async (t) => {
  const { dir, f } = await files(t);
  const merged = await readKubeconfig({}, { KUBECONFIG: [f('a'), f('b')].join(path.delimiter), HOME: dir });
  const kc = await toClientConfig(selectTarget(merged, { context: 'ctx' }));
  t.equal(kc.getCurrentContext(), 'ctx');
  t.equal(kc.getCurrentCluster()?.server, 'https://a.example:6443');
  t.equal(kc.getCurrentUser()?.token, 'aaa');
});

t.test('inside a pod without any kubeconfig file: the ServiceAccount, as kubectl does', async (t) => {
  const { dir } = await files(t);
  const env = { HOME: dir, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
  const merged = await readKubeconfig({}, env);
  t.equal(merged['current-context'], 'in-cluster');
  t.equal(byName(merged.clusters)['in-cluster']!.cluster.server, 'https://10.0.0.1:443');
  t.equal(byName(merged.users)['in-cluster']!.user.tokenFile, '/var/run/secrets/kubernetes.io/serviceaccount/token');
  t.equal(selectTarget(merged, {}).namespace, 'default', 'no namespace file here: default');
  t.equal(inClusterConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, 'ns')?.clusters[0]!.cluster.server, 'https://[fd00::1]:6443');
  t.equal(inClusterConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, 'ns')?.contexts[0]!.context.namespace, 'ns');
  t.equal(inClusterConfig({}, undefined), undefined);
  const { f } = await files(t);
  t.equal((await readKubeconfig({}, { ...env, KUBECONFIG: f('b') }))['current-context'], 'ctx-b', 'a kubeconfig file wins over in-cluster');
});

t.test('a tokenFile user authenticates through client-node', async (t) => {
  const { dir } = await files(t);
  await writeFile(path.join(dir, 'token'), 'sa-token-123');
  const merged = mergeKubeconfigs([{ file: path.join(dir, 'config'), config: parse(`clusters: [{name: c, cluster: {server: "https://k.example"}}]
users: [{name: u, user: {tokenFile: token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`) as KubeconfigFile }]);
  const kc = await toClientConfig(selectTarget(merged, {}));
  const opts: { headers?: Record<string, string> } = { headers: {} };
  await kc.applyToHTTPSOptions(opts as never);
  t.equal(opts.headers?.Authorization, 'Bearer sa-token-123');
});
