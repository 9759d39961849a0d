import t from 'tap';
import { verifyRekorSet } from '../../src/verify/rekor-set.js';
import { loadTrustMaterial, tlogKeysFromPem } from '../../src/verify/trusted-root.js';
import { SKIP_FIXTURES, fakeRekor, haveFixtures, readFixture } from './fixtures/helpers.js';

const body = { apiVersion: '0.0.1', kind: 'hashedrekord', spec: {} };

t.test('real SET vectors', { skip: haveFixtures ? false : SKIP_FIXTURES }, async (t) => {
  const set = readFixture('rekor-set');
  const seed = verifyRekorSet(set, loadTrustMaterial());
  t.equal(seed.ok, true, 'isolated SET vector verifies with the seed trusted root');
  t.type(seed.integratedTime, 'number');
  t.match(seed.body, { kind: 'hashedrekord' });
  t.equal(verifyRekorSet(set, { tlogs: [] }, tlogKeysFromPem([readFixture('rekor.pub')])).ok, true, 'and with rekor.pub');
  const wrong = verifyRekorSet(set, loadTrustMaterial(), tlogKeysFromPem([readFixture('cosign.pub')]));
  t.equal(wrong.ok, false, 'explicit keys replace the trusted root');

  // Flip one character of the body: the SET no longer covers it.
  const doc = JSON.parse(set);
  const b: string = doc.Payload.body;
  doc.Payload.body = b.slice(0, 40) + (b[40] === 'A' ? 'B' : 'A') + b.slice(41);
  t.equal(verifyRekorSet(JSON.stringify(doc), loadTrustMaterial()).ok, false, 'tampered body');
  doc.Payload.body = b;
  doc.Payload.integratedTime += 1;
  t.equal(verifyRekorSet(JSON.stringify(doc), loadTrustMaterial()).ok, false, 'tampered time');
});

t.test('fake Rekor: valid, wrong key, validity window, future, malformed', async (t) => {
  const rekor = fakeRekor();
  const bundle = rekor.bundle(body, 1_700_000_000, 7);
  const ok = verifyRekorSet(bundle, { tlogs: [rekor.tlog] });
  t.same({ ok: ok.ok, integratedTime: ok.integratedTime, logIndex: ok.logIndex }, { ok: true, integratedTime: 1_700_000_000, logIndex: 7 });
  t.same(ok.body, body);

  t.equal(verifyRekorSet(bundle, { tlogs: [fakeRekor().tlog] }).ok, false, 'unknown log');
  // Same logID, other key: the signature check itself must fail.
  t.equal(verifyRekorSet(bundle, { tlogs: [{ ...fakeRekor().tlog, logId: rekor.tlog.logId }] }).ok, false, 'wrong key under the right logID');

  const expired = { ...rekor.tlog, validTo: new Date('2023-01-01T00:00:00Z') };
  t.equal(verifyRekorSet(bundle, { tlogs: [expired] }).ok, false, 'key retired before the entry');
  const early = { ...rekor.tlog, validFrom: new Date('2024-01-01T00:00:00Z') };
  t.equal(verifyRekorSet(bundle, { tlogs: [early] }).ok, false, 'key not yet valid');

  t.equal(verifyRekorSet(bundle, { tlogs: [rekor.tlog] }, [], new Date('2020-01-01T00:00:00Z')).ok, false, 'entry from the future');

  for (const bad of ['', 'not json', '{}', '{"SignedEntryTimestamp":"x","Payload":{"body":"e30=","integratedTime":"1","logIndex":1,"logID":"00"}}']) {
    const r = verifyRekorSet(bad, { tlogs: [rekor.tlog] });
    t.equal(r.ok, false, `malformed: ${bad.slice(0, 20)}`);
    t.type(r.reason, 'string');
  }
});
