// Issue 21.1: a key, certificate or trusted_root.json that does not parse (a template placeholder
// left in) fails only the images its rule covers (`error`, exit 3), is warned about once, and
// leaves every other image to its own rules: Kyverno admits such a policy and fails only the
// images the rule matches. Against the real registry, verdict per image.
import t from 'tap';
import { deployment, repo, startBench, verify, type Bench } from '../parity/fixture.js';
import { indent } from '../helpers/engine.js';

let b: Bench;
t.before(async () => {
  b = await startBench();
});
t.teardown(() => b?.close());

const PLACEHOLDER = '-----BEGIN PUBLIC KEY-----\n__COSIGN_PUBLIC_KEY__\n-----END PUBLIC KEY-----';

/** Two rules: `broken` covers `brokenGlob` with the given key text; `good` covers apps/web with the bench key. */
function twoRules(brokenGlob: string, brokenEntry: string, mode = 'Enforce'): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: signed
spec:
  validationFailureAction: ${mode}
  rules:
    - name: broken
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["${brokenGlob}"]
          mutateDigest: false
          verifyDigest: false
          attestors:
            - entries:
${indent(brokenEntry, 16)}
    - name: good
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["${b.registry.host}/apps/web*"]
          mutateDigest: false
          verifyDigest: false
          attestors:
            - entries:
                - keys:
                    rekor: {ignoreTlog: true}
                    publicKeys: |-
${indent(b.key.publicKeyPem, 22)}
`;
}

const keyEntry = (text: string) => `- keys:\n    rekor: {ignoreTlog: true}\n    publicKeys: |-\n${indent(text, 6)}`;
const manifests = () => ({ 'deploy/web.yaml': deployment('web', b.signed), 'deploy/rogue.yaml': deployment('rogue', b.unsigned) });

t.test('a placeholder key in a rule that covers other registries: no effect, exit 0, one warning at the line', async (t) => {
  const policy = twoRules('registry.gitlab.com/*', keyEntry(PLACEHOLDER));
  const dir = await repo(t, { 'policies/p.yaml': policy, 'deploy/web.yaml': deployment('web', b.signed) });
  const run = await verify(dir, ['deploy', '--policy', 'policies']);
  t.equal(run.code, 0, run.stderr);
  t.same(run.verdicts, { 'apps/web:1.0': 'pass' });
  const line = policy.split('\n').findIndex((l) => l.includes('publicKeys: |-')) + 1;
  const warnings = run.stderr.split('\n').filter((l) => l.includes('a placeholder?'));
  t.equal(warnings.length, 1, 'warned once');
  t.match(warnings[0], `policies/p.yaml:${line}: `);
  t.match(warnings[0], 'does not parse as a PEM public key — a placeholder?');
});

t.test('the images the broken rule covers are error (exit 3) with the file:line; the others are judged by their own rules', async (t) => {
  for (const [name, text] of [
    ['__COSIGN_PUBLIC_KEY__ inside PEM armour', PLACEHOLDER],
    ['REPLACE_WITH_COSIGN_PUBLIC_KEY, no PEM at all', 'REPLACE_WITH_COSIGN_PUBLIC_KEY'],
    ['a documentation "..." body', '-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----'],
  ] as const) {
    await t.test(name, async (t) => {
      const policy = twoRules(`${b.registry.host}/apps/rogue*`, keyEntry(text));
      const dir = await repo(t, { 'policies/p.yaml': policy, ...manifests() });
      const run = await verify(dir, ['deploy', '--policy', 'policies']);
      t.equal(run.code, 3, run.stderr);
      t.same(run.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'error' });
      const line = policy.split('\n').findIndex((l) => l.includes('publicKeys: |-')) + 1;
      const rogue = (JSON.parse(run.stdout) as { results: { image: string; policies: { reasons: string[] }[] }[] }).results.find((r) => r.image.includes('rogue'))!;
      t.match(rogue.policies[0]!.reasons.join('\n'), `does not parse as a PEM public key — a placeholder?`);
      t.match(rogue.policies[0]!.reasons.join('\n'), `policies/p.yaml:${line}`);
      t.match(rogue.policies[0]!.reasons.join('\n'), 'the policy holds trust material that does not parse', 'the note says the policy is at fault, not the tool');
      t.notMatch(rogue.policies[0]!.reasons.join('\n'), 'this tool cannot evaluate');
    });
  }
});

t.test('under Audit too: a rule that cannot verify never lets its images pass', async (t) => {
  const dir = await repo(t, { 'policies/p.yaml': twoRules(`${b.registry.host}/apps/rogue*`, keyEntry(PLACEHOLDER), 'Audit'), ...manifests() });
  const run = await verify(dir, ['deploy', '--policy', 'policies']);
  t.equal(run.code, 3, run.stderr);
  t.same(run.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'error' });
});

t.test('a count of entries is still met by the entries that parse', async (t) => {
  const entries = `${keyEntry(PLACEHOLDER)}\n- keys:\n    rekor: {ignoreTlog: true}\n    publicKeys: |-\n${indent(b.key.publicKeyPem, 6)}`;
  const policy = twoRules(`${b.registry.host}/apps/*`, entries).replace('            - entries:\n', '            - count: 1\n              entries:\n');
  t.match(policy, 'count: 1');
  const dir = await repo(t, { 'policies/p.yaml': policy, ...manifests() });
  const run = await verify(dir, ['deploy', '--policy', 'policies']);
  // web: the good entry verifies (count 1 met); rogue: unsigned, the broken entry cannot help it.
  t.equal(run.code, 3, run.stderr);
  t.same(run.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'error' });
});

t.test('a certificate that does not parse (keyless roots): the same', async (t) => {
  const entry = `- keyless:\n    subject: someone@example.com\n    roots: |-\n      -----BEGIN CERTIFICATE-----\n      REPLACE_WITH_FULCIO_ROOT\n      -----END CERTIFICATE-----`;
  const policy = twoRules(`${b.registry.host}/apps/rogue*`, entry);
  const dir = await repo(t, { 'policies/p.yaml': policy, ...manifests() });
  const run = await verify(dir, ['deploy', '--policy', 'policies']);
  t.equal(run.code, 3, run.stderr);
  t.same(run.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'error' });
  const line = policy.split('\n').findIndex((l) => l.includes('roots: |-')) + 1;
  t.match(run.stderr, `policies/p.yaml:${line}: `);
  t.match(run.stderr, 'does not parse as a PEM certificate — a placeholder?');
});

t.test('an ImageValidatingPolicy attestor whose trustedRoot or key does not parse: its images error, the others pass', async (t) => {
  const ivpol = (attestor: string) => `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: broken-root
spec:
  matchImageReferences:
    - glob: "${b.registry.host}/apps/rogue*"
  attestors:
    - name: broken
      cosign:
${indent(attestor, 8)}
  validations:
    - expression: images.containers.map(image, verifyImageSignatures(image, [attestors.broken])).all(e, e > 0)
      message: not signed
`;
  for (const [name, attestor, problem] of [
    ['trustedRoot.value', `keyless:\n  identities: [{subject: someone@example.com, issuer: https://issuer.example}]\ntrustedRoot:\n  value: REPLACE_WITH_TRUSTED_ROOT_JSON`, 'does not parse as a trusted_root.json — a placeholder?'],
    ['key.data', `key:\n  data: REPLACE_WITH_COSIGN_PUBLIC_KEY`, 'does not parse as a PEM public key — a placeholder?'],
  ] as const) {
    await t.test(name, async (t) => {
      const dir = await repo(t, { 'policies/ivpol.yaml': ivpol(attestor), 'policies/kyverno.yaml': twoRules('registry.gitlab.com/*', keyEntry(PLACEHOLDER)), ...manifests() });
      const run = await verify(dir, ['deploy', '--policy', 'policies']);
      t.equal(run.code, 3, run.stderr);
      t.same(run.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'error' });
      t.match(run.stdout, problem);
      t.match(run.stderr, `policies/ivpol.yaml:`);
    });
  }
});

t.test('Tanzu: a key that does not parse fails the patterns that name it, not the whole policy', async (t) => {
  const policy = `apiVersion: signing.apps.tanzu.vmware.com/v1beta1
kind: ClusterImagePolicy
metadata:
  name: image-policy
spec:
  verification:
    keys:
      - name: good
        publicKey: |
${indent(b.key.publicKeyPem, 10)}
      - name: template
        publicKey: REPLACE_WITH_COSIGN_PUBLIC_KEY
    images:
      - namePattern: ${b.registry.host}/apps/web*
        keys: [{name: good}]
      - namePattern: ${b.registry.host}/apps/rogue*
        keys: [{name: template}]
`;
  const dir = await repo(t, { 'policies/tap.yaml': policy, ...manifests() });
  const run = await verify(dir, ['deploy', '--policy', 'policies']);
  t.equal(run.code, 3, run.stderr);
  t.same(run.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'error' });
});
