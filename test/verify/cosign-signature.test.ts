import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { verifyCosignSignatures } from '../../src/verify/cosign-signature.js';
import { loadTrustMaterial } from '../../src/verify/trusted-root.js';
import type { SignatureLayer } from '../../src/verify/types.js';
import {
  DIGEST,
  SKIP_FIXTURES,
  fakeRekor,
  hashedRekordBody,
  haveFixtures,
  layerFromDirSignature,
  layerOf,
  loadDirImage,
  payloadFor,
  readFixture,
  requirement,
  signedLayer,
  cimageDir,
} from './fixtures/helpers.js';


const noTrust = { tlogs: [] };
const BUNDLE = 'dev.sigstore.cosign/bundle';

t.test('containers/image vectors', { skip: haveFixtures ? false : SKIP_FIXTURES }, async (t) => {
  const cosignPub = readFixture('cosign.pub');
  const cosign2Pub = readFixture('cosign2.pub');
  const rekorPub = readFixture('rekor.pub');
  const run = (name: string, over: Parameters<typeof requirement>[0], layers?: SignatureLayer[]) => {
    const img = loadDirImage(name);
    return verifyCosignSignatures({ digest: img.digest, layers: layers ?? img.layers, requirement: requirement(over), trust: loadTrustMaterial() });
  };

  t.test('dir-img-cosign-valid passes with cosign.pub', async (t) => {
    const r = run('dir-img-cosign-valid', { keys: [cosignPub] });
    t.equal(r.ok, true);
    t.match(r.signer, /^ECDSA prime256v1 key sha256:[0-9a-f]{16}$/);
    t.equal(run('dir-img-cosign-valid', { keys: [cosign2Pub, cosignPub] }).ok, true, 'second of two keys');
  });

  t.test('dir-img-cosign-valid-2: both signatures are by cosign.pub', async (t) => {
    const img = loadDirImage('dir-img-cosign-valid-2');
    t.equal(img.layers.length, 2);
    for (const layer of img.layers) t.equal(run('dir-img-cosign-valid-2', { keys: [cosignPub] }, [layer]).ok, true);
    const other = run('dir-img-cosign-valid-2', { keys: [cosign2Pub] });
    t.equal(other.ok, false, 'cosign2.pub signed neither');
    t.equal(other.code, 'SIGNATURE_MISMATCH');
    t.equal(other.reasons.length, 1, 'identical failures are grouped into one line');
  });

  t.test('dir-img-cosign-valid-with-tag (skopeo-written, optional annotations)', async (t) => {
    t.equal(run('dir-img-cosign-valid-with-tag', { keys: [cosignPub] }).ok, true);
    t.equal(run('dir-img-cosign-valid-with-tag', { keys: [cosignPub], annotations: { creator: 'containers/image 5.21.2-dev' } }).ok, true);
    const r = run('dir-img-cosign-valid-with-tag', { keys: [cosignPub], annotations: { env: 'prod' } });
    t.equal(r.ok, false);
    t.equal(r.code, 'ANNOTATIONS_MISSING');
    // skopeo writes the timestamp as a number: a string in the policy does not equal it, as in cosign.
    t.equal(run('dir-img-cosign-valid-with-tag', { keys: [cosignPub], annotations: { timestamp: '1657296609' } }).ok, false);
  });

  t.test('dir-img-cosign-key-rekor-valid with cosign2.pub', async (t) => {
    t.equal(run('dir-img-cosign-key-rekor-valid', { keys: [cosign2Pub] }).ok, true, "tlog 'ignore'");
    const seed = run('dir-img-cosign-key-rekor-valid', { keys: [cosign2Pub], tlog: 'require' });
    t.equal(seed.ok, true, "tlog 'require' with the public-good Rekor key from the seed root");
    t.match(seed.reasons[0], /logged in Rekor/);
    t.equal(run('dir-img-cosign-key-rekor-valid', { keys: [cosign2Pub], tlog: 'require', rekorPublicKeys: [rekorPub] }).ok, true, 'explicit rekor.pub');
    const wrongRekor = run('dir-img-cosign-key-rekor-valid', { keys: [cosign2Pub], tlog: 'require', rekorPublicKeys: [cosignPub] });
    t.equal(wrongRekor.ok, false, 'a policy naming another Rekor key does not fall back to public-good');
    t.equal(wrongRekor.code, 'TLOG_INVALID');
    t.equal(run('dir-img-cosign-key-rekor-valid', { keys: [cosignPub], tlog: 'require' }).code, 'SIGNATURE_MISMATCH', 'cosign.pub did not sign it');
  });

  t.test('a valid SET for another key cannot vouch for a different signature', async (t) => {
    const keyRekor = loadDirImage('dir-img-cosign-key-rekor-valid');
    const valid = loadDirImage('dir-img-cosign-valid');
    const layer = { ...valid.layers[0]!, annotations: { ...valid.layers[0]!.annotations, [BUNDLE]: keyRekor.layers[0]!.annotations[BUNDLE]! } };
    const r = verifyCosignSignatures({ digest: valid.digest, layers: [layer], requirement: requirement({ keys: [cosignPub, cosign2Pub], tlog: 'require' }), trust: loadTrustMaterial() });
    t.equal(r.ok, false);
    t.equal(r.code, 'TLOG_INVALID');
  });

  t.test('missing bundle with tlog require', async (t) => {
    const img = loadDirImage('dir-img-cosign-key-rekor-valid');
    const { [BUNDLE]: _, ...rest } = img.layers[0]!.annotations;
    const r = run('dir-img-cosign-key-rekor-valid', { keys: [cosign2Pub], tlog: 'require' }, [{ ...img.layers[0]!, annotations: rest }]);
    t.equal(r.ok, false);
    t.equal(r.code, 'TLOG_MISSING');
    const bad = run('dir-img-cosign-key-rekor-valid', { keys: [cosign2Pub], tlog: 'require' }, [
      { ...img.layers[0]!, annotations: { ...rest, [BUNDLE]: 'this is not a valid SET' } },
    ]);
    t.equal(bad.code, 'TLOG_INVALID');
  });

  t.test('dir-img-cosign-mixed: an unknown-key layer then a valid one passes (one layer is enough)', async (t) => {
    const r = run('dir-img-cosign-mixed', { keys: [cosignPub] });
    t.equal(r.ok, true);
    t.match(r.reasons[0], /signature layer 2/);
    const img = loadDirImage('dir-img-cosign-mixed');
    const first = run('dir-img-cosign-mixed', { keys: [cosignPub] }, [img.layers[0]!]);
    t.equal(first.ok, false, 'its first layer alone fails');
    t.equal(first.code, 'SIGNATURE_MISMATCH');
  });

  t.test('unknown-cosign-key.signature fails: untrusted key', async (t) => {
    const layer = layerFromDirSignature(readFileSync(path.join(cimageDir, 'unknown-cosign-key.signature')));
    const img = loadDirImage('dir-img-cosign-valid');
    const r = verifyCosignSignatures({ digest: img.digest, layers: [layer], requirement: requirement({ keys: [cosignPub, cosign2Pub] }), trust: noTrust });
    t.equal(r.ok, false);
    t.equal(r.code, 'SIGNATURE_MISMATCH');
  });

  for (const name of ['dir-img-cosign-manifest-digest-error', 'dir-img-cosign-modified-manifest']) {
    t.test(`${name}: valid signature, but for another manifest`, async (t) => {
      const r = run(name, { keys: [cosignPub] });
      t.equal(r.ok, false);
      t.equal(r.code, 'DIGEST_MISMATCH');
      t.match(r.reasons[0], /sha256:634a8f35b5f1…/);
    });
  }

  t.test('dir-img-cosign-other-attachment: not a signature', async (t) => {
    const r = run('dir-img-cosign-other-attachment', { keys: [cosignPub] });
    t.equal(r.ok, false);
    t.equal(r.code, 'NO_SIGNATURES');
  });

  t.test('tampered signature bytes / payload', async (t) => {
    const img = loadDirImage('dir-img-cosign-valid');
    const l = img.layers[0]!;
    const sig = Buffer.from(l.annotations['dev.cosignproject.cosign/signature']!, 'base64');
    sig[sig.length - 3] = sig[sig.length - 3]! ^ 0x01;
    const tampered = { ...l, annotations: { 'dev.cosignproject.cosign/signature': sig.toString('base64') } };
    t.equal(run('dir-img-cosign-valid', { keys: [cosignPub] }, [tampered]).code, 'SIGNATURE_MISMATCH');
    const payload = Buffer.from(l.payload);
    payload[payload.length - 2] = 0x20;
    const tp = layerOf(payload, Buffer.from(l.annotations['dev.cosignproject.cosign/signature']!, 'base64'));
    t.equal(run('dir-img-cosign-valid', { keys: [cosignPub] }, [tp]).code, 'SIGNATURE_MISMATCH');
    const wrapped = { ...l, annotations: { 'dev.cosignproject.cosign/signature': l.annotations['dev.cosignproject.cosign/signature']!.replace(/(.{20})/g, '$1\n') } };
    t.equal(run('dir-img-cosign-valid', { keys: [cosignPub] }, [wrapped]).ok, true, 'line-wrapped base64 is accepted');
  });
});

t.test('synthetic signatures', async (t) => {
  t.test('pass, wrong digest, untrusted key', async (t) => {
    const s = signedLayer();
    const ok = verifyCosignSignatures({ digest: DIGEST, layers: [s.layer], requirement: requirement({ keys: [s.pem] }), trust: noTrust });
    t.equal(ok.ok, true);
    const other = `sha256:${'cd'.repeat(32)}`;
    const wrong = verifyCosignSignatures({ digest: other, layers: [s.layer], requirement: requirement({ keys: [s.pem] }), trust: noTrust });
    t.equal(wrong.code, 'DIGEST_MISMATCH');
    const stranger = signedLayer().pem;
    t.equal(verifyCosignSignatures({ digest: DIGEST, layers: [s.layer], requirement: requirement({ keys: [stranger] }), trust: noTrust }).code, 'SIGNATURE_MISMATCH');
  });

  t.test('every key algorithm verifies through the leaf', async (t) => {
    const payload = payloadFor(DIGEST);
    const cases = [
      ['ec P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'sha384'],
      ['rsa', generateKeyPairSync('rsa', { modulusLength: 2048 }), 'sha256'],
      ['ed25519', generateKeyPairSync('ed25519'), null],
    ] as const;
    for (const [name, pair, hash] of cases) {
      const layer = layerOf(payload, sign(hash, payload, pair.privateKey));
      const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      t.equal(verifyCosignSignatures({ digest: DIGEST, layers: [layer], requirement: requirement({ keys: [pem], ...(hash === 'sha384' && { hashAlgorithm: 'sha384' as const }) }), trust: noTrust }).ok, true, name);
      if (hash === 'sha384') t.equal(verifyCosignSignatures({ digest: DIGEST, layers: [layer], requirement: requirement({ keys: [pem] }), trust: noTrust }).ok, false, `${name} under a sha256 policy: refused`);
    }
  });

  t.test('required annotations', async (t) => {
    const s = signedLayer(DIGEST, { env: 'prod', team: 'a' });
    const req = (annotations: Record<string, string>) => requirement({ keys: [s.pem], annotations });
    t.equal(verifyCosignSignatures({ digest: DIGEST, layers: [s.layer], requirement: req({ env: 'prod' }), trust: noTrust }).ok, true);
    const r = verifyCosignSignatures({ digest: DIGEST, layers: [s.layer, s.layer], requirement: req({ env: 'staging' }), trust: noTrust });
    t.equal(r.ok, false);
    t.equal(r.code, 'ANNOTATIONS_MISSING');
    t.same(r.reasons, ['no signature carries the required annotations {env: staging}']);
  });

  t.test('payload that is not JSON or not a cosign payload', async (t) => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const text of ['not json', '{"critical":{"type":"something else"}}', '[]']) {
      const p = Buffer.from(text);
      const r = verifyCosignSignatures({ digest: DIGEST, layers: [layerOf(p, sign('sha256', p, pair.privateKey))], requirement: requirement({ keys: [pem] }), trust: noTrust });
      t.equal(r.code, 'PAYLOAD_INVALID', text);
    }
  });

  t.test('layer digest must match the payload', async (t) => {
    const s = signedLayer();
    const r = verifyCosignSignatures({ digest: DIGEST, layers: [{ ...s.layer, digest: `sha256:${'00'.repeat(32)}` }], requirement: requirement({ keys: [s.pem] }), trust: noTrust });
    t.equal(r.code, 'PAYLOAD_INVALID');
  });

  t.test('no layers, empty signature, broken key', async (t) => {
    const s = signedLayer();
    t.equal(verifyCosignSignatures({ digest: DIGEST, layers: [], requirement: requirement({ keys: [s.pem] }), trust: noTrust }).code, 'NO_SIGNATURES');
    const empty = { ...s.layer, annotations: { 'dev.cosignproject.cosign/signature': '' } };
    t.equal(verifyCosignSignatures({ digest: DIGEST, layers: [empty], requirement: requirement({ keys: [s.pem] }), trust: noTrust }).code, 'SIGNATURE_MISMATCH');
    const bad = { ...s.layer, annotations: { 'dev.cosignproject.cosign/signature': '!!notbase64' } };
    t.equal(verifyCosignSignatures({ digest: DIGEST, layers: [bad], requirement: requirement({ keys: [s.pem] }), trust: noTrust }).code, 'SIGNATURE_MISMATCH');
    t.equal(verifyCosignSignatures({ digest: DIGEST, layers: [s.layer], requirement: requirement({ keys: ['garbage'] }), trust: noTrust }).code, 'KEY_INVALID');
  });

  t.test('failure reasons stay bounded and name the most telling layer first', async (t) => {
    const s = signedLayer();
    const strangers = Array.from({ length: 8 }, () => signedLayer().layer);
    const wrongDigest = signedLayer(`sha256:${'ef'.repeat(32)}`);
    const layers = [...strangers, { ...wrongDigest.layer }];
    const r = verifyCosignSignatures({ digest: DIGEST, layers, requirement: requirement({ keys: [s.pem, wrongDigest.pem] }), trust: noTrust });
    t.equal(r.ok, false);
    t.equal(r.code, 'DIGEST_MISMATCH', 'the layer signed by a trusted key explains best');
    t.ok(r.reasons.length <= 5);
    t.match(r.reasons[0], /^signature layer 9: /);
    t.match(r.reasons[1], /^signature layers 1, 2, 3, 4, 5 and 3 more: /);
  });

  t.test('Rekor SET through the leaf', async (t) => {
    const s = signedLayer();
    const rekor = fakeRekor();
    const trust = { tlogs: [rekor.tlog] };
    const req = requirement({ keys: [s.pem], tlog: 'require' });
    const withBundle = (bundle: string) => [{ ...s.layer, annotations: { ...s.layer.annotations, [BUNDLE]: bundle } }];
    const good = rekor.bundle(hashedRekordBody(s.payload, s.signature, s.pem));
    t.equal(verifyCosignSignatures({ digest: DIGEST, layers: withBundle(good), requirement: req, trust }).ok, true, 'valid');
    t.equal(verifyCosignSignatures({ digest: DIGEST, layers: withBundle(good), requirement: req, trust: { tlogs: [fakeRekor().tlog] } }).code, 'TLOG_INVALID', 'wrong Rekor key');
    const otherKey = rekor.bundle(hashedRekordBody(s.payload, s.signature, signedLayer().pem));
    t.equal(verifyCosignSignatures({ digest: DIGEST, layers: withBundle(otherKey), requirement: req, trust }).code, 'TLOG_INVALID', 'body names another key');
    t.equal(verifyCosignSignatures({ digest: DIGEST, layers: [s.layer], requirement: req, trust }).code, 'TLOG_MISSING', 'no bundle');
    t.equal(
      verifyCosignSignatures({ digest: DIGEST, layers: withBundle('{}'), requirement: requirement({ keys: [s.pem] }), trust }).ok,
      true,
      "tlog 'ignore' does not look at the bundle",
    );
    const viaPolicy = verifyCosignSignatures({ digest: DIGEST, layers: withBundle(good), requirement: { ...req, rekorPublicKeys: [rekor.pem] }, trust: noTrust });
    t.equal(viaPolicy.ok, true, "the policy's own Rekor key");
  });
});
