import { constants, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { ed25519ph } from '@noble/curves/ed25519.js';
import t from 'tap';
import { verifyRawSignature } from '../../src/verify/raw-signature.js';


const data = Buffer.from('{"critical":{},"optional":null}');

t.test("ECDSA: DER signatures on P-256/384/521: the policy's hash only, never the curve's (as Kyverno and policy-controller)", async (t) => {
  for (const [curve, natural] of [
    ['P-256', 'sha256'],
    ['P-384', 'sha384'],
    ['P-521', 'sha512'],
  ] as const) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const byPolicyHash = sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
    const byNatural = sign(natural, data, { key: privateKey, dsaEncoding: 'der' });
    t.ok(verifyRawSignature(publicKey, data, byPolicyHash, 'sha256'), `${curve} with sha256`);
    if (natural !== 'sha256') {
      t.notOk(verifyRawSignature(publicKey, data, byNatural, 'sha256'), `${curve} signed over ${natural}: refused under a sha256 policy`);
      t.ok(verifyRawSignature(publicKey, data, byNatural, natural), `${curve} signed over ${natural}: accepted when the policy says ${natural}`);
    }
    t.notOk(verifyRawSignature(publicKey, Buffer.from('other'), byPolicyHash, 'sha256'), `${curve} other data`);
    const p1363 = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    t.notOk(verifyRawSignature(publicKey, data, p1363, 'sha256'), `${curve} rejects raw r||s encoding`);
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const sha512sig = sign('sha512', data, privateKey);
  t.ok(verifyRawSignature(publicKey, data, sha512sig, 'sha512'), 'P-256 with the policy hash sha512');
  t.notOk(verifyRawSignature(publicKey, data, sha512sig, 'sha256'), 'P-256 gets no fallback hash');
});

t.test('RSA: PKCS#1 v1.5 and PSS (salt = hash length, and auto)', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  t.ok(verifyRawSignature(publicKey, data, sign('sha256', data, privateKey), 'sha256'), 'PKCS#1 v1.5');
  t.ok(verifyRawSignature(publicKey, data, sign('sha384', data, privateKey), 'sha384'), 'PKCS#1 v1.5 sha384');
  t.notOk(verifyRawSignature(publicKey, data, sign('sha384', data, privateKey), 'sha256'), 'wrong hash');
  const pss = (saltLength: number) =>
    sign('sha256', data, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength });
  t.ok(verifyRawSignature(publicKey, data, pss(32), 'sha256'), 'PSS salt = hash length');
  t.ok(verifyRawSignature(publicKey, data, pss(constants.RSA_PSS_SALTLEN_MAX_SIGN), 'sha256'), 'PSS max salt (auto)');
  const tampered = Buffer.from(pss(32));
  tampered[10] = tampered[10]! ^ 1;
  t.notOk(verifyRawSignature(publicKey, data, tampered, 'sha256'), 'tampered PSS');
});

t.test('Ed25519: pure verifies; Ed25519ph does not, as `cosign verify --key` (3.1.4, 2.6.5) refuses it (test/reference/cosign.test.ts)', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  t.ok(verifyRawSignature(publicKey, data, sign(null, data, privateKey), 'sha256'), 'pure Ed25519');

  const secret = ed25519ph.utils.randomSecretKey();
  const raw = ed25519ph.getPublicKey(secret);
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
  const phKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const phSig = ed25519ph.sign(data, secret);
  t.notOk(verifyRawSignature(phKey, data, phSig, 'sha256'), 'Ed25519ph (what cosign ≥ 2.6 signs with, and refuses to verify)');
  t.notOk(verifyRawSignature(phKey, Buffer.from('other'), phSig, 'sha256'), 'Ed25519ph over other data');
  t.notOk(verifyRawSignature(publicKey, data, phSig, 'sha256'), 'Ed25519ph signature, other key');
});

t.test('garbage never throws', async (t) => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  t.notOk(verifyRawSignature(publicKey, data, Buffer.alloc(0), 'sha256'));
  t.notOk(verifyRawSignature(publicKey, data, Buffer.from('not a signature'), 'sha256'));
  const ed = generateKeyPairSync('ed25519').publicKey;
  t.notOk(verifyRawSignature(ed, data, Buffer.alloc(3), 'sha256'));
});
