// --publish-vsa through the real registry: CI verifies once and attaches a signed SLSA VSA to each
// image that passed; a cluster gate then needs only the VSA, checked by the project's own attestation
// verifier under an ordinary Kyverno attestation policy. An image that did not pass never gets one.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { vsaStatement, VSA_PREDICATE_TYPE } from '../../src/publish/vsa.js';
import { policyDigest } from '../../src/policy/files-digest.js';
import { parseSigningKey } from '../../src/publish/signing-key.js';
import { encryptCosignKey, generateKeyPair, signImage, type TestKeyPair } from '../../src/testkit/cosign-signer.js';
import { getManifest, pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { startRegistryProxy } from '../../src/testkit/registry-proxy.js';
import { startFakeAwsKms, startFakeAzureKeyVault, startFakeGcpKms, startFakeVault } from '../../src/testkit/fake-kms.js';
import { loadSigningKey } from '../../src/publish/signing-key.js';
import { verify } from 'node:crypto';
import { runCli, tempRepo } from '../helpers/cli.js';
import { deployment, indent, kyverno } from '../helpers/engine.js';
import { thrown } from '../helpers/errors.js';

let registry: TestRegistry;
const signer = generateKeyPair('ecdsa-p256');
const ci = generateKeyPair('ecdsa-p256'); // the CI's VSA key
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

const pkcs8 = (k: TestKeyPair) => k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** The gate a cluster runs: a PASSED VSA signed by the CI key, nothing else. */
function vsaPolicy(refs: string, key: TestKeyPair, type: 'Cosign' | 'SigstoreBundle' = 'Cosign'): string {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: ci-verified
spec:
  rules:
    - name: vsa
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: [${JSON.stringify(refs)}]
          failureAction: Enforce
          verifyDigest: false
          type: ${type}
          attestations:
            - type: ${VSA_PREDICATE_TYPE}
              attestors:
                - entries:
                    - keys:
                        publicKeys: |-
${indent(key.publicKeyPem, 26)}
                        rekor:
                          ignoreTlog: true
              conditions:
                - all:
                    - key: '{{ verificationResult }}'
                      operator: Equals
                      value: PASSED
`;
}

async function setup(t: Test, name: string) {
  const signed = await pushImage(registry.host, `vsa/${name}`, 'signed', { seed: `${name}-signed` });
  await signImage({ registry: registry.host, repo: `vsa/${name}`, digest: signed, key: signer });
  const unsigned = await pushImage(registry.host, `vsa/${name}`, 'unsigned', { seed: `${name}-unsigned` });
  const apps = deployment('a', `${registry.host}/vsa/${name}:signed`) + '---\n' + deployment('b', `${registry.host}/vsa/${name}:unsigned`);
  const dir = await tempRepo(
    t,
    {
      'p/policy.yaml': kyverno({ refs: [`${registry.host}/*`], keys: [signer] }),
      'gate/policy.yaml': vsaPolicy(`${registry.host}/*`, ci),
      'apps/a.yaml': apps,
      'keys/vsa.key': pkcs8(ci),
    },
    { prefix: 'vi-vsa-' },
  );
  return { dir, signed, unsigned };
}

const verdicts = (stdout: string) => Object.fromEntries((JSON.parse(stdout).results as { image: string; status: string }[]).map((r) => [r.image.replace(/.*:/, ''), r.status]));

t.test('CI publishes VSAs for the images that passed; the cluster gate accepts exactly those', async (t) => {
  const { dir, signed, unsigned } = await setup(t, 'legacy');
  const ciRun = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '--no-cache', '--publish-vsa', '--vsa-key', 'keys/vsa.key']);
  t.equal(ciRun.code, 1, 'the unsigned image still blocks the CI run');
  t.same(verdicts(ciRun.stdout), { signed: 'pass', unsigned: 'fail' });
  t.match(ciRun.stderr, new RegExp(`published VSA for ${registry.host}/vsa/legacy:signed \\(${signed}\\)`));
  t.notMatch(ciRun.stderr, /published VSA for .*:unsigned/);
  t.equal(await getManifest(registry.host, 'vsa/legacy', `${unsigned.replace(':', '-')}.att`), null, 'no attestation at all for the image that failed');

  // The statement, as written to the registry.
  const att = await getManifest(registry.host, 'vsa/legacy', `${signed.replace(':', '-')}.att`);
  const layer = (att!.json['layers'] as { digest: string; mediaType: string; annotations: Record<string, string> }[])[0]!;
  t.equal(layer.mediaType, 'application/vnd.dsse.envelope.v1+json');
  t.equal(layer.annotations['predicateType'], VSA_PREDICATE_TYPE);
  const blob = (await (await fetch(`${registry.url}/v2/vsa/legacy/blobs/${layer.digest}`)).json()) as { payload: string };
  const statement = JSON.parse(Buffer.from(blob.payload, 'base64').toString('utf8'));
  t.equal(statement._type, 'https://in-toto.io/Statement/v1');
  t.same(statement.subject, [{ name: `${registry.host}/vsa/legacy`, digest: { sha256: signed.slice(7) } }]);
  t.equal(statement.predicate.verificationResult, 'PASSED');
  t.equal(statement.predicate.resourceUri, `oci://${registry.host}/vsa/legacy@${signed}`);
  t.match(statement.predicate.verifier.id, /kubectl-verify-images/);
  t.equal(statement.predicate.policy.uri, 'p');
  t.match(statement.predicate.policy.digest.sha256, /^[0-9a-f]{64}$/);
  t.ok(Date.parse(statement.predicate.timeVerified) > Date.now() - 60_000);

  // The cluster's gate: one attestation check per image, with the CI's public key only.
  const gate = await runCli(dir, ['apps', '-p', 'gate', '-o', 'json', '--no-cache']);
  t.same(verdicts(gate.stdout), { signed: 'pass', unsigned: 'fail' }, gate.stderr);

  // A VSA signed by another key does not count.
  const other = generateKeyPair('ecdsa-p256');
  await writeFile(path.join(dir, 'gate/policy.yaml'), vsaPolicy(`${registry.host}/*`, other));
  const wrongKey = await runCli(dir, ['apps', '-p', 'gate', '-o', 'json', '--no-cache']);
  t.same(verdicts(wrongKey.stdout), { signed: 'fail', unsigned: 'fail' });
});

t.test('--vsa-format bundle: a Sigstore bundle referrer a SigstoreBundle gate accepts (type Cosign reads no bundles, as Kyverno)', async (t) => {
  const { dir, signed } = await setup(t, 'bundle');
  const ciRun = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '--no-cache', '--publish-vsa', '--vsa-key', 'keys/vsa.key', '--vsa-format', 'bundle']);
  t.same(verdicts(ciRun.stdout), { signed: 'pass', unsigned: 'fail' }, ciRun.stderr);
  const index = await getManifest(registry.host, 'vsa/bundle', signed.replace(':', '-'));
  const listed = index!.json['manifests'] as { artifactType: string; annotations: Record<string, string> }[];
  t.equal(listed.length, 1, 'recorded in the referrers-tag index');
  t.equal(listed[0]!.artifactType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
  t.equal(listed[0]!.annotations['dev.sigstore.bundle.predicateType'], VSA_PREDICATE_TYPE);
  const cosignGate = await runCli(dir, ['apps', '-p', 'gate', '-o', 'json', '--no-cache']);
  t.same(verdicts(cosignGate.stdout), { signed: 'fail', unsigned: 'fail' }, 'a type Cosign gate does not read the bundle');
  await writeFile(path.join(dir, 'gate/policy.yaml'), vsaPolicy(`${registry.host}/*`, ci, 'SigstoreBundle'));
  const gate = await runCli(dir, ['apps', '-p', 'gate', '-o', 'json', '--no-cache']);
  t.same(verdicts(gate.stdout), { signed: 'pass', unsigned: 'fail' }, gate.stderr);
});

t.test('cosign-encrypted keys with COSIGN_PASSWORD; no key, a wrong password: exit 2 before verifying', async (t) => {
  const { dir, signed } = await setup(t, 'encrypted');
  await writeFile(path.join(dir, 'keys/cosign.key'), await encryptCosignKey(ci.privateKey, 'hunter2-long-password'));
  const env = (extra: NodeJS.ProcessEnv) => ({ XDG_CACHE_HOME: path.join(dir, '.cache'), XDG_CONFIG_HOME: path.join(dir, '.config'), ...extra });

  const noKey = await runCli(dir, ['apps', '-p', 'p', '--publish-vsa']);
  t.equal(noKey.code, 2);
  t.match(noKey.stderr, /--publish-vsa needs --vsa-key/);
  const noPassword = await runCli(dir, ['apps', '-p', 'p', '--publish-vsa', '--vsa-key', 'keys/cosign.key'], { env: env({}) });
  t.equal(noPassword.code, 2);
  t.match(noPassword.stderr, /needs COSIGN_PASSWORD/);
  const wrong = await runCli(dir, ['apps', '-p', 'p', '--publish-vsa', '--vsa-key', 'keys/cosign.key'], { env: env({ COSIGN_PASSWORD: 'not-it-123' }) });
  t.equal(wrong.code, 2);
  t.match(wrong.stderr, /wrong COSIGN_PASSWORD/);
  t.notMatch(wrong.stderr, /not-it-123|hunter2/, 'no password in the output');
  t.equal(await getManifest(registry.host, 'vsa/encrypted', `${signed.replace(':', '-')}.att`), null, 'nothing published by the refused runs');

  const ok = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '--publish-vsa', '--vsa-key', 'keys/cosign.key'], { env: env({ COSIGN_PASSWORD: 'hunter2-long-password' }) });
  t.same(verdicts(ok.stdout), { signed: 'pass', unsigned: 'fail' });
  t.match(ok.stderr, /published VSA for .*:signed/);
  const gate = await runCli(dir, ['apps', '-p', 'gate', '-o', 'json', '--no-cache']);
  t.same(verdicts(gate.stdout), { signed: 'pass', unsigned: 'fail' });
});

t.test('a push the registry refuses is exit 3 with the image named', async (t) => {
  const proxy = await startRegistryProxy(registry.host, { refuseWrites: true });
  t.teardown(() => proxy.stop());
  const digest = await pushImage(registry.host, 'vsa/locked', 'v1', { seed: 'locked' });
  await signImage({ registry: registry.host, repo: 'vsa/locked', digest, key: signer });
  const dir = await tempRepo(t, { 'p/policy.yaml': kyverno({ refs: [`${proxy.host}/*`], keys: [signer] }), 'apps/a.yaml': deployment('a', `${proxy.host}/vsa/locked:v1`), 'keys/vsa.key': pkcs8(ci) }, { prefix: 'vi-vsa-' });
  const r = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '--no-cache', '--publish-vsa', '--vsa-key', 'keys/vsa.key']);
  t.same(verdicts(r.stdout), { v1: 'pass' }, 'the verdict itself is a pass');
  t.equal(r.code, 3, 'but the run says the VSA is missing');
  t.match(r.stderr, new RegExp(`error: cannot publish the VSA for ${proxy.host}/vsa/locked:v1 \\(${digest}\\): .*push denied \\(403\\)`));
});

t.test('the statement is pure: refused for anything but pass; policy digests ignore file order', async (t) => {
  const base = { image: 'r/a:1', normalized: 'r.example/a:1', digest: 'sha256:' + 'a'.repeat(64), policies: [], uses: [] };
  for (const status of ['fail', 'warn', 'error', 'skip', 'unmatched'] as const) {
    t.ok('refused' in vsaStatement({ result: { ...base, status }, policy: { uri: 'p', sha256: 'x' }, version: '0', now: new Date() }), status);
  }
  t.ok('refused' in vsaStatement({ result: { ...base, status: 'pass', digest: undefined }, policy: { uri: 'p', sha256: 'x' }, version: '0', now: new Date() }), 'no digest');
  const a = { file: 'a.yaml', text: 'a' };
  const b = { file: 'b.yaml', text: 'b' };
  t.equal(policyDigest([a, b]), policyDigest([b, a]));
  t.not(policyDigest([a, b]), policyDigest([a, { ...b, text: 'b2' }]));
  t.match((thrown(() => parseSigningKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', undefined, 'k.pem')) as Error).message, /--vsa-key k\.pem: not a private key/);
});

t.test('KMS keys sign VSAs: AWS KMS and Vault transit through the CLI (FAKE KMS), the gate accepts them', async (t) => {
  const aws = await startFakeAwsKms({ keys: { 'alias/vsa': ci.privateKey } });
  t.teardown(() => aws.stop());
  const vault = await startFakeVault({ token: 's.vault-token', keys: { vsa: [ci.privateKey] } });
  t.teardown(() => vault.stop());
  for (const [name, keyRef, env] of [
    ['aws', 'awskms:///alias/vsa', { AWS_ENDPOINT_URL_KMS: aws.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret-value' }],
    ['vault', 'hashivault://vsa', { VAULT_ADDR: vault.url, VAULT_TOKEN: 's.vault-token' }],
  ] as const) {
    const { dir } = await setup(t, `kms-${name}`);
    const ciRun = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '--no-cache', '--publish-vsa', '--vsa-key', keyRef], {
      env: { XDG_CACHE_HOME: path.join(dir, '.cache'), XDG_CONFIG_HOME: path.join(dir, '.config'), ...env },
    });
    t.same(verdicts(ciRun.stdout), { signed: 'pass', unsigned: 'fail' }, `${name}: ${ciRun.stderr}`);
    t.match(ciRun.stderr, /published VSA for .*:signed/, name);
    t.notMatch(ciRun.stderr, /fake-secret-value|s\.vault-token/, `${name}: no credential printed`);
    const gate = await runCli(dir, ['apps', '-p', 'gate', '-o', 'json', '--no-cache']);
    t.same(verdicts(gate.stdout), { signed: 'pass', unsigned: 'fail' }, `${name}: the gate verifies the KMS-signed VSA`);
  }
  t.ok(aws.requests().some((r) => r.headers['x-amz-target'] === 'TrentService.Sign'), 'AWS KMS Sign was called');
  t.ok(vault.requests().some((r) => r.path === '/v1/transit/sign/vsa/sha2-256'), 'Vault transit sign was called');
});

t.test('KMS keys sign: Cloud KMS and Key Vault (FAKE KMS, tokens injected); an RSA key or a refusal is exit 2', async (t) => {
  const gcpName = 'projects/p/locations/global/keyRings/r/cryptoKeys/vsa';
  const gcp = await startFakeGcpKms({ token: 'ya29.fake', versions: { [`${gcpName}/cryptoKeyVersions/1`]: ci.privateKey } });
  t.teardown(() => gcp.stop());
  const azure = await startFakeAzureKeyVault({ token: 'az.fake', keys: { vsa: ci.privateKey } });
  t.teardown(() => azure.stop());
  const data = Buffer.from('DSSEv1 28 application/vnd.in-toto+json 2 {}');
  for (const [spec, opts] of [
    [`gcpkms://${gcpName}`, { env: { CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS: `${gcp.url}/` }, tokens: { gcp: async () => 'ya29.fake' } }],
    ['azurekms://fake.vault.azure.net/vsa', { env: { VERIFY_IMAGES_AZUREKMS_ENDPOINT: azure.url }, tokens: { azure: async () => 'az.fake' } }],
  ] as const) {
    const key = await loadSigningKey(spec, { ...opts, cwd: '.' });
    t.equal(key.publicKeyPem.trim(), ci.publicKeyPem.trim(), `${spec}: the public key`);
    const sig = await key.sign(data);
    t.ok(verify('sha256', data, ci.publicKey, sig), `${spec}: a DER ECDSA signature over SHA-256 of the data`);
  }
  const rsa = generateKeyPair('rsa');
  const rsaKms = await startFakeAwsKms({ keys: { 'alias/rsa': rsa.privateKey } });
  t.teardown(() => rsaKms.stop());
  const env = { AWS_ENDPOINT_URL_KMS: rsaKms.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake' };
  await t.rejects(loadSigningKey('awskms:///alias/rsa', { env, cwd: '.' }), { code: 'CONFIG_ERROR', message: /an RSA key; only ECDSA P-256 KMS keys can sign VSAs here/ });
  await t.rejects(loadSigningKey('awskms:///alias/missing', { env, cwd: '.' }), { code: 'CONFIG_ERROR', message: /--vsa-key awskms:\/\/\/alias\/missing: key not found/ });
});

t.test('--vsa-key k8s://ns/secret: the key cosign generate-key-pair k8s:// writes (FAKE Kubernetes API)', async (t) => {
  const { startFakeKubeApi } = await import('../../src/testkit/fake-kube-api.js');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const kube = await startFakeKubeApi({
    token: 'kube-t0ken',
    objects: [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { namespace: 'ci', name: 'vsa-key' },
        data: { 'cosign.key': b64(await encryptCosignKey(ci.privateKey, 'secret-pass-9')), 'cosign.password': b64('secret-pass-9'), 'cosign.pub': b64(ci.publicKeyPem) },
      },
    ],
  });
  t.teardown(() => kube.stop());
  const { dir } = await setup(t, 'k8s');
  const env = { XDG_CACHE_HOME: path.join(dir, '.cache'), XDG_CONFIG_HOME: path.join(dir, '.config') };
  const ciRun = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '--no-cache', '--publish-vsa', '--vsa-key', 'k8s://ci/vsa-key', '--kubeconfig', kube.kubeconfig], { env });
  t.same(verdicts(ciRun.stdout), { signed: 'pass', unsigned: 'fail' }, ciRun.stderr);
  t.match(ciRun.stderr, /published VSA for .*:signed/);
  t.notMatch(ciRun.stderr, /secret-pass-9/);
  const gate = await runCli(dir, ['apps', '-p', 'gate', '-o', 'json', '--no-cache']);
  t.same(verdicts(gate.stdout), { signed: 'pass', unsigned: 'fail' });
  const missing = await runCli(dir, ['apps', '-p', 'p', '--publish-vsa', '--vsa-key', 'k8s://ci/nope', '--kubeconfig', kube.kubeconfig], { env });
  t.equal(missing.code, 2);
  t.match(missing.stderr, /--vsa-key k8s:\/\/ci\/nope: secret nope not found in namespace ci/);
});
