import t from 'tap';
import type { ResourceFilter } from '../../../src/policy/model.js';
import { load } from '../helpers.js';

function filter(match: string, meta = ''): ResourceFilter {
  const text = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: p
${meta}spec:
  rules:
    - name: r
${match}      verifyImages:
        - imageReferences: ['*']
`;
  return load(text)[0]!.rules[0]!.resources!;
}

const CONTROLLERS = ['DaemonSet', 'Deployment', 'Job', 'StatefulSet', 'ReplicaSet', 'ReplicationController', 'CronJob'];

t.test('a Pod rule also covers the pod controllers (autogen)', async (t) => {
  const f = filter('      match:\n        any:\n          - resources:\n              kinds: [Pod]\n');
  t.same(f.match, [[{ kinds: ['Pod', ...CONTROLLERS] }]]);
  t.same(f.exclude, []);
});

t.test('autogen-controllers annotation: none or a list', async (t) => {
  const m = '      match:\n        any:\n          - resources:\n              kinds: [Pod]\n';
  const none = filter(m, '  annotations:\n    pod-policies.kyverno.io/autogen-controllers: none\n');
  t.same(none.match, [[{ kinds: ['Pod'] }]]);
  const list = filter(m, '  annotations:\n    pod-policies.kyverno.io/autogen-controllers: Deployment,CronJob\n');
  t.same(list.match, [[{ kinds: ['Pod', 'Deployment', 'CronJob'] }]]);
});

t.test('no autogen when the rule names a selector or other kinds (as Kyverno)', async (t) => {
  const sel = filter('      match:\n        any:\n          - resources:\n              kinds: [Pod]\n              selector:\n                matchLabels: {app: web}\n');
  t.same(sel.match, [[{ kinds: ['Pod'], selector: { matchLabels: { app: 'web' } } }]]);
  const mixed = filter('      match:\n        any:\n          - resources:\n              kinds: [Pod, Service]\n');
  t.same(mixed.match, [[{ kinds: ['Pod', 'Service'] }]]);
});

t.test('all, legacy resources, names, namespaces, annotations', async (t) => {
  const all = filter(
    '      match:\n        all:\n          - resources:\n              kinds: [Deployment]\n          - resources:\n              namespaces: [prod-*]\n              names: [web-?]\n              annotations: {team: a*}\n',
  );
  t.same(all.match, [[{ kinds: ['Deployment'] }, { namespaces: ['prod-*'], names: ['web-?'], annotations: { team: 'a*' } }]]);
  const legacy = filter('      match:\n        resources:\n          kinds: [TaskRun]\n          name: one\n');
  t.same(legacy.match, [[{ kinds: ['TaskRun'], names: ['one'] }]]);
});

t.test('user info: match assumes it holds, exclude assumes it does not', async (t) => {
  const f = filter(
    '      match:\n        any:\n          - resources: {kinds: [Deployment]}\n            subjects: [{kind: User, name: alice}]\n      exclude:\n        any:\n          - clusterRoles: [cluster-admin]\n          - resources: {namespaces: [kube-system]}\n',
  );
  t.same(f.match, [[{ kinds: ['Deployment'] }]]);
  t.same(f.exclude, [[{ namespaces: ['kube-system'] }]]);
});

t.test('DELETE-only clauses never apply', async (t) => {
  const f = filter('      match:\n        any:\n          - resources: {kinds: [Deployment], operations: [DELETE]}\n');
  t.same(f.match, [[{ kinds: [] }]]);
});
