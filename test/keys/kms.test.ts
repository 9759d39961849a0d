// Each KMS resolver against a FAKE of its provider's API (no cloud runs here), plus
// the missing-credentials paths through the real credential chains.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveKeyReference } from '../../src/keys/resolve.js';
import { startFakeAwsKms, startFakeAzureKeyVault, startFakeGcpKms, startFakeVault } from '../../src/testkit/fake-kms.js';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const ec2 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const ed = generateKeyPairSync('ed25519').publicKey;
const pemOf = (k: typeof ec) => k.export({ type: 'spki', format: 'pem' }).toString().trim();
const kms = (uri: string) => ({ type: 'kms' as const, uri });

/** Runs `fn` with process.env replaced (credential chains read process.env), restoring it after. */
async function withProcessEnv<T>(env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const saved = process.env;
  process.env = env;
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

async function emptyHome(t: { teardown: (fn: () => unknown) => void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kvi-keys-home-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('awskms against a fake AWS KMS (official SDK, endpoint from AWS_ENDPOINT_URL_KMS)', async (t) => {
  const arn = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const fake = await startFakeAwsKms({ keys: { 'alias/release': ec, [arn]: rsa }, deny: ['alias/secret'] });
  t.teardown(() => fake.stop());
  const env = { AWS_ENDPOINT_URL_KMS: fake.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret-value' };
  t.same((await resolveKeyReference(kms('awskms:///alias/release'), { env })).map((k) => k.trim()), [pemOf(ec)]);
  const byArn = await resolveKeyReference(kms(`awskms:///${arn}`), { env });
  t.equal(byArn[0]!.trim(), pemOf(rsa));
  const calls = fake.requests();
  t.equal(calls.length, 2);
  t.equal(calls[0]!.headers['x-amz-target'], 'TrentService.GetPublicKey');
  t.match(String(calls[0]!.headers.authorization), /Credential=AKIAFAKE\/\d{8}\/us-east-1\/kms\/aws4_request/, 'SigV4-signed for the env region');
  t.match(String(calls[1]!.headers.authorization), /\/eu-west-1\/kms\//, 'region taken from the ARN');
  t.same(JSON.parse(calls[0]!.body), { KeyId: 'alias/release' });

  await t.rejects(resolveKeyReference(kms('awskms:///alias/missing'), { env }), { code: 'KEY_NOT_FOUND', message: /alias\/missing: key not found/ });
  const denied = await resolveKeyReference(kms('awskms:///alias/secret'), { env }).catch((e) => e);
  t.equal(denied.code, 'KEY_ACCESS_DENIED');
  t.notMatch(denied.message, /fake-secret-value/, 'the secret key is never in the message');
  await t.rejects(resolveKeyReference(kms('awskms:///alias/release'), { env: { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' } }), {
    code: 'KEY_NO_CREDENTIALS',
    message: /no AWS region/,
  });
});

t.test('awskms without credentials → KEY_NO_CREDENTIALS from the SDK chain', async (t) => {
  const home = await emptyHome(t);
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
    AWS_CONFIG_FILE: path.join(home, 'none'),
    AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9',
  };
  const err = await withProcessEnv(env, () => resolveKeyReference(kms('awskms:///alias/release'), { env }).catch((e) => e));
  t.equal(err.code, 'KEY_NO_CREDENTIALS');
  t.match(err.message, /^awskms:\/\/\/alias\/release: no AWS credentials/);
});

t.test('gcpkms against a fake Cloud KMS (REST), explicit and newest enabled version', async (t) => {
  const key = 'projects/p/locations/global/keyRings/r/cryptoKeys/k';
  const fake = await startFakeGcpKms({
    token: 'ya29.fake',
    versions: { [`${key}/cryptoKeyVersions/1`]: ec, [`${key}/cryptoKeyVersions/2`]: ec2, [`${key}/cryptoKeyVersions/3`]: rsa },
    disabled: [`${key}/cryptoKeyVersions/3`],
  });
  t.teardown(() => fake.stop());
  const opts = { env: { CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS: fake.url + '/' }, tokens: { gcp: async () => 'ya29.fake' } };
  t.same(await resolveKeyReference(kms(`gcpkms://${key}/cryptoKeyVersions/1`), opts), [pemOf(ec)]);
  t.same(await resolveKeyReference(kms(`gcpkms://${key}`), opts), [pemOf(ec2)], 'newest ENABLED version (3 is disabled)');
  t.match(fake.requests().map((r) => r.path), [/cryptoKeyVersions\/1\/publicKey$/, /cryptoKeyVersions\?filter=state%3DENABLED$/, /cryptoKeyVersions\/2\/publicKey$/]);
  await t.rejects(resolveKeyReference(kms(`gcpkms://${key}/cryptoKeyVersions/9`), opts), { code: 'KEY_NOT_FOUND' });
  const bad = await resolveKeyReference(kms(`gcpkms://${key}/cryptoKeyVersions/1`), { ...opts, tokens: { gcp: async () => 'wrong-token' } }).catch((e) => e);
  t.equal(bad.code, 'KEY_ACCESS_DENIED');
  t.notMatch(bad.message, /wrong-token/);
});

t.test('gcpkms without credentials → KEY_NO_CREDENTIALS from Application Default Credentials', async (t) => {
  const home = await emptyHome(t);
  const env = { PATH: process.env.PATH, HOME: home, METADATA_SERVER_DETECTION: 'none', CLOUDSDK_CONFIG: path.join(home, 'gcloud') };
  const err = await withProcessEnv(env, () => resolveKeyReference(kms('gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1'), { env }).catch((e) => e));
  t.equal(err.code, 'KEY_NO_CREDENTIALS');
  t.match(err.message, /no Google credentials/);
});

t.test('azurekms against a fake Key Vault (REST, JWK → PEM)', async (t) => {
  const fake = await startFakeAzureKeyVault({ token: 'az-fake', keys: { signer: ec, rsakey: rsa } });
  t.teardown(() => fake.stop());
  const opts = { env: { VERIFY_IMAGES_AZUREKMS_ENDPOINT: fake.url }, tokens: { azure: async () => 'az-fake' } };
  t.same(await resolveKeyReference(kms('azurekms://myvault.vault.azure.net/signer'), opts), [pemOf(ec)]);
  t.same(await resolveKeyReference(kms('azurekms://myvault/rsakey/0123abcd'), opts), [pemOf(rsa)]);
  t.match(fake.requests().map((r) => r.path), ['/keys/signer?api-version=7.4', '/keys/rsakey/0123abcd?api-version=7.4']);
  await t.rejects(resolveKeyReference(kms('azurekms://myvault/nope'), opts), { code: 'KEY_NOT_FOUND' });
  await t.rejects(resolveKeyReference(kms('azurekms://myvault/signer'), { ...opts, tokens: { azure: async () => 'other' } }), { code: 'KEY_ACCESS_DENIED' });
});

t.test('azurekms without credentials → KEY_NO_CREDENTIALS from DefaultAzureCredential', async (t) => {
  const home = await emptyHome(t);
  // The chain as DefaultAzureCredential builds it, narrowed by its documented AZURE_TOKEN_CREDENTIALS
  // to the environment credential: the managed-identity probe would wait ~20 s for an IMDS that is not here.
  const env = { PATH: home, HOME: home, AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' };
  const err = await withProcessEnv(env, () => resolveKeyReference(kms('azurekms://myvault/signer'), { env }).catch((e) => e));
  t.equal(err.code, 'KEY_NO_CREDENTIALS');
  t.match(err.message, /no Azure credentials/);
});

t.test('hashivault against a fake Vault transit engine (latest version; Ed25519 raw key)', async (t) => {
  const fake = await startFakeVault({ token: 's.fake', keys: { release: [ec, ec2], edkey: [ed] } });
  t.teardown(() => fake.stop());
  const env = { VAULT_ADDR: fake.url, VAULT_TOKEN: 's.fake' };
  t.same(await resolveKeyReference(kms('hashivault://release'), { env }), [pemOf(ec2)], 'latest_version wins');
  t.equal((await resolveKeyReference(kms('hashivault://edkey'), { env }))[0]!.trim(), pemOf(ed));
  t.equal(fake.requests()[0]!.path, '/v1/transit/keys/release');
  await t.rejects(resolveKeyReference(kms('hashivault://gone'), { env }), { code: 'KEY_NOT_FOUND' });
  const denied = await resolveKeyReference(kms('hashivault://release'), { env: { ...env, VAULT_TOKEN: 's.wrong' } }).catch((e) => e);
  t.equal(denied.code, 'KEY_ACCESS_DENIED');
  t.notMatch(denied.message, /s\.wrong/);
});

t.test('hashivault: custom transit mount, missing address or token', async (t) => {
  const fake = await startFakeVault({ token: 's.fake', mount: 'signing', keys: { release: [ec] } });
  t.teardown(() => fake.stop());
  const home = await emptyHome(t);
  t.same(await resolveKeyReference(kms('hashivault://release'), { env: { VAULT_ADDR: fake.url, VAULT_TOKEN: 's.fake', TRANSIT_SECRET_ENGINE_PATH: 'signing' } }), [pemOf(ec)]);
  await t.rejects(resolveKeyReference(kms('hashivault://release'), { env: { HOME: home } }), { code: 'KEY_NO_CREDENTIALS', message: /VAULT_ADDR is not set/ });
  await t.rejects(resolveKeyReference(kms('hashivault://release'), { env: { HOME: home, VAULT_ADDR: fake.url } }), { code: 'KEY_NO_CREDENTIALS', message: /no Vault token/ });
});
