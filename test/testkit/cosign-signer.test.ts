import t from 'tap';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { json } from '@sigstore/core';
import { ed25519ph } from '@noble/curves/ed25519.js';
import { createRegistryClient } from '../../src/registry/client.js';
import {
  BUNDLE_ANNOTATION,
  generateKeyPair,
  goJson,
  makeRekorKey,
  SIGNATURE_ANNOTATION,
  signImage,
  SIMPLE_SIGNING,
  simpleSigningPayload,
  type TestKeyPair,
} from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { realRegistry } from '../registry/registry-fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.resolve(root, '../shared/fixtures/interop/containers-image');

/** The payload of a containers/image `signature-N` file (`\0sigstore-json\n{…}`). */
function fixturePayload(file: string): Buffer {
  const text = readFileSync(file).subarray(1).toString('utf8');
  return Buffer.from(JSON.parse(text.slice(text.indexOf('\n') + 1)).payload, 'base64');
}

function verifies(key: TestKeyPair, payload: Uint8Array, sigB64: string, ph = false): boolean {
  const sig = Buffer.from(sigB64, 'base64');
  if (key.alg === 'ed25519') {
    if (ph) {
      const raw = createPublicKey(key.publicKeyPem).export({ format: 'jwk' }).x!;
      return ed25519ph.verify(sig, payload, Buffer.from(raw, 'base64url'));
    }
    return verify(null, payload, key.publicKeyPem, sig);
  }
  return verify('sha256', payload, key.publicKeyPem, sig);
}

t.test('payload bytes equal what cosign and skopeo wrote (shared fixtures)', async (t) => {
  if (!existsSync(fixtures)) return t.skip('shared fixtures folder not found next to the project', () => {});
  const cosign = readFileSync(path.join(fixtures, 'rekor-payload'));
  t.equal(
    simpleSigningPayload('192.168.64.2:5000/test-repo-2100826901021538654/alpine', 'sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f'),
    cosign.toString('utf8'),
  );
  const skopeo = fixturePayload(path.join(fixtures, 'dir-img-cosign-valid-with-tag/signature-1'));
  t.equal(
    simpleSigningPayload('192.168.64.2:5000/skopeo-signed:tag', 'sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00', {
      timestamp: 1657296609,
      creator: 'containers/image 5.21.2-dev',
    }),
    skopeo.toString('utf8'),
    'annotations sorted like a Go map',
  );
});

t.test('rekor bundle construction matches a real public-good SET (shared fixtures)', async (t) => {
  if (!existsSync(fixtures)) return t.skip('shared fixtures folder not found next to the project', () => {});
  const set = JSON.parse(readFileSync(path.join(fixtures, 'rekor-set'), 'utf8'));
  const rekorPub = readFileSync(path.join(fixtures, 'rekor.pub'), 'utf8');
  t.same(Object.keys(set), ['SignedEntryTimestamp', 'Payload']);
  t.same(Object.keys(set.Payload), ['body', 'integratedTime', 'logIndex', 'logID'], 'our field order is cosign\'s');
  t.ok(verify('sha256', Buffer.from(json.canonicalize(set.Payload)), rekorPub, Buffer.from(set.SignedEntryTimestamp, 'base64')), 'SET = ECDSA over JCS(Payload)');
  const body = Buffer.from(set.Payload.body, 'base64').toString('utf8');
  t.equal(json.canonicalize(JSON.parse(body)), body, 'hashedrekord body is canonical JSON');
});

t.test('Go json.Marshal string escaping', async (t) => {
  t.equal(goJson({ b: '<&>', a: 1 }), '{"a":1,"b":"\\u003c\\u0026\\u003e"}');
  t.equal(goJson(null), 'null');
});

const reg = await realRegistry(t);

if (reg) {
  const host = reg.host;
  const client = createRegistryClient();
  t.teardown(() => client.close());

  async function sigLayers(repo: string, digest: string) {
    const m = await client.manifest({ registry: host, repository: repo }, `${digest.replace(':', '-')}.sig`);
    t.ok(m, '.sig manifest exists');
    const layers = m!.json['layers'] as { mediaType: string; digest: string; annotations: Record<string, string> }[];
    return Promise.all(
      layers.map(async (l) => ({ ...l, payload: Buffer.from(await client.blob({ registry: host, repository: repo }, l.digest)) })),
    );
  }

  t.test('every key type signs a verifiable cosign layer; a second signature appends', async (t) => {
    const digest = await pushImage(host, 'sign/app', 'v1', { seed: 'sign' });
    const keys = (['ecdsa-p256', 'ecdsa-p384', 'rsa', 'ed25519'] as const).map((a) => generateKeyPair(a));
    for (const key of keys) await signImage({ registry: host, repo: 'sign/app', digest, key });
    await signImage({ registry: host, repo: 'sign/app', digest, key: keys[3]!, ed25519ph: true });
    const layers = await sigLayers('sign/app', digest);
    t.equal(layers.length, 5, 'read-modify-write keeps earlier layers');
    const expected = simpleSigningPayload(`${host}/sign/app`, digest);
    for (const [i, layer] of layers.entries()) {
      const key = keys[Math.min(i, 3)]!;
      t.equal(layer.mediaType, SIMPLE_SIGNING);
      t.equal(layer.payload.toString('utf8'), expected);
      t.ok(verifies(key, layer.payload, layer.annotations[SIGNATURE_ANNOTATION]!, i === 4), `${key.alg}${i === 4 ? ' (ph)' : ''} verifies`);
      t.notOk(verifies(keys[(i + 1) % 4]!, layer.payload, layer.annotations[SIGNATURE_ANNOTATION]!), 'another key does not');
    }
  });

  t.test('tampering, foreign digests, annotations, signature repository', async (t) => {
    const digest = await pushImage(host, 'sign/neg', 'v1', { seed: 'neg' });
    const other = await pushImage(host, 'sign/neg', 'v2', { seed: 'neg-2' });
    const key = generateKeyPair('ecdsa-p256');
    await signImage({ registry: host, repo: 'sign/neg', digest, key, tamper: 'signature' });
    await signImage({ registry: host, repo: 'sign/neg', digest, key, tamper: 'payload' });
    await signImage({ registry: host, repo: 'sign/neg', digest, key, payloadDigest: other });
    await signImage({ registry: host, repo: 'sign/neg', digest, key, annotations: { env: 'prod', team: 'a&b' } });
    const [badSig, badPayload, foreign, annotated] = await sigLayers('sign/neg', digest);
    t.notOk(verifies(key, badSig!.payload, badSig!.annotations[SIGNATURE_ANNOTATION]!), 'tampered signature fails');
    t.notOk(verifies(key, badPayload!.payload, badPayload!.annotations[SIGNATURE_ANNOTATION]!), 'tampered payload fails');
    t.doesNotThrow(() => JSON.parse(badPayload!.payload.toString('utf8')), 'tampered payload is still JSON');
    t.ok(verifies(key, foreign!.payload, foreign!.annotations[SIGNATURE_ANNOTATION]!), 'foreign payload is validly signed');
    t.equal(JSON.parse(foreign!.payload.toString('utf8')).critical.image['docker-manifest-digest'], other, '…but names another digest');
    t.equal(JSON.parse(annotated!.payload.toString('utf8')).optional.team, 'a&b');
    t.match(annotated!.payload.toString('utf8'), '"optional":{"env":"prod","team":"a\\u0026b"}');

    const moved = await signImage({ registry: host, repo: 'sign/neg', digest, key, signatureRepo: 'sign/sigs' });
    t.equal(moved.signatureRepo, 'sign/sigs');
    t.equal((await sigLayers('sign/sigs', digest)).length, 1, 'signature pushed to the other repository');
  });

  t.test('rekor bundle annotation: SET verifies with the fake log key and the body matches the layer', async (t) => {
    const digest = await pushImage(host, 'sign/rekor', 'v1', { seed: 'rekor' });
    const key = generateKeyPair('ecdsa-p256');
    const rekorKey = makeRekorKey();
    t.equal(rekorKey.logID, createHash('sha256').update(rekorKey.publicKey.export({ type: 'spki', format: 'der' })).digest('hex'));
    await signImage({ registry: host, repo: 'sign/rekor', digest, key, rekor: { privateKey: rekorKey.privateKey, logID: rekorKey.logID, integratedTime: 1700000000, logIndex: 42 } });
    const [layer] = await sigLayers('sign/rekor', digest);
    const bundle = JSON.parse(layer!.annotations[BUNDLE_ANNOTATION]!);
    t.same(Object.keys(bundle.Payload), ['body', 'integratedTime', 'logIndex', 'logID']);
    t.match(bundle.Payload, { integratedTime: 1700000000, logIndex: 42, logID: rekorKey.logID });
    t.ok(verify('sha256', Buffer.from(json.canonicalize(bundle.Payload)), rekorKey.publicKeyPem, Buffer.from(bundle.SignedEntryTimestamp, 'base64')), 'SET verifies');
    t.notOk(verify('sha256', Buffer.from(json.canonicalize({ ...bundle.Payload, logIndex: 43 })), rekorKey.publicKeyPem, Buffer.from(bundle.SignedEntryTimestamp, 'base64')), 'SET binds the payload');
    const body = JSON.parse(Buffer.from(bundle.Payload.body, 'base64').toString('utf8'));
    t.equal(body.kind, 'hashedrekord');
    t.equal(body.spec.data.hash.value, createHash('sha256').update(layer!.payload).digest('hex'));
    t.equal(body.spec.signature.content, layer!.annotations[SIGNATURE_ANNOTATION]);
    t.equal(Buffer.from(body.spec.signature.publicKey.content, 'base64').toString('utf8'), key.publicKeyPem);
  });
}
