import { X509Certificate, createHash } from 'node:crypto';
import t from 'tap';
import { checkRekorBody } from '../../src/verify/rekor-body.js';
import { verifyRawSignature } from '../../src/verify/raw-signature.js';
import { SKIP_FIXTURES, haveFixtures, hashedRekordBody, readFixture, signedLayer } from './fixtures/helpers.js';

t.test('hashedrekord with a public key', async (t) => {
  const s = signedLayer();
  const expect = { signature: s.signature, key: s.pair.publicKey, payload: s.payload };
  t.equal(checkRekorBody(hashedRekordBody(s.payload, s.signature, s.pem), expect), undefined);
  t.type(checkRekorBody(hashedRekordBody(s.payload, s.signature, signedLayer().pem), expect), 'string', 'another key');
  t.type(checkRekorBody(hashedRekordBody(s.payload, Buffer.from('other'), s.pem), expect), 'string', 'another signature');
  t.type(checkRekorBody(hashedRekordBody(Buffer.from('other'), s.signature, s.pem), expect), 'string', 'another payload');
  const sha512 = hashedRekordBody(s.payload, s.signature, s.pem);
  sha512.spec.data.hash.algorithm = 'sha512';
  t.type(checkRekorBody(sha512, expect), 'string', 'non-sha256 hash');
  t.type(checkRekorBody({ ...hashedRekordBody(s.payload, s.signature, s.pem), kind: 'intoto' }, expect), 'string', 'other kind');
  for (const junk of [null, 'x', [], { kind: 'hashedrekord' }, { kind: 'hashedrekord', spec: { signature: { content: 5 } } }]) {
    t.type(checkRekorBody(junk, expect), 'string', `junk ${JSON.stringify(junk)}`);
  }
});

t.test('older rekord kind, hash or inline content', async (t) => {
  const s = signedLayer();
  const expect = { signature: s.signature, key: s.pair.publicKey, payload: s.payload };
  const withHash = { ...hashedRekordBody(s.payload, s.signature, s.pem), kind: 'rekord' };
  t.equal(checkRekorBody(withHash, expect), undefined);
  const inline: { spec: { data: Record<string, unknown> } } = structuredClone(withHash);
  inline.spec.data = { content: s.payload.toString('base64') };
  t.equal(checkRekorBody(inline, expect), undefined);
  inline.spec.data = { content: Buffer.from('other').toString('base64') };
  t.type(checkRekorBody(inline, expect), 'string');
});

t.test('real body carrying a Fulcio certificate', { skip: haveFixtures ? false : SKIP_FIXTURES }, async (t) => {
  const set = JSON.parse(readFixture('rekor-set'));
  const body = JSON.parse(Buffer.from(set.Payload.body, 'base64').toString());
  const payload = Buffer.from(readFixture('rekor-payload'));
  const signature = Buffer.from(readFixture('rekor-sig').trim(), 'base64');
  const cert = new X509Certificate(Buffer.from(body.spec.signature.publicKey.content, 'base64'));
  t.ok(verifyRawSignature(cert.publicKey, payload, signature, 'sha256'), 'the vector signature verifies with the logged cert');
  t.equal(body.spec.data.hash.value, createHash('sha256').update(payload).digest('hex'));
  t.equal(checkRekorBody(body, { signature, key: cert.publicKey, payload }), undefined);
  t.type(checkRekorBody(body, { signature, key: signedLayer().pair.publicKey, payload }), 'string');
});
