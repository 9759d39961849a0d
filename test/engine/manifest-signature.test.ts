// Signed manifests (issue 24.1) where the reference tools cannot reach offline: a signature
// logged in Rekor (kubectl sigstore uploads to the public log) and a manifest bundle image
// whose signature is logged. Signed here in k8s-manifest-sigstore's format (src/testkit/
// manifest-signer.ts); test/reference/manifest-signature.test.ts compares the rest with
// `kyverno apply` on manifests signed by the real `kubectl sigstore`.
import path from 'node:path';
import t from 'tap';
import { generateKeyPair, makeRekorKey, signImage } from '../../src/testkit/cosign-signer.js';
import { pushManifestBundle, signManifests } from '../../src/testkit/manifest-signer.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { runCli, tempRepo } from '../helpers/cli.js';
import { indent } from '../helpers/engine.js';

let registry: TestRegistry;
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

const key = generateKeyPair('ecdsa-p256');
const other = generateKeyPair('ecdsa-p256');
const rekor = makeRekorKey();
const strangeLog = makeRekorKey();

const config = (name: string, value = '1', annotations = '') => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: prod
${annotations}data:
  a: "${value}"
`;

const policy = (opts: { repository?: string; rekorPubkey?: string } = {}) => `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: signed-manifests
spec:
  validationFailureAction: Enforce
  rules:
  - name: signed
    match:
      any:
      - resources:
          kinds: [ConfigMap]
    validate:
      manifests:
${opts.repository ? `        repository: ${opts.repository}\n` : ''}        attestors:
        - entries:
          - keys:
              publicKeys: |-
${indent(key.publicKeyPem.trim(), 16)}
${opts.rekorPubkey ? `              rekor:\n                pubkey: |-\n${indent(opts.rekorPubkey.trim(), 18)}\n` : ''}`;

async function verdicts(t: Parameters<typeof tempRepo>[0], files: Record<string, string>) {
  const dir = await tempRepo(t, files);
  const r = await runCli(dir, ['verify', '-p', 'policy.yaml', 'apps', '-o', 'json', '--no-cache']);
  const json = JSON.parse(r.stdout || '{"results":[]}') as { results: { kind?: string; image: string; status: string; policies: { reasons: string[] }[] }[] };
  const out: Record<string, { status: string; reasons: string }> = {};
  for (const x of json.results) if (x.kind === 'manifest') out[x.image] = { status: x.status, reasons: x.policies.flatMap((p) => p.reasons).join('; ') };
  return { code: r.code, out, stderr: r.stderr };
}

t.test('a signature logged in Rekor: the SET and the entry must name this signature, key and message', async (t) => {
  const logged = signManifests(config('logged'), { key, rekor: { privateKey: rekor.privateKey, logID: rekor.logID } });
  const otherLog = signManifests(config('other-log'), { key, rekor: { privateKey: strangeLog.privateKey, logID: strangeLog.logID } });
  // The bundle of one signature beside another signature: the log saw something else.
  const swapped = (() => {
    const a = signManifests(config('swapped'), { key, rekor: { privateKey: rekor.privateKey, logID: rekor.logID } });
    const b = signManifests(config('swapped', '2'), { key, rekor: { privateKey: rekor.privateKey, logID: rekor.logID } });
    const bundleOf = (s: string) => /cosign\.sigstore\.dev\/bundle: (\S+)/.exec(s)![1]!;
    return a.replace(bundleOf(a), bundleOf(b));
  })();
  const { code, out } = await verdicts(t, { 'policy.yaml': policy({ rekorPubkey: rekor.publicKeyPem }), 'apps/a.yaml': [logged, otherLog, swapped].join('---\n') });
  t.equal(out['ConfigMap prod/logged']?.status, 'pass', out['ConfigMap prod/logged']?.reasons);
  t.equal(out['ConfigMap prod/other-log']?.status, 'fail');
  t.match(out['ConfigMap prod/other-log']?.reasons, /untrusted log/);
  t.equal(out['ConfigMap prod/swapped']?.status, 'fail');
  t.match(out['ConfigMap prod/swapped']?.reasons, /transparency-log entry records a different (signature|payload hash)/);
  t.equal(code, 1);
});

t.test('without the log key in the policy, the trusted root decides: a fake log is not trusted', async (t) => {
  const logged = signManifests(config('public'), { key, rekor: { privateKey: rekor.privateKey, logID: rekor.logID } });
  const { code, out } = await verdicts(t, { 'policy.yaml': policy(), 'apps/a.yaml': logged });
  t.equal(out['ConfigMap prod/public']?.status, 'fail');
  t.match(out['ConfigMap prod/public']?.reasons, /untrusted log/);
  t.equal(code, 1);
});

t.test('a manifest bundle image: its YAML is compared, its signature must verify with the key and be logged', async (t) => {
  const repo = `manifests/b${Date.now()}`;
  const signedYaml = config('bundled') + '---\n' + config('bundled-2');
  const digest = await pushManifestBundle(registry.host, repo, 'v1', signedYaml);
  await signImage({ registry: registry.host, repo, digest, key, rekor: { privateKey: rekor.privateKey, logID: rekor.logID } });
  const ref = `${registry.host}/${repo}:v1`;
  const annotated = (name: string, value = '1') => config(name, value, `  annotations:\n    cosign.sigstore.dev/resourceBundleRef: ${ref}\n`);
  const { code, out } = await verdicts(t, {
    'policy.yaml': policy({ rekorPubkey: rekor.publicKeyPem }),
    'apps/a.yaml': [annotated('bundled'), annotated('bundled-2', '9'), config('not-in-bundle')].join('---\n'),
  });
  t.equal(out['ConfigMap prod/bundled']?.status, 'pass', out['ConfigMap prod/bundled']?.reasons);
  t.match(out['ConfigMap prod/bundled']?.reasons, `matches the manifest bundle image ${ref}`);
  t.equal(out['ConfigMap prod/bundled-2']?.status, 'fail');
  t.match(out['ConfigMap prod/bundled-2']?.reasons, /differs from the manifest bundle image .*data\.a: "1" → "9"/);
  t.equal(out['ConfigMap prod/not-in-bundle']?.status, 'fail', 'no annotation, no repository: not signed');
  t.equal(code, 1);

  // The rule's repository names the bundle for objects that carry no annotation at all.
  const viaRule = await verdicts(t, { 'policy.yaml': policy({ repository: ref, rekorPubkey: rekor.publicKeyPem }), 'apps/a.yaml': config('bundled') });
  t.equal(viaRule.out['ConfigMap prod/bundled']?.status, 'pass', viaRule.out['ConfigMap prod/bundled']?.reasons);
  t.equal(viaRule.code, 0);
});

t.test('a manifest bundle image signed without a transparency-log entry, or by another key, blocks', async (t) => {
  const repo = `manifests/u${Date.now()}`;
  const digest = await pushManifestBundle(registry.host, repo, 'v1', config('unlogged'));
  await signImage({ registry: registry.host, repo, digest, key });
  const repo2 = `manifests/o${Date.now()}`;
  const digest2 = await pushManifestBundle(registry.host, repo2, 'v1', config('others'));
  await signImage({ registry: registry.host, repo: repo2, digest: digest2, key: other, rekor: { privateKey: rekor.privateKey, logID: rekor.logID } });
  const at = (name: string, r: string) => config(name, '1', `  annotations:\n    cosign.sigstore.dev/resourceBundleRef: ${registry.host}/${r}:v1\n`);
  const { code, out } = await verdicts(t, { 'policy.yaml': policy({ rekorPubkey: rekor.publicKeyPem }), 'apps/a.yaml': [at('unlogged', repo), at('others', repo2)].join('---\n') });
  t.equal(out['ConfigMap prod/unlogged']?.status, 'fail');
  t.match(out['ConfigMap prod/unlogged']?.reasons, /transparency/i);
  t.equal(out['ConfigMap prod/others']?.status, 'fail');
  t.equal(code, 1);
});

t.test('a bundle image and a certificate attestor (not verified here) block even under failurePolicy Ignore', async (t) => {
  const at = config('certified', '1', `  annotations:\n    cosign.sigstore.dev/resourceBundleRef: ${registry.host}/manifests/certified:v1\n`);
  const keyless = policy()
    .replace('  validationFailureAction: Enforce\n', '  validationFailureAction: Enforce\n  failurePolicy: Ignore\n')
    .replace(/          - keys:\n[\s\S]*$/, '          - keyless:\n              issuer: https://token.actions.githubusercontent.com\n              subject: https://github.com/acme/*\n');
  const digest = await pushManifestBundle(registry.host, 'manifests/certified', 'v1', config('certified'));
  t.ok(digest);
  const { code, out } = await verdicts(t, { 'policy.yaml': keyless, 'apps/a.yaml': at });
  t.equal(out['ConfigMap prod/certified']?.status, 'error');
  t.match(out['ConfigMap prod/certified']?.reasons, /unsupported: a manifest bundle image signed with a certificate/);
  t.equal(code, 3, 'not let through by failurePolicy Ignore');
});

t.test('a bundle image that cannot be fetched is undecided (exit 3), never a pass', async (t) => {
  const at = config('missing', '1', `  annotations:\n    cosign.sigstore.dev/resourceBundleRef: ${registry.host}/manifests/none:v1\n`);
  const { code, out } = await verdicts(t, { 'policy.yaml': policy(), 'apps/a.yaml': at });
  t.equal(out['ConfigMap prod/missing']?.status, 'error');
  t.match(out['ConfigMap prod/missing']?.reasons, /manifest bundle image/);
  t.equal(code, 3);
});

t.test('dryRun is said not to be used; a keyless attestor without a certificate on the object fails', async (t) => {
  const signed = signManifests(config('dry'), { key });
  const dry = policy().replace('      manifests:\n', '      manifests:\n        dryRun: {enable: true}\n');
  const a = await verdicts(t, { 'policy.yaml': dry, 'apps/a.yaml': signed });
  t.equal(a.out['ConfigMap prod/dry']?.status, 'pass');
  t.match(a.out['ConfigMap prod/dry']?.reasons, /dryRun\.enable: a dry run needs a cluster/);
  const keyless = policy().replace(/          - keys:\n[\s\S]*$/, '          - keyless:\n              issuer: https://token.actions.githubusercontent.com\n              subject: https://github.com/acme/*\n');
  const b = await verdicts(t, { 'policy.yaml': keyless, 'apps/a.yaml': signed });
  t.equal(b.out['ConfigMap prod/dry']?.status, 'fail');
  t.match(b.out['ConfigMap prod/dry']?.reasons, /signed with a key, not a certificate/);
  t.equal(b.code, 1);
});

t.test('the policy file is checked strictly: an unknown field under validate.manifests is an error at its line', async (t) => {
  const bad = policy().replace('      manifests:\n', '      manifests:\n        ignoreField: []\n');
  const dir = await tempRepo(t, { 'policy.yaml': bad, 'apps/a.yaml': config('x') });
  const r = await runCli(dir, ['verify', '-p', 'policy.yaml', 'apps', '--no-cache']);
  t.equal(r.code, 2);
  t.match(r.stderr, /policy\.yaml:\d+: .*unknown field "ignoreField".*did you mean "ignoreFields"/);
});

t.test('keyless manifest signatures (a Fulcio certificate and a Rekor bundle in the annotations, as kubectl sigstore sign writes them): identity, chain and log checked', async (t) => {
  const { createSigstoreStandIn } = await import('../../src/testkit/sigstore-stand-in.js');
  const { gzipSync } = await import('node:zlib');
  const { createHash, sign } = await import('node:crypto');
  const { writeFile } = await import('node:fs/promises');
  const standIn = await createSigstoreStandIn();
  const subject = 'https://github.com/acme/shop/.github/workflows/release.yaml@refs/heads/main';
  const issuer = 'https://token.actions.githubusercontent.com';
  const issued = await standIn.issue({ subject, issuer });
  const gz = (s: string | Buffer) => gzipSync(typeof s === 'string' ? Buffer.from(s) : s).toString('base64');
  /** One object signed keylessly, in k8s-manifest-sigstore's annotations (`withBundle: false` drops the log entry). */
  const keylessSigned = async (name: string, withBundle = true) => {
    const message = Buffer.from(config(name));
    const signature = sign('sha256', message, issued.privateKey).toString('base64');
    const body = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: { data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(message).digest('hex') } }, signature: { content: signature, publicKey: { content: Buffer.from(issued.certificatePem).toString('base64') } } },
    };
    const entry = await standIn.log(body);
    const annotations = [
      `    cosign.sigstore.dev/message: ${gz(message)}`,
      `    cosign.sigstore.dev/signature: ${signature}`,
      `    cosign.sigstore.dev/certificate: ${gz(issued.certificatePem)}`,
      ...(withBundle ? [`    cosign.sigstore.dev/bundle: ${gz(entry.cosignBundle)}`] : []),
    ];
    return config(name, '1', `  annotations:\n${annotations.join('\n')}\n`);
  };
  const keyless = (subjectPattern: string) =>
    policy().replace(/          - keys:\n[\s\S]*$/, `          - keyless:\n              issuer: ${issuer}\n              subject: "${subjectPattern}"\n`);
  const files = { 'apps/a.yaml': [await keylessSigned('keyless'), await keylessSigned('unlogged', false)].join('---\n') };
  const dir = await tempRepo(t, { ...files, 'root.json': standIn.trustedRootJson, 'policy.yaml': keyless('https://github.com/acme/*') });
  await writeFile(path.join(dir, 'other.yaml'), keyless('https://github.com/other/*'));
  const run = async (p: string) => {
    const r = await runCli(dir, ['verify', '-p', p, 'apps', '-o', 'json', '--no-cache', '--trusted-root', path.join(dir, 'root.json')]);
    const json = JSON.parse(r.stdout) as { results: { kind?: string; image: string; status: string; policies: { reasons: string[]; signers?: string[] }[] }[] };
    return { code: r.code, byName: Object.fromEntries(json.results.filter((x) => x.kind === 'manifest').map((x) => [x.image, { status: x.status, reasons: x.policies.flatMap((p) => p.reasons).join('; '), signers: x.policies.flatMap((p) => p.signers ?? []) }])) };
  };
  const ok = await run('policy.yaml');
  t.equal(ok.byName['ConfigMap prod/keyless']?.status, 'pass', ok.byName['ConfigMap prod/keyless']?.reasons);
  t.match(ok.byName['ConfigMap prod/keyless']?.signers.join(' '), subject);
  t.equal(ok.byName['ConfigMap prod/unlogged']?.status, 'fail');
  t.match(ok.byName['ConfigMap prod/unlogged']?.reasons, /carries a certificate but no transparency-log bundle/);
  const other = await run('other.yaml');
  t.equal(other.byName['ConfigMap prod/keyless']?.status, 'fail', 'another subject pattern');
  t.equal(other.code, 1);
  // Without the stand-in's root the certificate chains to nothing trusted.
  const r = await runCli(dir, ['verify', '-p', 'policy.yaml', 'apps', '-o', 'json', '--no-cache']);
  const untrusted = (JSON.parse(r.stdout) as { results: { kind?: string; image: string; status: string }[] }).results.find((x) => x.image === 'ConfigMap prod/keyless');
  t.equal(untrusted?.status, 'fail');
});
