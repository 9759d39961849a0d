import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { describeKey, loadPublicKey, parsePublicKeys, splitPem } from '../../src/verify/keys.js';

t.test('PEM keys as policies write them', async (t) => {
  const a = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const b = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  t.equal(splitPem(`junk\n${a}\nmore junk\n${b}`).length, 2);
  t.same(parsePublicKeys(`${a}\n${b}`).length, 2);
  t.throws(() => parsePublicKeys('no keys here'));
  t.throws(() => parsePublicKeys('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'));
  t.match(describeKey(loadPublicKey(a)), /^ECDSA prime256v1 key sha256:[0-9a-f]{16}$/);
  t.match(describeKey(loadPublicKey(b)), /^RSA-2048 key sha256:/);
});
