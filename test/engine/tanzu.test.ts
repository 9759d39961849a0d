// Tanzu SCST-Sign ClusterImagePolicy through the REAL registry: TAP's pattern table, keys by
// name ("any of"), excluded namespaces, unmatched images under both settings, and the errors.
import t from 'tap';
import { parseReference } from '../../src/images/reference.js';
import { loadPolicies } from '../../src/policy/loaders.js';
import { selectRules } from '../../src/policy/select.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { indent, runScenario } from '../helpers/engine.js';

let registry: TestRegistry;
const first = generateKeyPair('ecdsa-p256');
const second = generateKeyPair('ecdsa-p256');
const stranger = generateKeyPair('ecdsa-p256');
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

function tanzu(images: string, opts: { exclude?: string[]; name?: string; apiVersion?: string } = {}): string {
  return `apiVersion: ${opts.apiVersion ?? 'signing.apps.tanzu.vmware.com/v1beta1'}
kind: ClusterImagePolicy
metadata:
  name: ${opts.name ?? 'image-policy'}
spec:
  verification:
${opts.exclude ? `    exclude:\n      resources:\n        namespaces: [${opts.exclude.join(', ')}]\n` : ''}    keys:
    - name: first-key
      publicKey: |
${indent(first.publicKeyPem, 8)}
    - name: second-key
      publicKey: |
${indent(second.publicKeyPem, 8)}
    images:
${indent(images, 4)}
`;
}

t.test("TAP's pattern table: * crosses / . and :, a tagless pattern matches any tag", async (t) => {
  const matches = (pattern: string, image: string) => {
    const [p] = loadPolicies([{ file: 'p.yaml', text: tanzu(`- namePattern: ${JSON.stringify(pattern)}\n  keys: [{name: first-key}]`) }]);
    // The pattern's own rule (not the rule for images no pattern matches).
    return selectRules([p!], parseReference(image), { apiVersion: 'v1', kind: 'Pod', labels: {}, annotations: {} }).filter((s) => !s.rule.unmatchedDefault).length === 1;
  };
  const table: [string, string, boolean][] = [
    ['registry.example.org/myproject/my-image:mytag', 'registry.example.org/myproject/my-image:mytag', true],
    ['registry.example.org/myproject/my-image:mytag', 'registry.example.org/myproject/my-image:other', false],
    ['registry.example.org/myproject/my-image', 'registry.example.org/myproject/my-image:anytag', true],
    ['registry.example.org/myproject/my-image:*', 'registry.example.org/myproject/my-image:anytag', true],
    ['registry.example.org/myproject/*', 'registry.example.org/myproject/my-image:mytag', true],
    ['registry.example.org/myproject/*', 'registry.example.org/myproject/anotherimage:anothertag', true],
    ['registry.example.org/*/my-image:mytag', 'registry.example.org/anotherproject/my-image:mytag', true],
    ['registry.example.org/*/my-image', 'registry.example.org/myproject/my-image:anothertag', true],
    ['registry.example.org/*', 'registry.example.org/anotherproject/anotherimage:anothertag', true],
    ['*.example.org/*', 'my-registry.example.org/a/b:c', true],
    ['*.example.org/project/image', 'registry.example.org/project/image:1', true],
    ['*', 'busybox', true],
    ['registry.example.org/myproject/*', 'other.example.org/myproject/x:1', false],
    ['index.docker.io/library/busybox', 'busybox', false],
  ];
  for (const [pattern, image, want] of table) t.equal(matches(pattern, image), want, `${pattern} vs ${image}`);
});

t.test('verified when any one of the pattern’s keys verifies; excluded namespaces skip; unmatched per setting', async (t) => {
  const push = async (name: string, keys: (typeof first)[]) => {
    const digest = await pushImage(registry.host, `tanzu/${name}`, '1.0', { seed: `tanzu-${name}` });
    for (const key of keys) await signImage({ registry: registry.host, repo: `tanzu/${name}`, digest, key });
    return `${registry.host}/tanzu/${name}:1.0`;
  };
  const bySecond = await push('by-second', [second]);
  const byStranger = await push('by-stranger', [stranger]);
  const unsigned = await push('unsigned', []);
  const deploy = (name: string, ns: string, image: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: ${image}\n`;
  const policy = tanzu(`- namePattern: ${registry.host}/tanzu/*\n  keys: [{name: first-key}, {name: second-key}]`, { exclude: ['kube-system'] });
  const manifests = {
    'a.yaml': deploy('a', 'prod', bySecond),
    'b.yaml': deploy('b', 'prod', byStranger),
    'c.yaml': deploy('c', 'prod', unsigned),
    'd.yaml': deploy('d', 'kube-system', `${registry.host}/tanzu/excluded:1.0`),
    'e.yaml': deploy('e', 'prod', 'docker.io/library/busybox:1.36'),
  };
  const r = await runScenario(t, { manifests, policies: { 'p.yaml': policy } });
  const status = (image: string) => r.result.results.find((x) => x.image === image)?.status;
  t.same(
    [status(bySecond), status(byStranger), status(unsigned), status(`${registry.host}/tanzu/excluded:1.0`), status('docker.io/library/busybox:1.36')],
    ['pass', 'fail', 'fail', 'skip', 'fail'],
    'an image no pattern matches is denied: allow_unmatched_images is false by default',
  );
  t.equal(r.code, 1);
  const allow = await runScenario(t, { manifests: { 'e.yaml': manifests['e.yaml'] }, policies: { 'p.yaml': policy }, options: { tanzuAllowUnmatchedImages: true } });
  t.equal(allow.code, 0, 'allow_unmatched_images: true (tanzuAllowUnmatchedImages) admits it');
  t.same(allow.result.results.map((x) => x.status), ['unmatched']);
});

t.test('errors: another name, a second policy, an undefined key; the old API group loads with a note', async (t) => {
  const one = `- namePattern: "*"\n  keys: [{name: first-key}]`;
  t.throws(() => loadPolicies([{ file: 'p.yaml', text: tanzu(one, { name: 'mine' }) }]), { code: 'POLICY_ERROR', message: /reads only the ClusterImagePolicy named "image-policy"; "mine" would be ignored/ });
  t.throws(() => loadPolicies([{ file: 'a.yaml', text: tanzu(one) }, { file: 'b.yaml', text: tanzu(one) }]), { message: /^b\.yaml:1: a second Tanzu SCST-Sign ClusterImagePolicy \(the first is a\.yaml:1\)/ });
  t.throws(() => loadPolicies([{ file: 'p.yaml', text: tanzu(`- namePattern: "*"\n  keys: [{name: nope}]`) }]), { message: /no key named "nope" in spec\.verification\.keys \(first-key, second-key\)/ });
  t.throws(() => loadPolicies([{ file: 'p.yaml', text: tanzu(`- namePattern: "*"\n  key: [{name: first-key}]`) }]), { message: /unknown field "key".*did you mean "keys"/ });
  const [old] = loadPolicies([{ file: 'p.yaml', text: tanzu(one, { apiVersion: 'signing.run.tanzu.vmware.com/v1beta1' }) }]);
  t.match(old!.warnings, [/pre-1\.0 Tanzu API/]);
});
