// Policies read as their admission controller reads them: Kyverno's per-namespace overrides,
// namespaced Policies placed with -n, every .verify-images/ from the root down, TAP's unmatched
// default. Each case failed on the build before (an unsigned image passed with exit 0).
import t from 'tap';
import { cipPolicy, deployment, kyvernoPolicy, repo, startBench, verify } from './fixture.js';
import { staticPolicy } from '../helpers/cli.js';

const b = await startBench();
t.teardown(() => b.close());

t.test('validationFailureActionOverrides: Enforce in the namespaces it names, Audit elsewhere', async (t) => {
  const spec = '  validationFailureAction: Audit\n  validationFailureActionOverrides:\n    - action: Enforce\n      namespaces: [shop]\n';
  const dir = await repo(t, {
    '.verify-images/p.yaml': kyvernoPolicy(b, { spec }),
    'shop.yaml': deployment('cart', b.unsigned, 'shop'),
    'dev.yaml': deployment('cart', b.signed, 'dev'),
  });
  const shop = await verify(dir, ['shop.yaml']);
  t.equal(shop.code, 1, 'an unsigned image in shop blocks: the override enforces there');
  t.same(shop.verdicts, { 'apps/rogue:1.0': 'fail' });
  const signed = await verify(dir, ['-f', 'dev.yaml']);
  t.same(signed.verdicts, { 'apps/web:1.0': 'pass' }, 'the signed image passes wherever');
  await (await import('node:fs/promises')).writeFile(`${dir}/dev.yaml`, deployment('cart', b.unsigned, 'dev'));
  const dev = await verify(dir, ['dev.yaml']);
  t.equal(dev.code, 0, 'in dev the policy audits: a warning');
  t.same(dev.verdicts, { 'apps/rogue:1.0': 'warn' });
  const placed = await verify(dir, ['-n', 'shop', '-'], { stdin: deployment('cart', b.unsigned) });
  t.equal(placed.code, 1, 'an object naming no namespace is judged in -n');
});

t.test('an override decided by a namespaceSelector is undecided without the cluster: exit 3, never a pass', async (t) => {
  const spec = '  validationFailureAction: Audit\n  validationFailureActionOverrides:\n    - action: Enforce\n      namespaceSelector:\n        matchLabels: {tier: prod}\n';
  const dir = await repo(t, { '.verify-images/p.yaml': kyvernoPolicy(b, { spec }), 'd.yaml': deployment('cart', b.unsigned, 'shop') + '---\n' + deployment('web', b.signed, 'shop') });
  const run = await verify(dir, ['d.yaml']);
  t.equal(run.code, 3);
  t.same(run.verdicts, { 'apps/rogue:1.0': 'error', 'apps/web:1.0': 'pass' }, 'only the image that would be blocked is undecided');
  t.match(run.stdout, /namespaceSelector: whether Enforce applies in namespace shop/);
  const rogue = JSON.parse(run.stdout).results.find((r: { image: string }) => r.image === b.unsigned);
  t.match(rogue.hints.join('\n'), /depends on the namespace's labels, which only the cluster knows/, 'the hint says why, not "a feature the tool cannot evaluate yet"');
  t.notMatch(rogue.hints.join('\n'), /cannot evaluate yet/);
});

t.test('an undecided mode changes nothing where the mode would not: registry trouble under failurePolicy Ignore stays allowed', async (t) => {
  const selector = '  validationFailureActionOverrides:\n    - action: Enforce\n      namespaceSelector:\n        matchLabels: {tier: prod}\n';
  const missing = `${b.registry.host}/apps/missing:1.0`;
  const dir = await repo(t, { 'd.yaml': deployment('gone', missing, 'shop') });
  await (await import('node:fs/promises')).mkdir(`${dir}/.verify-images`);
  const write = (spec: string) => (import('node:fs/promises')).then((fs) => fs.writeFile(`${dir}/.verify-images/p.yaml`, kyvernoPolicy(b, { spec })));
  await write(`  validationFailureAction: Audit\n  failurePolicy: Ignore\n${selector}`);
  const ignore = await verify(dir, ['d.yaml']);
  t.same(ignore.verdicts, { 'apps/missing:1.0': 'error' });
  t.equal(ignore.code, 0, 'Ignore lets registry trouble through in either mode');
  await write(`  validationFailureAction: Audit\n  failurePolicy: Fail\n${selector}`);
  const fail = await verify(dir, ['d.yaml']);
  t.equal(fail.code, 3, 'under Fail, Enforce would block it: undecided blocks');
  t.match(fail.stdout, /namespaceSelector: whether Enforce applies in namespace shop/);
});

t.test('an unsupported requirement under an Audit policy blocks (exit 3), as the report says', async (t) => {
  const rule = '      preconditions:\n        all:\n          - key: "{{ request.userInfo.username }}"\n            operator: NotEquals\n            value: admin\n';
  const policy = kyvernoPolicy(b, { spec: '  validationFailureAction: Audit\n' }).replace('      verifyImages:\n', `${rule}      verifyImages:\n`);
  const dir = await repo(t, { '.verify-images/p.yaml': policy, 'd.yaml': deployment('web', b.signed) });
  const run = await verify(dir, ['d.yaml']);
  t.equal(run.code, 3, 'the text says "not let through": the exit agrees');
  t.same(run.verdicts, { 'apps/web:1.0': 'error' });
  t.match(run.stdout, /unsupported: preconditions over request\.userInfo/);
});

t.test('a namespaced Policy written without a namespace lands where -n places the manifests', async (t) => {
  const dir = await repo(t, { '.verify-images/p.yaml': kyvernoPolicy(b, { kind: 'Policy' }), 'd.yaml': deployment('cart', b.unsigned) });
  const shop = await verify(dir, ['-n', 'shop', 'd.yaml']);
  t.equal(shop.code, 1, 'kubectl apply -n shop puts both in shop');
  t.same(shop.verdicts, { 'apps/rogue:1.0': 'fail' });
  const other = await verify(dir, ['d.yaml'], { stdin: '' });
  t.same(other.verdicts, { 'apps/rogue:1.0': 'fail' }, 'without -n both are in default');
  await (await import('node:fs/promises')).writeFile(`${dir}/e.yaml`, deployment('cart', b.unsigned, 'dev'));
  const elsewhere = await verify(dir, ['-n', 'shop', 'e.yaml']);
  t.same(elsewhere.verdicts, { 'apps/rogue:1.0': 'unmatched' }, 'an object naming another namespace is outside the Policy');
});

t.test('a nested .verify-images/ adds to the root one, never replaces it', async (t) => {
  const dir = await repo(t, {
    '.verify-images/p.yaml': cipPolicy(b),
    'apps/shop/.verify-images/pass.yaml': staticPolicy('anything-goes', '**', 'pass'),
    'apps/shop/d.yaml': deployment('cart', b.unsigned),
  });
  const run = await verify(`${dir}/apps/shop`, ['d.yaml']);
  t.equal(run.code, 1, 'run from the app folder (as the CMP runs) the root policy still blocks');
  t.same(run.verdicts, { 'apps/rogue:1.0': 'fail' });
  const root = await verify(dir, ['apps/shop/d.yaml']);
  t.same(root.verdicts, { 'apps/rogue:1.0': 'fail' }, 'the same from the root');
});

t.test("Tanzu: an image no namePattern matches is denied, as TAP's webhook denies it by default", async (t) => {
  const tanzu = `apiVersion: signing.apps.tanzu.vmware.com/v1beta1
kind: ClusterImagePolicy
metadata:
  name: image-policy
spec:
  verification:
    keys:
      - name: k
        publicKey: |
${b.key.publicKeyPem.trim().split('\n').map((l) => `          ${l}`).join('\n')}
    images:
      - namePattern: ${b.registry.host}/apps/web*
        keys: [{name: k}]
`;
  const dir = await repo(t, { '.verify-images/tanzu.yaml': tanzu, 'd.yaml': deployment('web', b.signed) + '---\n' + deployment('cart', b.unsigned) });
  const run = await verify(dir, ['d.yaml']);
  t.equal(run.code, 1);
  t.same(run.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'fail' });
  t.match(run.stdout, /allow_unmatched_images/);
  const rogue = JSON.parse(run.stdout).results.find((r: { image: string }) => r.image === b.unsigned);
  t.match(rogue.hints, [/^cover it in \.verify-images\/tanzu\.yaml: a namePattern for .*\/apps\/rogue with the keys that sign it/], 'the fix names the file to edit');
  await (await import('node:fs/promises')).writeFile(`${dir}/.verify-imagesrc.yaml`, 'tanzuAllowUnmatchedImages: true\n');
  const allowed = await verify(dir, ['d.yaml']);
  t.equal(allowed.code, 0, 'an install with allow_unmatched_images: true admits it');
  t.same(allowed.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'unmatched' });
});
