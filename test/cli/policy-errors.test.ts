// Policies that used to let every image through: nothing loaded, a format no loader reads,
// unknown (misspelt) fields, an unsupported requirement under failurePolicy Ignore.
import path from 'node:path';
import t from 'tap';
import { generateKeyPair } from '../../src/testkit/cosign-signer.js';
import { pod, runCli, staticPolicy, tempRepo } from '../helpers/cli.js';
import { indent } from '../helpers/engine.js';

const POD = pod({ web: 'registry.internal/web:1.0' });
const KEY = generateKeyPair('ecdsa-p256').publicKeyPem;
const repo = (t: { teardown: (fn: () => unknown) => void }, files: Record<string, string>) => tempRepo(t, { 'pod.yaml': POD, ...files }, { prefix: 'vi-pol-' });

function kyverno(spec: string, rule = ''): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: check
spec:
${indent(spec, 2)}
  rules:
    - name: r
      match:
        any:
          - resources:
              kinds: [Pod]
${indent(rule, 6)}
`;
}
const VERIFY = `verifyImages:
  - imageReferences: ["registry.internal/*"]
    attestors:
      - entries:
          - keys:
              publicKeys: |-
${indent(KEY, 16)}`;

t.test('no policy loaded is exit 2, whatever the reason', async (t) => {
  const cases: [string, Record<string, string>, string[], RegExp][] = [
    ['an empty -p directory', { 'p/.keep': '' }, ['-p', 'p'], /no image policy loaded from p: no \*\.yaml/],
    ['an empty .verify-images/', { '.verify-images/.keep': '' }, [], /no image policy loaded from \.verify-images/],
    ['a directory of ConfigMaps', { 'p/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' }, ['-p', 'p'], /1 file read, none of them an image policy/],
    ['an empty file', { 'p/policy.yaml': '' }, ['-p', 'p/policy.yaml'], /1 file read, none of them an image policy/],
    ['names no loader reads', { 'p/policy.yaml.txt': staticPolicy('x', '**', 'fail') }, ['-p', 'p'], /not read \(by name\): p[/\\]policy\.yaml\.txt/],
    ['a ClusterPolicy without verifyImages', { 'p/k.yaml': kyverno('validationFailureAction: Enforce', 'validate: {message: x, pattern: {spec: {}}}') }, ['-p', 'p'], /no image verification rule in them/],
  ];
  for (const [name, files, args, message] of cases) {
    const dir = await repo(t, files);
    const r = await runCli(dir, ['pod.yaml', ...args]);
    t.equal(r.code, 2, `${name}: exit 2`);
    t.match(r.stderr, message, `${name}: says why`);
    t.equal(r.stdout, '', `${name}: nothing verified`);
  }
});

t.test('a policy-looking document no loader reads is exit 2; other documents in a policy folder are ignored', async (t) => {
  const tanzu = `apiVersion: signing.apps.tanzu.vmware.com/v1beta1
kind: ClusterImagePolicy
metadata: {name: image-policy}
spec:
  verification:
    keys: [{name: k, publicKey: x}]
    images: [{namePattern: "**", keys: [{name: k}]}]
`;
  const deny = staticPolicy('deny', '**', 'fail');
  const cases: [string, Record<string, string>, RegExp][] = [
    ['a ClusterImagePolicy of another vendor', { 'p/other.yaml': tanzu.replace('signing.apps.tanzu.vmware.com/v1beta1', 'signing.example.com/v1'), 'p/deny.yaml': deny }, /p[/\\]other\.yaml:1: signing\.example\.com\/v1 ClusterImagePolicy: a policy no loader reads/],
    ['a CIP of an unknown version', { 'p/cip.yaml': deny.replace('v1beta1', 'v2') }, /cip\.yaml:1: apiVersion: unsupported apiVersion policy\.sigstore\.dev\/v2/],
    ['an IVPOL of an unknown version', { 'p/iv.yaml': 'apiVersion: policies.kyverno.io/v9\nkind: ImageValidatingPolicy\nmetadata: {name: x}\nspec: {}\n' }, /iv\.yaml:1: apiVersion: unsupported apiVersion policies\.kyverno\.io\/v9/],
    ['an unknown *ImagePolicy kind', { 'p/x.yaml': 'apiVersion: example.com/v1\nkind: ImagePolicy\nmetadata: {name: x}\n', 'p/deny.yaml': deny }, /x\.yaml:1: example\.com\/v1 ImagePolicy: a policy no loader reads/],
    ['a trustpolicy.json of another version', { 'p/trustpolicy.json': '{"version": "2.0", "trustPolicies": []}' }, /trustpolicy\.json:1: version: trust policy document uses unsupported version "2\.0"/],
    ['a trustpolicy.json that is no trust policy', { 'p/trustpolicy.json': '{"policies": []}', 'p/deny.yaml': deny }, /trustpolicy\.json:1: not a Notation trust policy this tool reads/],
  ];
  for (const [name, files, message] of cases) {
    const dir = await repo(t, files);
    const r = await runCli(dir, ['pod.yaml', '-p', 'p']);
    t.equal(r.code, 2, `${name}: exit 2`);
    t.match(r.stderr, message, `${name}: says which and where`);
  }
  const dir = await repo(t, {
    'p/deny.yaml': staticPolicy('deny', '**', 'fail'),
    'p/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n',
    'p/np.yaml': 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {}\n',
  });
  const r = await runCli(dir, ['pod.yaml', '-p', 'p', '-o', 'json']);
  t.equal(r.code, 1, 'a ConfigMap and a NetworkPolicy beside a policy: ignored, the policy judges');
  t.equal(JSON.parse(r.stdout).results[0].status, 'fail');
});

t.test('unknown fields are exit 2 with file:line and the field path', async (t) => {
  const cases: [string, string, RegExp][] = [
    [
      'validationFailureActon (would fall back to Audit)',
      kyverno('validationFailureActon: Enforce', VERIFY),
      /p\.yaml:6: spec\.validationFailureActon: unknown field "validationFailureActon" in a Kyverno ClusterPolicy \(did you mean "validationFailureAction"\?\)/,
    ],
    [
      'verifyImagez (would leave the rule empty)',
      kyverno('validationFailureAction: Enforce', VERIFY.replace('verifyImages', 'verifyImagez')),
      /p\.yaml:13: spec\.rules\[0\]\.verifyImagez: unknown field "verifyImagez".*did you mean "verifyImages"/,
    ],
    [
      'a misspelt key field deep in an attestor',
      kyverno('validationFailureAction: Enforce', VERIFY.replace('publicKeys', 'publicKey')),
      /p\.yaml:18: spec\.rules\[0\]\.verifyImages\[0\]\.attestors\[0\]\.entries\[0\]\.keys\.publicKey: unknown field "publicKey".*did you mean "publicKeys"/,
    ],
    [
      'a ClusterImagePolicy authoritys',
      staticPolicy('x', '**', 'pass').replace('authorities:', 'authoritys:'),
      /p\.yaml:8: spec\.authoritys: unknown field "authoritys" in a ClusterImagePolicy \(did you mean "authorities"\?\)/,
    ],
  ];
  for (const [name, policy, message] of cases) {
    const dir = await repo(t, { 'p.yaml': policy });
    const r = await runCli(dir, ['pod.yaml', '-p', 'p.yaml']);
    t.equal(r.code, 2, `${name}: exit 2`);
    t.match(r.stderr, message, `${name}: file:line and path`);
  }
});

t.test('"unsupported: …" blocks whatever failurePolicy says: a {{ }} key under Enforce + Ignore is exit 3', async (t) => {
  const notary = kyverno(
    'validationFailureAction: Enforce\nfailurePolicy: Ignore',
    `verifyImages:
  - imageReferences: ["registry.internal/*"]
    attestors:
      - entries:
          - keys:
              publicKeys: "{{ request.object.metadata.annotations.key }}"`,
  );
  const dir = await repo(t, { 'p.yaml': notary });
  const r = await runCli(dir, ['pod.yaml', '-p', 'p.yaml', '-o', 'json']);
  t.equal(r.code, 3, 'undecided, and it blocks');
  const image = JSON.parse(r.stdout).results[0];
  t.equal(image.status, 'error');
  t.equal(image.policies[0].onError, 'block', 'failurePolicy Ignore does not forgive it');
  t.match(image.policies[0].reasons.join('\n'), /unsupported: variables in publicKeys[\s\S]*not let through \(whatever failurePolicy/);
  t.equal(path.basename(image.policies[0].file), 'p.yaml');
});
