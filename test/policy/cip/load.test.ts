import t from 'tap';
import type { Requirement } from '../../../src/policy/model.js';
import { createHash, createPublicKey } from 'node:crypto';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';
import { loadPolicies } from '../../../src/policy/loaders.js';
import { trustMaterialFromJson } from '../../../src/verify/trusted-root.js';
import { ecKey, lineOf, load } from '../helpers.js';

const KEY = ecKey(8);
const KEY_RAW = ecKey(0);
// A self-signed CA certificate (test-only, P-256), PEM.
const CERT_RAW = `-----BEGIN CERTIFICATE-----
MIIBeDCCAR+gAwIBAgIUaE1kYFFNZuX5D+ty7I1aSlFRz74wCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHdGVzdC1jYTAeFw0yNjExMjMwNTUzNDJaFw0zNjExMjAwNTUz
NDJaMBIxEDAOBgNVBAMMB3Rlc3QtY2EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AATZLi2+26zTZdzRDgMdAOoc9q+uPeU6e/49V4St3sU6ObUU8BUMA++mcdv1zfqR
YGI/Coqu0aXD/gkKlIUUMjDzo1MwUTAdBgNVHQ4EFgQUvMIhJbiDYdgvu1uLk1+U
zUUyx3AwHwYDVR0jBBgwFoAUvMIhJbiDYdgvu1uLk1+UzUUyx3AwDwYDVR0TAQH/
BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBSZnjxiEL3f6KzP+eEs8R8rNl80HBl
RvuQdl4GqGy47AIgV9lCKWCTHsu8TwbXX7iFhqTcH12LNdCpxYEIEEPKsgI=
-----END CERTIFICATE-----`;
const CERT = CERT_RAW.split('\n').map((l) => `          ${l}`).join('\n');
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
  t.match(all.of[1], { kind: 'unsupported', field: /^spec\.policy \(cue\) over a keyless authority \(authorities\[\d\]\) is not run here yet/, path: 'policy' });
  const any = only(all.of[0]!, 'any');
  t.match(any.of[0], { kind: 'static', action: 'fail', message: 'nope', path: 'authorities[0].static' });
  t.match(any.of[1], {
    kind: 'certificate',
    source: 'fulcio',
    identities: [{ issuer: 'i', subject: 's', match: 'cip' }],
    sct: 'require',
    tlog: 'require',
    path: 'authorities[1].keyless',
  });
  t.match(any.of[2], { kind: 'key', keys: [], keyRef: { type: 'kms', uri: 'awskms:///arn:<< region >>' } });
  t.match(any.of[3], { kind: 'key', keys: [], keyRef: { type: 'k8s-secret', namespace: 'cosign-system', name: 's' } });
  // policy-controller's attestation path: the authority's key signs the attestation; no separate signature check.
  const att = only(any.of[4]!, 'attestation');
  t.equal(att.predicateType, 'https://spdx.dev/Document', 'cosign short name expanded');
  t.equal(att.statements, 'any', 'policy-controller: one passing statement is enough');
  t.equal(att.name, 'a');
  t.match(att.signers, { kind: 'key', path: 'authorities[4].key' });
});

t.test('keyless: ca-cert roots, regexp identities, insecureIgnoreSCT; attestation policies name their engine', async (t) => {
  const text = cip(`  images:
  - glob: "**"
  authorities:
  - keyless:
      ca-cert:
        data: |
${CERT}
      insecureIgnoreSCT: true
      identities:
      - issuerRegExp: .*kubernetes.default.*
        subject: https://kubernetes.io/namespaces/default/serviceaccounts/default
    source:
    - oci: registry.example/sigs
    attestations:
    - name: prov
      predicateType: slsaprovenance1
      policy:
        type: rego
        data: package sigstore
    - name: vex
      predicateType: https://openvex.dev/ns
`);
  const all = only(only(load(text)[0]!.rules[0]!.requirement, 'any').of[0]!, 'all');
  t.equal(all.path, 'authorities[0]');
  const [prov, vex] = all.of;
  const provAtt = only(prov!, 'attestation');
  t.equal(provAtt.predicateType, 'https://slsa.dev/provenance/v1');
  t.equal(provAtt.signatureRepository, 'registry.example/sigs');
  t.same(provAtt.policy, { type: 'rego', source: 'package sigstore', at: `${provAtt.policy?.at.split(':')[0]}:${provAtt.policy?.at.split(':')[1]}` }, 'the program is run by opa (reference/payload-policy.test.ts)');
  t.match(provAtt.policy?.at, /:\d+$/);
  const signer = only(only(vex!, 'attestation').signers, 'certificate');
  t.equal(signer.roots?.length, 1, 'ca-cert: a custom Fulcio-like CA');
  t.equal(signer.sct, 'ignore');
  t.same(signer.identities, [
    { match: 'cip', issuerRegExp: '.*kubernetes.default.*', subject: 'https://kubernetes.io/namespaces/default/serviceaccounts/default' },
  ]);
  t.equal(signer.signatureRepository, 'registry.example/sigs');
});

t.test('trustRootRef: a TrustRoot with sigstoreKeys in the policy set becomes a trusted_root.json', async (t) => {
  const pol = cip(`  images:
  - glob: "**"
  authorities:
  - keyless:
      url: http://fulcio.fulcio-system.svc
      trustRootRef: my-keys
      identities: [{issuer: i, subject: s}]
    ctlog:
      url: http://rekor.rekor-system.svc
      trustRootRef: my-keys
  - key:
      data: |
${KEY}
    ctlog:
      trustRootRef: my-keys
  - keyless:
      trustRootRef: elsewhere
      identities: [{issuer: i, subject: s}]
`);
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const trustRoot = `apiVersion: policy.sigstore.dev/v1alpha1
kind: TrustRoot
metadata:
  name: my-keys
spec:
  sigstoreKeys:
    certificateAuthorities:
    - subject: {organization: example, commonName: example}
      uri: http://fulcio.fulcio-system.svc
      certChain: ${b64(CERT_RAW)}
    tLogs:
    - baseURL: http://rekor.rekor-system.svc
      hashAlgorithm: sha-256
      publicKey: ${b64(KEY_RAW)}
    ctLogs:
    - baseURL: http://ctlog.ctlog-system.svc
      hashAlgorithm: sha-256
      publicKey: ${b64(KEY_RAW)}
`;
  const [policy] = loadPolicies([
    { file: 'cip.yaml', text: pol },
    { file: 'trust.yaml', text: trustRoot },
  ]);
  const any = only(policy!.rules[0]!.requirement, 'any');
  const keyless = only(any.of[0]!, 'certificate');
  const root = JSON.parse(keyless.trustedRoot!) as Record<string, { publicKey?: { rawBytes: string; keyDetails: string }; certChain?: { certificates: unknown[] }; logId?: { keyId: string } }[]>;
  t.equal(root.tlogs!.length, 1);
  t.equal(root.tlogs![0]!.publicKey!.keyDetails, 'PKIX_ECDSA_P256_SHA_256');
  const der = createPublicKey(KEY_RAW).export({ type: 'spki', format: 'der' });
  t.equal(root.tlogs![0]!.publicKey!.rawBytes, der.toString('base64'));
  t.equal(root.tlogs![0]!.logId!.keyId, createHash('sha256').update(der).digest('base64'), 'log ID = sha256 of the key');
  t.equal(root.certificateAuthorities![0]!.certChain!.certificates.length, 1);
  t.equal(root.ctlogs!.length, 1);
  const tlogKeys = trustMaterialFromJson(keyless.trustedRoot!, 'trust.yaml').tlogs;
  t.equal(tlogKeys.length, 1, 'the verifier reads it back');
  const material = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(keyless.trustedRoot!)));
  t.equal(material.certificateAuthorities.length, 1, '@sigstore/verify reads the CA');
  t.equal(material.tlogs.length, 1);
  t.equal(material.ctlogs.length, 1);
  const key = only(any.of[1]!, 'key');
  t.equal(key.rekorPublicKeys?.length, 1, 'a key authority takes the Rekor keys of the TrustRoot');
  t.equal(key.tlog, 'require');
  t.match(any.of[2], { kind: 'unsupported', field: 'trustRootRef elsewhere: no TrustRoot of that name in the policy files' });

  for (const [spec, field] of [
    ['remote:\n    root: eA==\n    mirror: https://tuf.example', 'TrustRoot remote (needs the network)'],
  ] as const) {
    const other = `apiVersion: policy.sigstore.dev/v1alpha1\nkind: TrustRoot\nmetadata:\n  name: my-keys\nspec:\n  ${spec}\n`;
    const [p] = loadPolicies([
      { file: 'cip.yaml', text: pol },
      { file: 'trust.yaml', text: other },
    ]);
    t.match(only(p!.rules[0]!.requirement, 'any').of[0], { kind: 'unsupported', field });
  }
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

t.test('a ca-cert that does not parse is an invalid leaf of its authority; a key.data that does not parse is refused as the webhook refuses it', async (t) => {
  const text = cip('  images:\n  - glob: "**"\n  authorities:\n  - keyless:\n      identities: [{issuer: i, subject: s}]\n      ca-cert:\n        data: |\n          -----BEGIN CERTIFICATE-----\n          bm90IGEgY2VydA==\n          -----END CERTIFICATE-----\n');
  t.match(load(text)[0]!.rules[0]!.requirement, { kind: 'any', of: [{ kind: 'invalid', path: 'authorities[0].keyless.ca-cert.data', line: lineOf(text, '  data: |'), problem: /does not parse as a PEM certificate/ }] });
  const bad = cip('  images:\n  - glob: "**"\n  authorities:\n  - key:\n      data: REPLACE_WITH_COSIGN_PUBLIC_KEY\n');
  t.throws(() => load(bad), { code: 'POLICY_ERROR', message: /:10: spec\.authorities\[0\]\.key\.data: invalid value: does not parse as a PEM public key \(no PEM public key found: "REPLACE_WITH_COSIGN_PUBLIC_KEY"\); policy-controller's webhook refuses this ClusterImagePolicy \(KeyRef\.Validate\)/ });
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
    ['identity without issuer', '  images:\n  - glob: "**"\n  authorities:\n  - keyless:\n      identities:\n      - subject: s\n', '- subject: s'],
    ['identity with subject and subjectRegExp', '  images:\n  - glob: "**"\n  authorities:\n  - keyless:\n      identities:\n      - {issuer: i, subject: s, subjectRegExp: s.*}\n', '- {issuer'],
    ['keyless without identities', '  images:\n  - glob: "**"\n  authorities:\n  - keyless:\n      url: https://fulcio.example\n', '- keyless:'],
    ['bad identity regexp', '  images:\n  - glob: "**"\n  authorities:\n  - keyless:\n      identities:\n      - issuer: i\n        subjectRegExp: "(unclosed"\n', 'subjectRegExp'],
    ['bad kms URI', '  images:\n  - glob: "**"\n  authorities:\n  - key: {kms: "file:///k.pub"}\n', 'kms:'],
    ['unknown policy type', `${keyAuthority()}  policy:\n    type: python\n`, 'type: python'],
    ['attestation without predicateType', `${keyAuthority()}    attestations:\n    - name: a\n`, '- name: a'],
  ];
  for (const [name, spec, needle] of cases) {
    const text = cip(spec);
    t.throws(() => load(text), { code: 'POLICY_ERROR', source: { line: lineOf(text, needle) } }, name);
  }
});
