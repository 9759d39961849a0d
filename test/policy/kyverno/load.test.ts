import t from 'tap';
import type { KeyRequirement, Requirement } from '../../../src/policy/model.js';
import { ecKey, lineOf, load } from '../helpers.js';

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

t.test('unsupported attestors become explicit leaves that still count', async (t) => {
  const entry = `        - imageReferences: ['*']
          attestors:
            - count: 1
              entries:
                - keyless:
                    subject: '*@example.com'
                    issuer: https://accounts.google.com
                - certificates:
                    cert: x
                - keys:
                    kms: gcpkms://projects/p/keys/k
                - keys:
                    secret: {name: s, namespace: n}
                - keys:
                    publicKeys: '{{ keys.data.prod }}'
                - keys:
                    publicKeys: k8s://ns/secret
                - attestor:
                    entries: []
`;
  const req = only(load(policy(entry))[0]!.rules[0]!.requirement, 'count');
  t.same(
    req.of.map((r) => (r.kind === 'unsupported' ? r.field : r.kind)),
    ['keyless', 'certificates', 'keys.kms', 'keys.secret', 'variables in publicKeys', 'k8s:// public keys', 'attestor'],
  );
  t.equal(req.of[1]!.path, 'attestors[0].entries[1].certificates');
});

t.test('type Notary / SigstoreBundle, attestations, validate are unsupported, never ignored', async (t) => {
  const notary = `        - type: Notary
          imageReferences: ['*']
          attestors:
            - entries:
                - certificates:
                    cert: x
`;
  t.match(load(policy(notary))[0]!.rules[0]!.requirement, { kind: 'unsupported', field: 'type: Notary' });
  const att = `        - imageReferences: ['*']
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${KEY}
          attestations:
            - type: https://example.com/v1
              conditions: []
          validate:
            deny: {}
`;
  const req = only(load(policy(att))[0]!.rules[0]!.requirement, 'all');
  t.same(
    req.of.map((r) => r.kind === 'unsupported' ? r.field : r.kind),
    ['all', 'attestations', 'validate'],
  );
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
  t.match(load(policy(keyless))[0]!.rules[0]!.requirement, { kind: 'unsupported', field: 'keyless' });
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

t.test('placeholder keys from documentation load as unsupported', async (t) => {
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
  t.match(req.of[0], { kind: 'unsupported', field: 'placeholder public key' });
});

t.test('namespaced Policy keeps its namespace', async (t) => {
  t.equal(load(policy(keyEntry(), { kind: 'Policy', meta: '  namespace: team-a\n' }))[0]!.namespace, 'team-a');
  t.equal(load(policy(keyEntry(), { kind: 'Policy' }))[0]!.namespace, 'default', 'none written: kubectl default');
});

t.test('preconditions are recorded as unsupported, ANDed with the attestors', async (t) => {
  const rule = load(policy(keyEntry(), { rule: '      preconditions:\n        all:\n          - key: "{{ request.operation }}"\n            operator: NotEquals\n            value: DELETE\n' }))[0]!.rules[0]!;
  const req = only(rule.requirement, 'all');
  t.match(req.of[0], { kind: 'unsupported', field: 'preconditions' });
  t.equal(req.of[1]!.kind, 'all');
});

t.test('imageExtractors: unsupported for the kinds they name, usual rule elsewhere', async (t) => {
  const rule = '      imageExtractors:\n        TaskRun:\n          - path: /spec/steps/*\n            value: image\n';
  const rules = load(policy(keyEntry(), { rule }))[0]!.rules;
  t.equal(rules.length, 2);
  t.equal(rules[0]!.requirement.kind, 'all');
  t.same(rules[0]!.resources!.exclude.at(-1), [{ kinds: ['TaskRun'] }]);
  t.match(rules[1]!.requirement, { kind: 'unsupported', field: 'imageExtractors' });
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

t.test('ImageValidatingPolicy loads as unsupported with its globs', async (t) => {
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
`;
  const rule = load(text)[0]!.rules[0]!;
  t.same(rule.images.include, ['ghcr.io/org/*']);
  t.equal(rule.mode, 'audit');
  t.equal(rule.onError, 'allow');
  t.match(rule.requirement, { kind: 'unsupported', field: 'ImageValidatingPolicy' });
  t.ok(rule.resources!.match[0]![0]!.kinds!.includes('Deployment'), 'pods cover controllers');
  const expr = text.replace('- glob: ghcr.io/org/*', "- expression: \"image.registry == 'ghcr.io'\"");
  t.same(load(expr)[0]!.rules[0]!.images.include, ['*'], 'a CEL match cannot be evaluated: all images');
});
