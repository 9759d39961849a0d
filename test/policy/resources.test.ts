import t from 'tap';
import type { ResourceFilter, Workload } from '../../src/policy/model.js';
import { appliesTo, kindMatches, selectorMatches, wildcardMatch } from '../../src/policy/resources.js';

const deploy: Workload = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  namespace: 'prod-eu',
  name: 'web-1',
  labels: { app: 'web', tier: 'front' },
  annotations: { team: 'alpha' },
};

t.test('kind selectors: Kind, version/Kind, group/version/Kind, wildcards, subresources', async (t) => {
  const table: [string, boolean][] = [
    ['Deployment', true],
    ['Pod', false],
    ['*', true],
    ['v1/Deployment', true],
    ['v2/Deployment', false],
    ['apps/v1/Deployment', true],
    ['apps/*/Deployment', true],
    ['batch/v1/Deployment', false],
    ['*/*/Deployment', true],
    ['Deployment.status', false],
  ];
  for (const [sel, want] of table) t.equal(kindMatches(sel, deploy), want, sel);
  t.ok(kindMatches('/v1/Pod', { apiVersion: 'v1', kind: 'Pod' }), 'core group');
  t.notOk(kindMatches('/v1/Pod', { apiVersion: 'x.io/v1', kind: 'Pod' }));
});

t.test('wildcards', async (t) => {
  t.ok(wildcardMatch('prod-*', 'prod-eu'));
  t.ok(wildcardMatch('web-?', 'web-1'));
  t.notOk(wildcardMatch('web-?', 'web-12'));
  t.notOk(wildcardMatch('a.b', 'axb'), 'dot is literal');
});

t.test('label selectors', async (t) => {
  const labels = deploy.labels;
  t.ok(selectorMatches({ matchLabels: { app: 'web' } }, labels));
  t.ok(selectorMatches({ matchLabels: { app: 'w*' } }, labels), 'Kyverno wildcard values');
  t.notOk(selectorMatches({ matchLabels: { app: 'api' } }, labels));
  t.ok(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, labels));
  t.notOk(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, labels));
  t.ok(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'Exists' }] }, labels));
  t.notOk(selectorMatches({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, labels));
  t.notOk(selectorMatches({ matchExpressions: [{ key: 'gone', operator: 'In', values: ['x'] }] }, labels));
});

t.test('appliesTo: any/all alternatives, exclude, unknowns', async (t) => {
  const f = (filter: ResourceFilter): boolean => appliesTo(filter, deploy);
  t.ok(appliesTo(undefined, deploy), 'no filter: everything');
  t.ok(f({ match: [[{ kinds: ['Pod'] }], [{ kinds: ['Deployment'] }]], exclude: [] }), 'any alternative');
  t.notOk(f({ match: [[{ kinds: ['Deployment'] }, { namespaces: ['dev'] }]], exclude: [] }), 'all clauses must hold');
  t.ok(f({ match: [[{ kinds: ['Deployment'], namespaces: ['prod-*'], names: ['web-*'], annotations: { team: 'al*' } }]], exclude: [] }));
  t.notOk(f({ match: [[{ kinds: ['Deployment'] }]], exclude: [[{ namespaces: ['prod-eu'] }]] }), 'excluded');
  t.notOk(f({ match: [[{ kinds: [] }]], exclude: [] }), 'empty kinds never match');
  const nsSel = { matchLabels: { env: 'prod' } };
  t.ok(f({ match: [[{ namespaceSelector: nsSel }]], exclude: [] }), 'unknown namespace labels: match holds');
  t.ok(f({ match: [[{}]], exclude: [[{ namespaceSelector: nsSel }]] }), 'unknown namespace labels: exclude does not');
  t.ok(appliesTo({ match: [[{ namespaces: ['default'] }]], exclude: [] }, { ...deploy, namespace: undefined }), 'no namespace: default');
});
