import t from 'tap';
import { parseKmsUri } from '../../src/keys/kms-uri.js';

t.test('awskms: key id, alias, ARN (region from it), endpoint form', async (t) => {
  t.same(parseKmsUri('awskms:///1234abcd-12ab-34cd-56ef-1234567890ab'), { provider: 'aws', uri: 'awskms:///1234abcd-12ab-34cd-56ef-1234567890ab', keyId: '1234abcd-12ab-34cd-56ef-1234567890ab' });
  t.match(parseKmsUri('awskms:///alias/release-signing'), { provider: 'aws', keyId: 'alias/release-signing' });
  t.match(parseKmsUri('awskms:///arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'), {
    keyId: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    region: 'eu-west-1',
  });
  t.match(parseKmsUri('awskms://localhost:4566/alias/x'), { endpoint: 'localhost:4566', keyId: 'alias/x' });
  t.throws(() => parseKmsUri('awskms:///not a key'), { code: 'KEY_BAD_URI' });
  t.throws(() => parseKmsUri('awskms://alias'), { code: 'KEY_BAD_URI' });
});

t.test('gcpkms: with and without a version', async (t) => {
  const key = 'projects/p/locations/global/keyRings/r/cryptoKeys/k';
  t.same(parseKmsUri(`gcpkms://${key}/cryptoKeyVersions/3`), { provider: 'gcp', uri: `gcpkms://${key}/cryptoKeyVersions/3`, keyName: key, version: '3' });
  t.same(parseKmsUri(`gcpkms://${key}`), { provider: 'gcp', uri: `gcpkms://${key}`, keyName: key });
  t.throws(() => parseKmsUri('gcpkms://projects/p/keyRings/r'), { code: 'KEY_BAD_URI' });
});

t.test('azurekms: vault host or bare vault name, optional version', async (t) => {
  t.same(parseKmsUri('azurekms://myvault.vault.azure.net/signer'), { provider: 'azure', uri: 'azurekms://myvault.vault.azure.net/signer', vaultUrl: 'https://myvault.vault.azure.net', keyName: 'signer' });
  t.match(parseKmsUri('azurekms://myvault/signer/abc123'), { vaultUrl: 'https://myvault.vault.azure.net', keyName: 'signer', version: 'abc123' });
  t.throws(() => parseKmsUri('azurekms://myvault'), { code: 'KEY_BAD_URI' });
});

t.test('hashivault and unknown schemes', async (t) => {
  t.same(parseKmsUri('hashivault://release'), { provider: 'vault', uri: 'hashivault://release', keyName: 'release' });
  t.throws(() => parseKmsUri('hashivault://a/b'), { code: 'KEY_BAD_URI' });
  t.throws(() => parseKmsUri('pkcs11://token'), { code: 'KEY_BAD_URI', message: /unknown scheme pkcs11/ });
  t.throws(() => parseKmsUri('cosign.pub'), { code: 'KEY_BAD_URI' });
});
