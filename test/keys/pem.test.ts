import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { derToPem, jwkToPem, pemKeys, vaultKeyToPem } from '../../src/keys/pem.js';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const ed = generateKeyPairSync('ed25519').publicKey;
const pemOf = (k: typeof ec) => k.export({ type: 'spki', format: 'pem' }).toString().trim();

t.test('DER, JWK (EC-HSM, RSA-HSM), raw Ed25519 all become the same SPKI PEM', async (t) => {
  t.equal(derToPem(ec.export({ type: 'spki', format: 'der' }), 'x'), pemOf(ec));
  t.equal(jwkToPem({ ...ec.export({ format: 'jwk' }), kty: 'EC-HSM' }, 'x'), pemOf(ec));
  t.equal(jwkToPem({ ...rsa.export({ format: 'jwk' }), kty: 'RSA-HSM' }, 'x'), pemOf(rsa));
  const raw = Buffer.from(String(ed.export({ format: 'jwk' }).x), 'base64url').toString('base64');
  t.same(vaultKeyToPem(raw, 'x'), [pemOf(ed)]);
  t.same(vaultKeyToPem(pemOf(ec), 'x'), [pemOf(ec)]);
});

t.test('broken material → KEY_NOT_PUBLIC naming where it came from', async (t) => {
  t.throws(() => derToPem(Buffer.from('nope'), 'awskms:///alias/x'), { code: 'KEY_NOT_PUBLIC', message: /^awskms:\/\/\/alias\/x: / });
  t.throws(() => jwkToPem({ kty: 'oct', k: 'AAAA' }, 'azurekms://v/k'), { code: 'KEY_NOT_PUBLIC' });
  t.throws(() => pemKeys('hello', 'k8s://a/b'), { code: 'KEY_NOT_PUBLIC', message: /no PEM public key/ });
  t.throws(() => vaultKeyToPem('AAAA', 'hashivault://k'), { code: 'KEY_NOT_PUBLIC' });
});
