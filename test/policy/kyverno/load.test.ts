import { modeIn } from '../../../src/policy/select.js';
import { APPLIED_NAMESPACE } from '../../../src/policy/model.js';
import t from 'tap';
import type { KeyRequirement, Requirement } from '../../../src/policy/model.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ecKey, fixturesDir, lineOf, load } from '../helpers.js';

/** A PEM file from the shared containers-image vectors, or undefined when absent. */
function certFixture(name: string): string | undefined {
  const file = path.join(fixturesDir, 'interop/containers-image', name);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

function indent(text: string, n: number): string {
  return text
    .split('\n')
    .map((l) => ' '.repeat(n) + l.trimStart())
    .join('\n');
}

const KEY = ecKey(22);
const KEY2 = ecKey(22);
const REKOR_KEY = ecKey(24);

/** A ClusterPolicy with one rule around the given verifyImages entry (indented 8). */
function policy(entry: string, opts: { spec?: string; rule?: string; meta?: string; kind?: string } = {}): string {
  return `apiVersion: kyverno.io/v1
kind: ${opts.kind ?? 'ClusterPolicy'}
metadata:
  name: check
${opts.meta ?? ''}spec:
${opts.spec ?? ''}  rules:
    - name: verify
      match:
        any:
          - resources:
              kinds: [Pod]
${opts.rule ?? ''}      verifyImages:
${entry}`;
}

const keyEntry = (extra = ''): string => `        - imageReferences: ['ghcr.io/org/*']
${extra}          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${KEY}
`;

function only<T extends Requirement['kind']>(req: Requirement, kind: T): Extract<Requirement, { kind: T }> {
  if (req.kind !== kind) throw new Error(`expected ${kind}, got ${req.kind}`);
  return req as Extract<Requirement, { kind: T }>;
}

t.test('a key attestor compiles to a key leaf with Kyverno defaults', async (t) => {
  const text = policy(keyEntry());
  const [p] = load(text);
  t.equal(p!.format, 'kyverno');
  t.equal(p!.name, 'check');
  t.equal(p!.namespace, undefined, 'ClusterPolicy is cluster-wide');
  const rule = p!.rules[0]!;
  t.equal(p!.rules.length, 1);
  t.equal(rule.path, 'rules[0].verifyImages[0]');
  t.equal(rule.ruleName, 'verify');
  t.equal(rule.line, lineOf(text, '- imageReferences'));
  t.same(rule.images, { flavour: 'kyverno', include: ['ghcr.io/org/*'], exclude: [] });
  t.equal(rule.mode, 'audit', 'Kyverno default failure action');
  t.equal(rule.onError, 'block', 'failurePolicy defaults to Fail');
  t.same(rule.digest, { mutateDigest: true, verifyDigest: true, required: true });
  const set = only(rule.requirement, 'all');
  t.equal(set.path, 'attestors[0]');
  const leaf = only(set.of[0]!, 'key') as KeyRequirement;
  t.equal(leaf.path, 'attestors[0].entries[0].keys');
  t.equal(leaf.line, lineOf(text, 'publicKeys'));
  t.equal(leaf.keys.length, 1);
  t.match(leaf.keys[0], /BEGIN PUBLIC KEY/);
  t.equal(leaf.hashAlgorithm, 'sha256');
  t.equal(leaf.tlog, 'require');
  t.same(leaf.annotations, {});
  t.equal(leaf.signatureRepository, undefined);
});

t.test('several PEM keys in one publicKeys count as separate entries', async (t) => {
  const entry = `        - imageReferences: ['*']
          attestors:
            - count: 2
              entries:
                - keys:
                    publicKeys: |-
${KEY}
${KEY2}
`;
  const req = only(load(policy(entry))[0]!.rules[0]!.requirement, 'count');
  t.equal(req.min, 2);
  t.equal(req.of.length, 2);
  t.same(
    req.of.map((r) => r.path),
    ['attestors[0].entries[0].keys.publicKeys[0]', 'attestors[0].entries[0].keys.publicKeys[1]'],
  );
  t.not((req.of[0] as KeyRequirement).keys[0], (req.of[1] as KeyRequirement).keys[0]);
});

t.test('count larger than the entries written is a policy error at the count line', async (t) => {
  const entry = `        - imageReferences: ['*']
          attestors:
            - count: 3
              entries:
                - keys:
                    publicKeys: |-
${KEY}
`;
  const text = policy(entry);
  t.throws(() => load(text), { code: 'POLICY_ERROR', source: { file: 'policy.yaml', line: lineOf(text, 'count: 3') } });
});

t.test('rule fields: failureAction wins, failurePolicy, skip, repository, digest switches, annotations', async (t) => {
  const entry = `        - imageReferences: ['ghcr.io/*']
          skipImageReferences: ['ghcr.io/trusted/*']
          failureAction: enforce
          repository: registry.example/sigs
          mutateDigest: false
          verifyDigest: true
          required: false
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${KEY}
                    signatureAlgorithm: sha512
                    rekor:
                      ignoreTlog: true
                      url: https://rekor.sigstore.dev
                  annotations:
                    sig: original
`;
  const [p] = load(policy(entry, { spec: '  validationFailureAction: Audit\n  failurePolicy: Ignore\n' }));
  const rule = p!.rules[0]!;
  t.equal(rule.mode, 'enforce', 'rule-level failureAction wins, case-insensitive');
  t.equal(rule.onError, 'allow');
  t.same(rule.images.exclude, ['ghcr.io/trusted/*']);
  t.same(rule.digest, { mutateDigest: false, verifyDigest: true, required: false });
  const leaf = only(only(rule.requirement, 'all').of[0]!, 'key');
  t.equal(leaf.hashAlgorithm, 'sha512');
  t.equal(leaf.tlog, 'ignore');
  t.equal(leaf.signatureRepository, 'registry.example/sigs');
  t.same(leaf.annotations, { sig: 'original' });
});

t.test('webhookConfiguration.failurePolicy and spec-level Enforce', async (t) => {
  const spec = '  validationFailureAction: Enforce\n  webhookConfiguration:\n    failurePolicy: Ignore\n';
  const rule = load(policy(keyEntry(), { spec }))[0]!.rules[0]!;
  t.equal(rule.mode, 'enforce');
  t.equal(rule.onError, 'allow');
});

t.test('rekor.pubkey becomes the private Rekor key', async (t) => {
  const entry = `        - imageReferences: ['*']
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${KEY}
                    rekor:
                      pubkey: |-
${REKOR_KEY}
`;
  const leaf = only(only(load(policy(entry))[0]!.rules[0]!.requirement, 'all').of[0]!, 'key');
  t.equal(leaf.rekorPublicKeys?.length, 1);
  t.equal(leaf.tlog, 'require');
});

t.test('every attestor kind compiles to a leaf that counts (fixture PEM when available)', async (t) => {
  const certPem = certFixture('pki-cert');
  const chainPem = certFixture('pki-chain');
  if (!certPem || !chainPem) { t.plan(0, 'shared fixtures not found at ../shared/fixtures (pki-cert, pki-chain)'); return; }
  const entry = `        - imageReferences: ['*']
          attestors:
            - count: 1
              entries:
                - keyless:
                    subject: '*@example.com'
                    issuer: https://accounts.google.com
                - certificates:
                    cert: |-
${indent(certPem, 22)}
                    certChain: |-
${indent(chainPem, 22)}
                    rekor: {ignoreTlog: true}
                    ctlog: {ignoreSCT: true}
                - keys:
                    kms: gcpkms://projects/p/keys/k
                - keys:
                    secret: {name: s, namespace: n}
                - keys:
                    publicKeys: '{{ keys.data.prod }}'
                - keys:
                    publicKeys: k8s://ns/secret
                - attestor:
                    count: 1
                    entries:
                      - keyless: {subjectRegExp: '^https://github\\.com/org/.*$', issuer: https://token.actions.githubusercontent.com}
`;
  const req = only(load(policy(entry))[0]!.rules[0]!.requirement, 'count');
  t.same(
    req.of.map((r) => (r.kind === 'unsupported' ? r.field : r.kind)),
    ['certificate', 'certificate', 'key', 'key', 'variables in publicKeys', 'key', 'count'],
  );
  const keyless = only(req.of[0]!, 'certificate');
  t.match(keyless, {
    path: 'attestors[0].entries[0].keyless',
    source: 'fulcio',
    identities: [{ subject: '*@example.com', issuer: 'https://accounts.google.com', match: 'kyverno' }],
    sct: 'require',
    tlog: 'require',
  });
  t.equal(keyless.roots, undefined, 'no roots: the trusted root Fulcio CAs');
  const pki = only(req.of[1]!, 'certificate');
  t.equal(pki.source, 'pki');
  t.equal(pki.path, 'attestors[0].entries[1].certificates');
  t.match(pki.leafCertificate, /BEGIN CERTIFICATE/);
  t.equal(pki.roots?.length, 2, 'certChain: both certificates');
  t.same([pki.tlog, pki.sct, pki.identities], ['ignore', 'ignore', []]);
  t.same(only(req.of[2]!, 'key').keyRef, { type: 'kms', uri: 'gcpkms://projects/p/keys/k' });
  t.same(only(req.of[2]!, 'key').keys, [], 'keys are resolved by the engine from keyRef');
  t.same(only(req.of[3]!, 'key').keyRef, { type: 'k8s-secret', namespace: 'n', name: 's' });
  t.same(only(req.of[5]!, 'key').keyRef, { type: 'k8s-secret', namespace: 'ns', name: 'secret' });
  const nested = only(req.of[6]!, 'count');
  t.equal(nested.min, 1);
  t.match(nested.of[0], { kind: 'certificate', identities: [{ subjectRegExp: '^https://github\\.com/org/.*$' }] });
});

t.test('keyless: roots, extensions, private rekor/ctlog keys, TSA chain', async (t) => {
  const root = certFixture('fulcio_v1.crt.pem');
  const tsa = certFixture('pki-chain');
  if (!root || !tsa) { t.plan(0, 'shared fixtures not found at ../shared/fixtures'); return; }
  const entry = `        - imageReferences: ['*']
          repository: registry.example/sigs
          attestors:
            - entries:
                - annotations: {env: prod}
                  keyless:
                    subject: https://github.com/org/app/.github/workflows/release.yml@refs/heads/main
                    issuerRegExp: https://token\\.actions\\..*
                    roots: |-
${indent(root, 22)}
                    additionalExtensions:
                      githubWorkflowTrigger: push
                      1.3.6.1.4.1.57264.1.3: abc
                    rekor:
                      url: https://rekor.example
                      pubkey: |-
${REKOR_KEY}
                    ctlog:
                      pubkey: |-
${REKOR_KEY}
                      tsaCertChain: |-
${indent(tsa, 24)}
`;
  const leaf = only(only(load(policy(entry))[0]!.rules[0]!.requirement, 'all').of[0]!, 'certificate');
  t.equal(leaf.roots?.length, 1);
  t.same(leaf.extensions, { githubWorkflowTrigger: 'push', '1.3.6.1.4.1.57264.1.3': 'abc' });
  t.equal(leaf.rekorPublicKeys?.length, 1);
  t.equal(leaf.ctlogPublicKeys?.length, 1);
  t.match(leaf.tsaCertChain, /BEGIN CERTIFICATE[\s\S]*BEGIN CERTIFICATE/);
  t.same(leaf.annotations, { env: 'prod' });
  t.equal(leaf.signatureRepository, 'registry.example/sigs');
  t.same(leaf.identities, [{ match: 'kyverno', subject: 'https://github.com/org/app/.github/workflows/release.yml@refs/heads/main', issuerRegExp: 'https://token\\.actions\\..*' }]);
});

t.test('attestations: type, short names, conditions, attestors or the injected keyless attestor', async (t) => {
  const entry = `        - imageReferences: ['*']
          attestations:
            - name: prov
              type: https://slsa.dev/provenance/v1
              attestors:
                - entries:
                    - keys:
                        publicKeys: |-
${indent(KEY.trim(), 26)}
              conditions:
                - all:
                    - key: '{{ repo.branch }}'
                      operator: Equals
                      value: main
                      message: built from main
                  any:
                    - key: '{{ reviewers }}'
                      operator: AnyIn
                      value: [ana]
            - predicateType: cyclonedx
`;
  const req = only(load(policy(entry))[0]!.rules[0]!.requirement, 'all');
  const prov = only(req.of[0]!, 'attestation');
  t.equal(prov.path, 'attestations[0]');
  t.equal(prov.predicateType, 'https://slsa.dev/provenance/v1');
  t.equal(prov.name, 'prov');
  t.equal(prov.statements, 'all', 'Kyverno: every statement must pass');
  t.match(prov.signers, { kind: 'all', of: [{ kind: 'key', path: 'attestations[0].attestors[0].entries[0].keys' }] });
  t.equal(prov.conditions.length, 1);
  t.match(prov.conditions[0]!.all![0], { key: '{{ repo.branch }}', operator: 'Equals', value: 'main', message: 'built from main' });
  t.match(prov.conditions[0]!.any![0], { key: '{{ reviewers }}', operator: 'AnyIn', value: ['ana'] });
  const sbom = only(req.of[1]!, 'attestation');
  t.equal(sbom.predicateType, 'https://cyclonedx.org/bom', 'cosign short name expanded');
  t.match(sbom.signers, { kind: 'certificate', source: 'fulcio', identities: [], tlog: 'require', sct: 'require' });
});

t.test('condition, regexp and certificate errors are policy errors at their line', async (t) => {
  const cases: [string, string, string][] = [
    [
      'unknown operator',
      `        - imageReferences: ['*']
          attestations:
            - type: https://example.com/v1
              conditions:
                - all:
                    - key: '{{ a }}'
                      operator: Matches
                      value: b
`,
      'operator: Matches',
    ],
    [
      'bad JMESPath',
      `        - imageReferences: ['*']
          attestations:
            - type: https://example.com/v1
              conditions:
                - all:
                    - key: '{{ a.[ }}'
                      operator: Equals
                      value: b
`,
      "key: '{{ a.[ }}'",
    ],
    [
      'bad regexp',
      `        - imageReferences: ['*']
          attestors:
            - entries:
                - keyless:
                    subjectRegExp: 'https://(github'
`,
      'subjectRegExp',
    ],
    [
      'bad KMS URI',
      `        - imageReferences: ['*']
          attestors:
            - entries:
                - keys:
                    kms: vault://x
`,
      'kms:',
    ],
    [
      'unknown extension name',
      `        - imageReferences: ['*']
          attestors:
            - entries:
                - keyless:
                    additionalExtensions: {githubWorkflowColour: blue}
`,
      'githubWorkflowColour',
    ],
    [
      'attestation without type',
      `        - imageReferences: ['*']
          attestations:
            - name: x
`,
      '- name: x',
    ],
  ];
  for (const [name, entry, needle] of cases) {
    const text = policy(entry);
    t.throws(() => load(text), { code: 'POLICY_ERROR', source: { line: lineOf(text, needle) } }, name);
  }
});

t.test('type Notary: a certificate that does not parse is an invalid leaf; keys are not Notary attestors', async (t) => {
  const notary = (entry: string) => `        - type: Notary
          imageReferences: ['*']
          attestors:
            - entries:
                - ${entry}
`;
  t.match(load(policy(notary('certificates: {cert: x}')))[0]!.rules[0]!.requirement, { kind: 'all', of: [{ kind: 'invalid', path: 'attestors[0].entries[0].certificates.cert', problem: /does not parse as a PEM certificate — a placeholder\? \(no PEM CERTIFICATE found: "x"\)/ }] });
  t.throws(() => load(policy(notary('keys: {publicKeys: x}'))), { code: 'POLICY_ERROR', message: /keys: Keys field is not allowed for type notary/ });
});

t.test('type SigstoreBundle: the same attestors over bundles only; validate.deny compiles to the rule deny check; an empty deny is a policy error', async (t) => {
  const bundle = `        - type: SigstoreBundle
          imageReferences: ['*']
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${KEY}
`;
  t.match(load(policy(bundle))[0]!.rules[0]!.requirement, { kind: 'all', of: [{ kind: 'key', bundlesOnly: true }] });
  const att = `        - imageReferences: ['*']
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${KEY}
          attestations:
            - type: https://example.com/v1
              name: scan
              conditions: []
          validate:
            message: too many findings
            deny:
              conditions:
                any:
                  - key: "{{ scan.count }}"
                    operator: GreaterThan
                    value: 3
`;
  const rule = load(policy(att))[0]!.rules[0]!;
  t.same(only(rule.requirement, 'all').of.map((r) => r.kind), ['all', 'attestation']);
  t.match(rule.deny, { message: 'too many findings', names: ['scan'], conditions: [{ any: [{ key: '{{ scan.count }}', operator: 'GreaterThan', value: 3 }] }] });
  t.throws(() => load(policy(att.replace(/deny:\n[\s\S]*$/, 'deny: {}\n'))), { message: /validate\.deny: needs conditions/ });
});

t.test('deprecated shorthand: image, key, annotations, subject', async (t) => {
  const entry = `        - image: ghcr.io/org/app:*
          key: |-
${KEY}
          annotations:
            env: prod
`;
  const rule = load(policy(entry))[0]!.rules[0]!;
  t.same(rule.images.include, ['ghcr.io/org/app:*']);
  const leaf = only(rule.requirement, 'key');
  t.equal(leaf.path, 'key');
  t.same(leaf.annotations, { env: 'prod' });
  const keyless = `        - image: ghcr.io/org/app:*
          subject: https://github.com/org/*
          issuer: https://token.actions.githubusercontent.com
`;
  t.match(load(policy(keyless))[0]!.rules[0]!.requirement, {
    kind: 'certificate',
    source: 'fulcio',
    identities: [{ subject: 'https://github.com/org/*', issuer: 'https://token.actions.githubusercontent.com', match: 'kyverno' }],
  });
});

t.test('policy errors carry the offending line', async (t) => {
  const cases: [string, string, string][] = [
    [
      'missing imageReferences',
      `        - attestors:
            - entries:
                - keys:
                    publicKeys: x
`,
      '- attestors:',
    ],
    [
      'variables in imageReferences',
      `        - imageReferences: ['ghcr.io/*', '{{ request.image }}']
          attestors: []
`,
      '{{ request.image }}',
    ],
    [
      'keys with neither publicKeys, kms nor secret',
      `        - imageReferences: ['*']
          attestors:
            - entries:
                - keys:
                    rekor: {ignoreTlog: true}
`,
      '- keys:',
    ],
    [
      'entry without an attestor kind',
      `        - imageReferences: ['*']
          attestors:
            - entries:
                - repository: x
`,
      '- repository',
    ],
    [
      'unknown signature algorithm',
      `        - imageReferences: ['*']
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${KEY}
                    signatureAlgorithm: md5
`,
      'signatureAlgorithm',
    ],
    ['unknown failureAction', `        - imageReferences: ['*']\n          failureAction: Block\n`, 'failureAction'],
    ['unknown type', `        - imageReferences: ['*']\n          type: Magic\n`, 'type: Magic'],
    ['count is not a number', `        - imageReferences: ['*']\n          attestors:\n            - count: two\n              entries:\n                - keyless: {}\n`, 'count: two'],
  ];
  for (const [name, entry, needle] of cases) {
    const text = policy(entry);
    t.throws(() => load(text), { code: 'POLICY_ERROR', source: { line: lineOf(text, needle) } }, name);
  }
  const selectorText = policy(keyEntry(), {
    rule: '      exclude:\n        any:\n          - resources:\n              selector:\n                matchExpressions:\n                  - {key: a, operator: Near}\n',
  });
  t.throws(() => load(selectorText), { code: 'POLICY_ERROR', source: { line: lineOf(selectorText, 'operator: Near') } }, 'unknown selector operator');
});

t.test('keys and certificates that do not parse are invalid leaves of their rule, at their line (Kyverno admits them)', async (t) => {
  const cases: [string, string, string][] = [
    [
      'bad certificate PEM',
      `        - imageReferences: ['*']
          attestors:
            - entries:
                - certificates:
                    certChain: |-
                      -----BEGIN CERTIFICATE-----
                      bm90IGEgY2VydA==
                      -----END CERTIFICATE-----
`,
      'certChain',
    ],
    [
      'no certificate at all',
      `        - imageReferences: ['*']
          attestors:
            - entries:
                - keyless:
                    roots: not a pem
`,
      'roots',
    ],
    [
      'bad PEM',
      `        - imageReferences: ['*']
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
                      -----BEGIN PUBLIC KEY-----
                      bm90IGEga2V5
                      -----END PUBLIC KEY-----
`,
      'publicKeys',
    ],
  ];
  for (const [name, entry, needle] of cases) {
    const text = policy(entry);
    const found = JSON.stringify(load(text)[0]!.rules[0]!.requirement);
    t.match(JSON.parse(found), { of: [{ kind: 'invalid', file: 'policy.yaml', line: lineOf(text, needle), problem: /does not parse as a PEM (public key|certificate) — a placeholder\?/ }] }, name);
  }
});

t.test('placeholder keys from documentation load as an invalid leaf of their rule (not a policy error)', async (t) => {
  const entry = `        - imageReferences: ['*']
          attestors:
            - entries:
                - keys:
                    publicKeys: |
                      -----BEGIN PUBLIC KEY-----
                      ...
                      -----END PUBLIC KEY-----
`;
  const req = only(load(policy(entry))[0]!.rules[0]!.requirement, 'all');
  t.match(req.of[0], { kind: 'invalid', file: 'policy.yaml', problem: /does not parse as a PEM public key — a placeholder\?/ });
});

t.test('namespaced Policy keeps its namespace', async (t) => {
  t.equal(load(policy(keyEntry(), { kind: 'Policy', meta: '  namespace: team-a\n' }))[0]!.namespace, 'team-a');
  t.equal(load(policy(keyEntry(), { kind: 'Policy' }))[0]!.namespace, APPLIED_NAMESPACE, 'none written: where the run applies objects (-n, else default)');
});

t.test('preconditions select the rule; over what only admission knows they are unsupported, ANDed with the attestors', async (t) => {
  const pre = (body: string) => load(policy(keyEntry(), { rule: `      preconditions:\n        all:\n          - key: "${body}"\n            operator: NotEquals\n            value: DELETE\n` }))[0]!.rules[0]!;
  const evaluated = pre('{{ request.operation }}');
  t.equal(evaluated.requirement.kind === 'all' && evaluated.requirement.of.some((r) => r.kind === 'unsupported'), false);
  t.equal(evaluated.cel?.applies?.({ apiVersion: 'v1', kind: 'Pod', labels: {}, annotations: {}, object: {} }, 'nginx'), true, 'CREATE is not DELETE');
  const req = only(pre('{{ request.userInfo.username }}').requirement, 'all');
  t.match(req.of[0], { kind: 'unsupported', field: /preconditions over request\.userInfo/ });
  t.equal(req.of[1]!.kind, 'all');
});

t.test('imageExtractors: compiled onto the rule (kind, paths; name custom by default); bad ones are policy errors', async (t) => {
  const rule = '      imageExtractors:\n        TaskRun.status:\n          - path: /spec/steps/*\n            value: image\n            jmesPath: "trim_prefix(@, \'docker://\')"\n';
  const rules = load(policy(keyEntry(), { rule }))[0]!.rules;
  t.equal(rules.length, 1);
  t.same(rules[0]!.imageExtractors, [{ kind: 'TaskRun', extractors: [{ name: 'custom', path: '/spec/steps/*', value: 'image', jmesPath: "trim_prefix(@, 'docker://')" }] }]);
  t.throws(() => load(policy(keyEntry(), { rule: '      imageExtractors:\n        TaskRun:\n          - path: spec/steps\n' })), { message: /must start with \// });
  t.throws(() => load(policy(keyEntry(), { rule: '      imageExtractors:\n        TaskRun:\n          - path: /spec\n            jmesPath: "trim_prefix(@"\n' })), { message: /invalid JMESPath/ });
});

t.test('rules without verifyImages are ignored; a policy without any has zero rules', async (t) => {
  const text = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: other}
spec:
  rules:
    - name: labels
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate: {message: x, pattern: {metadata: {labels: {app: '?*'}}}}
`;
  const [p] = load(text);
  t.equal(p!.rules.length, 0);
});

t.test('apiVersions: v2beta1 loads, an unknown kyverno.io version is an error', async (t) => {
  t.equal(load(policy(keyEntry()).replace('kyverno.io/v1', 'kyverno.io/v2beta1'))[0]!.rules.length, 1);
  t.throws(() => load(policy(keyEntry()).replace('kyverno.io/v1', 'kyverno.io/v9')), { code: 'POLICY_ERROR', source: { line: 1 } });
});

t.test('ImageValidatingPolicy loads as a CEL rule: actions, failure policy, autogen controllers, CEL image selection', async (t) => {
  const text = `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: {name: ivpol}
spec:
  validationActions: [Audit]
  failurePolicy: Ignore
  matchConstraints:
    resourceRules:
      - apiGroups: ['']
        apiVersions: [v1]
        resources: [pods]
  matchImageReferences:
    - glob: ghcr.io/org/*
  attestors: []
  validations:
    - expression: "true"
`;
  const rule = load(text)[0]!.rules[0]!;
  t.equal(rule.mode, 'audit');
  t.equal(rule.onError, 'allow');
  t.match(rule.requirement, { kind: 'cel' });
  t.ok(rule.resources!.match[0]![0]!.kinds!.includes('apps/*/Deployment'), 'pods cover controllers (autogen)');
  t.equal(rule.cel!.images!('ghcr.io/org/app:1'), true);
  t.equal(rule.cel!.images!('docker.io/library/nginx'), false);
  const expr = text.replace('- glob: ghcr.io/org/*', "- expression: \"ref.startsWith('ghcr.io/')\"");
  t.equal(load(expr)[0]!.rules[0]!.cel!.images!('ghcr.io/x/y'), true, 'a CEL match over ref');
});

t.test('validationFailureActionOverrides: evaluated per namespace, a namespaceSelector undecided', async (t) => {
  const spec =
    '  validationFailureAction: Audit\n  validationFailureActionOverrides:\n    - action: Enforce\n      namespaces: [shop, "pay-*"]\n' +
    '    - action: Enforce\n      namespaceSelector: {matchLabels: {tier: prod}}\n';
  const rule = load(policy(keyEntry(), { spec }))[0]!.rules[0]!;
  t.notMatch(JSON.stringify(rule.requirement), /unsupported/, 'the attestors alone: the overrides decide the mode');
  t.same(rule.modeOverrides, [
    { mode: 'enforce', path: 'spec.validationFailureActionOverrides[0]', namespaces: ['shop', 'pay-*'] },
    { mode: 'enforce', path: 'spec.validationFailureActionOverrides[1]', namespaceSelector: true },
  ]);
  t.equal(modeIn(rule, 'shop'), 'enforce');
  t.equal(modeIn(rule, 'pay-eu'), 'enforce', 'wildcards as Kyverno matches them');
  t.match(modeIn(rule, 'dev'), { undecided: /validationFailureActionOverrides\[1\]\.namespaceSelector: whether Enforce applies in namespace dev/ });
  const own = load(policy(keyEntry('          failureAction: Audit\n'), { spec }))[0]!.rules[0]!;
  t.equal(own.modeOverrides, undefined, "a verifyImages entry's own failureAction beats the policy's overrides");
  const plain = load(policy(keyEntry(), { spec: '  validationFailureAction: Audit\n  validationFailureActionOverrides:\n    - action: Enforce\n' }))[0]!.rules[0]!;
  t.equal(modeIn(plain, 'shop'), 'audit', 'an override naming no namespace and no selector applies nowhere');
});
