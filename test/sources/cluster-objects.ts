// Objects a FAKE Kubernetes API server serves in the cluster tests (test helper, not a test).

export const b64 = (s: string) => Buffer.from(s).toString('base64');
export function dockerSecret(namespace: string, name: string, host: string, username: string, password: string) {
  const auths = { auths: { [host]: { auth: b64(`${username}:${password}`) } } };
  return { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', metadata: { namespace, name }, data: { '.dockerconfigjson': b64(JSON.stringify(auths)) } };
}

export const deployment = (namespace: string, name: string, image: string, extra: object = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { namespace, name, uid: `uid-${name}` },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }], ...extra } } },
});
export const owned = (kind: string, owner: string) => ({ ownerReferences: [{ apiVersion: 'apps/v1', kind, name: owner, uid: `uid-${owner}`, controller: true }] });

export const OBJECTS = (host: string) => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } },
  deployment('prod', 'web', `${host}/private/web:1.0`, { imagePullSecrets: [{ name: 'regcred' }] }),
  {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { namespace: 'prod', name: 'web-5d4f', ...owned('Deployment', 'web') },
    spec: { template: { spec: { containers: [{ name: 'web', image: `${host}/private/web:1.0` }] } } },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'prod', name: 'web-5d4f-abcde', ...owned('ReplicaSet', 'web-5d4f') },
    spec: { containers: [{ name: 'web', image: `${host}/private/web:1.0` }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'prod', name: 'debug' },
    spec: { serviceAccountName: 'builder', containers: [{ name: 'sh', image: `${host}/private/tools:1.0` }], initContainers: [{ name: 'init', image: `${host}/private/web:1.0` }] },
  },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { namespace: 'prod', name: 'builder' }, imagePullSecrets: [{ name: 'sa-cred' }, { name: 'gone' }] },
  dockerSecret('prod', 'regcred', host, 'alice', 'wonderland'),
  dockerSecret('prod', 'sa-cred', 'other.example:5000', 'bob', 'builder'),
  deployment('staging', 'api', `${host}/private/api:2.0`),
  {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { namespace: 'staging', name: 'nightly' },
    spec: { schedule: '@daily', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'busybox:1.36' }] } } } } },
  },
];

