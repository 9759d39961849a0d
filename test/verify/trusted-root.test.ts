import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { embeddedTrustedRoot, loadTrustMaterial, logIdOf, tlogKeysFromPem } from '../../src/verify/trusted-root.js';
import { SKIP_FIXTURES, fixturesDir, haveFixtures, readFixture } from './fixtures/helpers.js';

const PUBLIC_GOOD_REKOR = 'c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d';

t.test('embedded public-good root, offline and memoized', async (t) => {
  const trust = loadTrustMaterial();
  t.equal(loadTrustMaterial(), trust, 'memoized');
  const rekor = trust.tlogs.find((l) => l.logId === PUBLIC_GOOD_REKOR);
  t.ok(rekor, 'rekor.sigstore.dev is trusted');
  t.equal(rekor!.baseUrl, 'https://rekor.sigstore.dev');
  t.equal(rekor!.validFrom?.toISOString(), '2021-01-12T11:53:27.000Z');
  t.equal(logIdOf(rekor!.publicKey), PUBLIC_GOOD_REKOR, 'logID = sha256 of the DER SPKI');
  t.match(JSON.parse(embeddedTrustedRoot()), { mediaType: /trustedroot/ });
});

t.test('custom trusted root JSON and file', { skip: haveFixtures ? false : SKIP_FIXTURES }, async (t) => {
  const file = path.join(fixturesDir, 'interop/cosign/trusted_root_pgi.json');
  const fromJson = loadTrustMaterial({ trustedRootJson: readFileSync(file, 'utf8') });
  t.ok(fromJson.tlogs.some((l) => l.logId === PUBLIC_GOOD_REKOR));
  t.not(fromJson, loadTrustMaterial(), 'not the memoized default');
  t.same(loadTrustMaterial({ trustedRootFile: file }).tlogs.map((l) => l.logId), fromJson.tlogs.map((l) => l.logId));
});

t.test('Rekor keys from PEM', { skip: haveFixtures ? false : SKIP_FIXTURES }, async (t) => {
  const keys = tlogKeysFromPem([readFixture('rekor.pub') + readFixture('cosign.pub')]);
  t.equal(keys.length, 2, 'every block of a multi-key PEM');
  t.equal(keys[0]!.logId, PUBLIC_GOOD_REKOR);
  t.throws(() => tlogKeysFromPem(['not a key']));
});

t.test('broken trusted roots are TrustRootError', async (t) => {
  for (const json of ['nope', '{"tlogs":{}}', '{"tlogs":[{}]}', '{"tlogs":[{"publicKey":{"rawBytes":"AAAA"}}]}',
    '{"tlogs":[{"publicKey":{"rawBytes":"MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=","validFor":{"start":"yesterday"}}}]}']) {
    t.throws(() => loadTrustMaterial({ trustedRootJson: json }), { code: 'TRUST_ROOT_INVALID' }, json);
  }
  t.throws(() => loadTrustMaterial({ trustedRootFile: path.join('does', 'not', 'exist.json') }), { code: 'TRUST_ROOT_INVALID' });
  t.same(loadTrustMaterial({ trustedRootJson: '{"tlogs":[{"publicKey":{}}]}' }).tlogs, [], 'keyless entries are skipped');
  const ed = loadTrustMaterial({ trustedRootJson: '{"tlogs":[{"publicKey":{"rawBytes":"MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244="}}]}' });
  t.equal(ed.tlogs[0]!.logId, logIdOf(ed.tlogs[0]!.publicKey), 'logID derived when absent');
});
