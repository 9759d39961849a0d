import t from 'tap';
import type { Requirement } from '../../../src/policy/model.js';
import { ecKey, lineOf, load } from '../helpers.js';

const KEY = ecKey(8);
const KEY2 = ecKey(8);

function cip(spec: string, apiVersion = 'policy.sigstore.dev/v1beta1'): string {
  return `apiVersion: ${apiVersion}
kind: ClusterImagePolicy
metadata:
  name: cip
spec:
${spec}`;
}

const keyAuthority = (extra = ''): string => `  images:
  - glob: "ghcr.io/org/**"
  authorities:
  - key:
      data: |
${KEY}
${extra}`;

function only<T extends Requirement['kind']>(req: Requirement, kind: T): Extract<Requirement, { kind: T }> {
  if (req.kind !== kind) throw new Error(`expected ${kind}, got ${req.kind}`);
  return req as Extract<Requirement, { kind: T }>;
}

t.test('a key authority: cip globs, OR of authorities, no tlog without ctlog', async (t) => {
  const text = cip(keyAuthority());
  const [p] = load(text);
  t.equal(p!.format, 'cip');
  const rule = p!.rules[0]!;
  t.same(rule.images, { flavour: 'cip', include: ['ghcr.io/org/**'], exclude: [] });
  t.equal(rule.mode, 'enforce');
  t.equal(rule.onError, 'block');
  t.same(rule.digest, { mutateDigest: true, verifyDigest: true, required: true });
  t.equal(rule.resources, undefined);
  const any = only(rule.requirement, 'any');
  const leaf = only(any.of[0]!, 'key');
  t.equal(leaf.path, 'authorities[0].key');
  t.equal(leaf.line, lineOf(text, '- key:'));
  t.equal(leaf.tlog, 'ignore');
  t.equal(leaf.hashAlgorithm, 'sha256');
});

t.test('several keys in data: any one is enough (one leaf); ctlog requires the tlog; source.oci; hashAlgorithm', async (t) => {
  const text = cip(`  images:
  - glob: "**"
  authorities:
  - name: mine
    key:
      hashAlgorithm: sha384
      data: |
${KEY}
${KEY2}
    ctlog:
      url: https://rekor.sigstore.dev
    source:
    - oci: registry.example/sigs
`);
  const leaf = only(only(load(text)[0]!.rules[0]!.requirement, 'any').of[0]!, 'key');
  t.equal(leaf.keys.length, 2);
  t.equal(leaf.tlog, 'require');
  t.equal(leaf.hashAlgorithm, 'sha384');
  t.equal(leaf.signatureRepository, 'registry.example/sigs');
});

t.test('static, keyless, kms, secretRef, attestations, policy, warn mode', async (t) => {
  const text = cip(`  mode: warn
  images:
  - glob: "**"
  authorities:
  - static:
      action: fail
      message: nope
  - keyless:
      identities: [{issuer: i, subject: s}]
  - key: {kms: "awskms:///arn:<< region >>"}
  - key: {secretRef: {name: s}}
  - key:
      data: |
${KEY}
    attestations:
    - name: a
      predicateType: spdxjson
  policy:
    type: cue
    data: x
`);
  const rule = load(text)[0]!.rules[0]!;
  t.equal(rule.mode, 'audit');
  const all = only(rule.requirement, 'all');
  t.match(all.of[1], { kind: 'unsupported', field: 'policy' });
  const any = only(all.of[0]!, 'any');
  t.match(any.of[0], { kind: 'static', action: 'fail', message: 'nope', path: 'authorities[0].static' });
  t.match(any.of[1], { kind: 'unsupported', field: 'keyless' });
  t.match(any.of[2], { kind: 'unsupported', field: 'key.kms' });
  t.match(any.of[3], { kind: 'unsupported', field: 'key.secretRef' });
  const withAtt = only(any.of[4]!, 'all');
  t.same(withAtt.of.map((r) => r.kind), ['key', 'unsupported']);
});

t.test('no authorities: denied, as fail-on-empty-authorities', async (t) => {
  const req = load(cip('  images:\n  - glob: "**"\n  authorities: []\n'))[0]!.rules[0]!.requirement;
  t.match(req, { kind: 'static', action: 'fail' });
});

t.test('match[]: resource types and selector', async (t) => {
  const text = cip(`${keyAuthority()}  match:
  - resource: pods
    version: "*"
    selector:
      matchLabels: {match: match}
  - group: apps
    version: v1
    resource: deployments
`);
  const f = load(text)[0]!.rules[0]!.resources!;
  t.equal(f.match.length, 2);
  t.ok(f.match[0]![0]!.kinds!.includes('*/*/Pod'));
  t.ok(f.match[0]![0]!.kinds!.includes('Deployment'), 'pods also covers pod controllers');
  t.same(f.match[0]![0]!.selector, { matchLabels: { match: 'match' } });
  t.same(f.match[1]![0]!.kinds, ['apps/v1/Deployment']);
});

t.test('v1alpha1 loads too; other policy.sigstore.dev versions are errors', async (t) => {
  t.equal(load(cip(keyAuthority(), 'policy.sigstore.dev/v1alpha1')).length, 1);
  t.throws(() => load(cip(keyAuthority(), 'policy.sigstore.dev/v2')), { code: 'POLICY_ERROR', source: { line: 1 } });
});

t.test('policy errors carry the offending line', async (t) => {
  const cases: [string, string, string][] = [
    ['invalid glob', '  images:\n  - glob: "[a-z]*"\n  authorities:\n  - static: {action: pass}\n', 'glob:'],
    ['missing images', '  authorities:\n  - static: {action: pass}\n', 'spec:'],
    ['key with neither data, kms nor secretRef', '  images:\n  - glob: "**"\n  authorities:\n  - key:\n      hashAlgorithm: sha256\n', '- key:'],
    ['key and static together', '  images:\n  - glob: "**"\n  authorities:\n  - static: {action: pass}\n    keyless: {}\n', '- static'],
    ['unknown static action', '  images:\n  - glob: "**"\n  authorities:\n  - static: {action: maybe}\n', '- static'],
    ['two sources', `${keyAuthority()}    source:\n    - oci: a\n    - oci: b\n`, 'source:'],
    ['bad PEM', '  images:\n  - glob: "**"\n  authorities:\n  - key:\n      data: |\n        -----BEGIN PUBLIC KEY-----\n        bm90IGEga2V5\n        -----END PUBLIC KEY-----\n', '  data: |'],
    ['unknown mode', `  mode: shout\n${keyAuthority()}`, 'mode:'],
    ['unknown hash', `${keyAuthority()}`.replace('  - key:\n', '  - key:\n      hashAlgorithm: md5\n'), 'hashAlgorithm'],
  ];
  for (const [name, spec, needle] of cases) {
    const text = cip(spec);
    t.throws(() => load(text), { code: 'POLICY_ERROR', source: { line: lineOf(text, needle) } }, name);
  }
});
