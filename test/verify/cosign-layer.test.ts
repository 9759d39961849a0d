import t from 'tap';
import { checkCosignLayer, type LayerContext } from '../../src/verify/cosign-layer.js';
import { DIGEST, fakeRekor, hashedRekordBody, signedLayer } from './fixtures/helpers.js';

const ctxFor = (s: ReturnType<typeof signedLayer>, over: Partial<LayerContext> = {}): LayerContext => ({
  digest: DIGEST,
  keys: [{ index: 0, key: s.pair.publicKey }],
  hash: 'sha256',
  annotations: {},
  tlog: 'ignore',
  trust: { tlogs: [] },
  rekorKeys: [],
  now: new Date(),
  ...over,
});

t.test('outcomes carry the code and how far the layer got', async (t) => {
  const s = signedLayer();
  t.match(checkCosignLayer(s.layer, ctxFor(s)), { ok: true, keyIndex: 0 });
  t.match(checkCosignLayer({ ...s.layer, mediaType: 'text/plain' }, ctxFor(s)), { ok: false, code: 'NO_SIGNATURES', progress: 0 });
  t.match(checkCosignLayer(s.layer, ctxFor(s, { keys: [{ index: 3, key: signedLayer().pair.publicKey }] })), { ok: false, code: 'SIGNATURE_MISMATCH', progress: 2 });
  t.match(checkCosignLayer(s.layer, ctxFor(s, { digest: `sha256:${'00'.repeat(32)}` })), { ok: false, code: 'DIGEST_MISMATCH', progress: 4 });
  t.match(checkCosignLayer(s.layer, ctxFor(s, { annotations: { a: 'b' } })), { ok: false, code: 'ANNOTATIONS_MISSING', progress: 4 });
  t.match(checkCosignLayer(s.layer, ctxFor(s, { tlog: 'require' })), { ok: false, code: 'TLOG_MISSING', progress: 5 });
});

t.test('tlog require: SET and body both checked; time reported', async (t) => {
  const s = signedLayer();
  const rekor = fakeRekor();
  const layer = { ...s.layer, annotations: { ...s.layer.annotations, 'dev.sigstore.cosign/bundle': rekor.bundle(hashedRekordBody(s.payload, s.signature, s.pem), 1_650_000_000, 9) } };
  t.match(checkCosignLayer(layer, ctxFor(s, { tlog: 'require', trust: { tlogs: [rekor.tlog] } })), { ok: true, integratedTime: 1_650_000_000, logIndex: 9 });
  const badBody = { ...s.layer, annotations: { ...s.layer.annotations, 'dev.sigstore.cosign/bundle': rekor.bundle(hashedRekordBody(Buffer.from('x'), s.signature, s.pem)) } };
  t.match(checkCosignLayer(badBody, ctxFor(s, { tlog: 'require', trust: { tlogs: [rekor.tlog] } })), { ok: false, code: 'TLOG_INVALID' });
});
