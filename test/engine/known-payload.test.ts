// A plain cosign payload is known by its digest: the `.sig` layer's blob is not fetched when the
// bytes `cosign sign` writes for this image hash to it. Against a REAL registry (Debian's
// docker-registry): the request counts say which payloads were fetched, the verdicts that
// nothing else changed.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ggcrRepository, parseReference } from '../../src/images/reference.js';
import { digestOf } from '../../src/registry/digest.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { knownPayload, plainCosignPayload, SIMPLE_SIGNING_MEDIA_TYPE as SIMPLE_SIGNING } from '../../src/verify/sig-payload.js';
import { deployment, kyverno, runScenario } from '../helpers/engine.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.resolve(root, '../shared/fixtures/interop/containers-image');
const key = generateKeyPair('ecdsa-p256');
const DIGEST = 'sha256:fa93b01658e3a5a1686dc3ae55f170d8de487006fb53a28efcd12ab0710a2e5f';

t.test('the predicted payload is byte for byte what cosign wrote (shared fixtures)', async (t) => {
  if (!existsSync(fixtures)) return t.skip('shared fixtures folder not found next to the project', () => {});
  const cosign = readFileSync(path.join(fixtures, 'rekor-payload'));
  t.same(Buffer.from(plainCosignPayload('192.168.64.2:5000/test-repo-2100826901021538654/alpine', DIGEST)), cosign);
});

t.test('knownPayload: only a sha256 simple-signing layer whose digest and size the prediction meets', async (t) => {
  const name = 'registry.example.com/team/app';
  const bytes = plainCosignPayload(name, DIGEST);
  const layer = { mediaType: SIMPLE_SIGNING, digest: digestOf(bytes), size: bytes.byteLength };
  t.same(knownPayload(layer, name, DIGEST), bytes);
  t.equal(knownPayload(layer, name, DIGEST.replace(/.$/, '0')), undefined, 'another image digest: another payload');
  t.equal(knownPayload(layer, 'registry.example.com/team/other', DIGEST), undefined, 'signed under another name');
  t.equal(knownPayload({ ...layer, size: layer.size + 1 }, name, DIGEST), undefined, 'size differs');
  t.equal(knownPayload({ ...layer, mediaType: 'application/octet-stream' }, name, DIGEST), undefined, 'not a simple-signing layer');
  t.equal(knownPayload({ ...layer, digest: digestOf(bytes, 'sha512:') }, name, DIGEST), undefined, 'sha512 layers are fetched');
});

t.test('the name cosign signs under is go-containerregistry\'s: index.docker.io/library/… for Docker Hub', async (t) => {
  t.equal(ggcrRepository(parseReference('nginx:1.27')), 'index.docker.io/library/nginx');
  t.equal(ggcrRepository(parseReference('docker.io/acme/app@' + DIGEST)), 'index.docker.io/acme/app');
  t.equal(ggcrRepository(parseReference('127.0.0.1:5000/known/img:1.0')), '127.0.0.1:5000/known/img');
  t.equal(ggcrRepository(parseReference('ghcr.io/acme/app:v1')), 'ghcr.io/acme/app');
});

let registry: TestRegistry;
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

let n = 0;
async function signed(opts: { annotations?: Record<string, string>; dockerReference?: string; tamper?: 'payload' } = {}) {
  const repo = `known/img${++n}`;
  const digest = await pushImage(registry.host, repo, '1.0', { seed: `known${n}` });
  await signImage({ registry: registry.host, repo, digest, key, ...opts });
  return { repo, digest, ref: `${registry.host}/${repo}:1.0` };
}

t.test('a plain cosign signature: two requests (tag, .sig manifest), the payload is not fetched; others are', async (t) => {
  const plain = await signed();
  const annotated = await signed({ annotations: { env: 'prod' } });
  const mirrored = await signed({ dockerReference: 'mirror.example.com/known/img' });
  const tampered = await signed({ tamper: 'payload' });
  const r = await runScenario(t, {
    manifests: {
      'a.yaml': deployment('a', plain.ref),
      'b.yaml': deployment('b', annotated.ref),
      'c.yaml': deployment('c', mirrored.ref),
      'd.yaml': deployment('d', tampered.ref),
    },
    policies: { 'p.yaml': kyverno({ refs: [`${registry.host}/known/*`], keys: [key] }) },
  });
  t.equal(r.image(plain.repo).status, 'pass');
  t.equal(r.image(annotated.repo).status, 'pass', 'annotations in the payload: fetched, verified');
  t.equal(r.image(mirrored.repo).status, 'pass', 'signed under another name: fetched, verified');
  t.equal(r.image(tampered.repo).status, 'fail', 'a payload other than the one signed still fails');
  t.equal(r.stats.registryRequests, 2 + 3 + 3 + 3, 'the plain signature needed no payload request');
  t.equal(r.code, 1);
});
