import t from 'tap';
import { parseReference } from '../../src/images/reference.js';
import type { Workload } from '../../src/policy/model.js';
import { imageMatch, selectRules } from '../../src/policy/select.js';
import { ecKey, load } from './helpers.js';

const KEY = ecKey(22);

const pod = (over: Partial<Workload> = {}): Workload => ({
  apiVersion: 'v1',
  kind: 'Pod',
  namespace: 'default',
  name: 'p',
  labels: {},
  annotations: {},
  ...over,
});

t.test('glob flavours: Kyverno * crosses /, CIP * stops at / and ** crosses', async (t) => {
  const table: [string, 'kyverno' | 'cip', string, string][] = [
    ['ghcr.io/org/*', 'kyverno', 'ghcr.io/org/a/b:1', 'match'],
    ['ghcr.io/org/*', 'cip', 'ghcr.io/org/a/b:1', 'none'],
    ['ghcr.io/org/**', 'cip', 'ghcr.io/org/a/b:1', 'match'],
    ['docker.io/*', 'kyverno', 'nginx', 'match'],
    ['index.docker.io/library/nginx:*', 'cip', 'nginx', 'match'],
    ['ghcr.io/other/*', 'kyverno', 'ghcr.io/org/a:1', 'none'],
  ];
  for (const [pattern, flavour, image, want] of table) {
    t.equal(imageMatch({ flavour, include: [pattern], exclude: [] }, parseReference(image)), want, `${flavour} ${pattern} ~ ${image}`);
  }
  t.equal(
    imageMatch({ flavour: 'kyverno', include: ['ghcr.io/*'], exclude: ['ghcr.io/trusted/*'] }, parseReference('ghcr.io/trusted/x:1')),
    'skip',
  );
});

function kyverno(kind: string, meta: string, match: string): string {
  return `apiVersion: kyverno.io/v1
kind: ${kind}
metadata:
  name: ${kind.toLowerCase()}
${meta}spec:
  rules:
    - name: r
      match:
${match}      verifyImages:
        - imageReferences: ['ghcr.io/*']
          skipImageReferences: ['ghcr.io/trusted/*']
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${KEY}
`;
}
const podMatch = '        any:\n          - resources:\n              kinds: [Pod]\n';

t.test('selection: skip, namespaced Policy, autogen kinds', async (t) => {
  const policies = [
    ...load(kyverno('ClusterPolicy', '', podMatch)),
    ...load(kyverno('Policy', '  namespace: team-a\n', podMatch)),
  ];
  const app = parseReference('ghcr.io/org/app:1');
  const names = (w: Workload, ref = app) => selectRules(policies, ref, w).map((s) => `${s.policy.name}${s.skipped ? ':skip' : ''}`);
  t.same(names(pod()), ['clusterpolicy'], 'Policy in team-a does not judge default');
  t.same(names(pod({ namespace: 'team-a' })), ['clusterpolicy', 'policy']);
  t.same(names(pod(), parseReference('ghcr.io/trusted/x:1')), ['clusterpolicy:skip']);
  t.same(names(pod(), parseReference('docker.io/library/nginx:1')), [], 'not matched');
  t.same(names(pod({ apiVersion: 'apps/v1', kind: 'Deployment' })), ['clusterpolicy'], 'autogen');
  t.same(names(pod({ apiVersion: 'batch/v1', kind: 'CronJob' })), ['clusterpolicy'], 'autogen');
  t.same(names(pod({ apiVersion: 'v1', kind: 'Service' })), []);
  const none = load(kyverno('ClusterPolicy', '  annotations:\n    pod-policies.kyverno.io/autogen-controllers: none\n', podMatch));
  t.same(selectRules(none, app, pod({ apiVersion: 'apps/v1', kind: 'Deployment' })), [], 'autogen off');
});

t.test('selection: label selector and excludes', async (t) => {
  const match = '        any:\n          - resources:\n              kinds: [Deployment]\n              selector:\n                matchLabels: {signed: "true"}\n';
  const policies = load(kyverno('ClusterPolicy', '', match));
  const app = parseReference('ghcr.io/org/app:1');
  const dep = pod({ apiVersion: 'apps/v1', kind: 'Deployment' });
  t.equal(selectRules(policies, app, { ...dep, labels: { signed: 'true' } }).length, 1);
  t.equal(selectRules(policies, app, dep).length, 0);
});

t.test('selection: CIP match[] and globs', async (t) => {
  const text = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: cip}
spec:
  images:
  - glob: "ghcr.io/org/*"
  match:
  - resource: pods
    selector:
      matchLabels: {match: match}
  authorities:
  - static: {action: pass}
`;
  const policies = load(text);
  const labelled = pod({ labels: { match: 'match' } });
  t.equal(selectRules(policies, parseReference('ghcr.io/org/app:1'), labelled).length, 1);
  t.equal(selectRules(policies, parseReference('ghcr.io/org/app:1'), pod()).length, 0, 'selector');
  t.equal(selectRules(policies, parseReference('ghcr.io/org/a/b:1'), labelled).length, 0, '* stops at /');
  t.equal(selectRules(policies, parseReference('ghcr.io/org/app:1'), { ...labelled, apiVersion: 'apps/v1', kind: 'StatefulSet' }).length, 1);
  t.equal(selectRules(policies, parseReference('ghcr.io/org/app:1'), { ...labelled, apiVersion: 'v1', kind: 'ConfigMap' }).length, 0);
});
