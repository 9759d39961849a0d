// Evidence fetching against the REAL registry: `.att` layers and cosign v3 bundle
// referrers (the registry has no referrers API: the sha256-<hex> tag index is used),
// each fetched once per run.
import t from 'tap';
import { createEvidence } from '../../src/engine/evidence.js';
import { createRegistryClient } from '../../src/registry/index.js';
import { generateKeyPair } from '../../src/testkit/cosign-signer.js';
import { OCI_MANIFEST, pushBlob, pushImageDescriptor, pushManifest, sha256Digest } from '../../src/testkit/oci-push.js';
import { attestImage, pushBundleReferrer, BUNDLE_MEDIA_TYPE } from '../../src/testkit/sigstore-signer.js';
import { realRegistry } from '../registry/registry-fixture.js';

t.test('bundles and .att layers are found and fetched once per run', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const repo = 'evidence/app';
  const subject = await pushImageDescriptor(reg.host, repo, 'v1', { seed: 'evidence' });
  const key = generateKeyPair('ecdsa-p256');
  await attestImage({ registry: reg.host, repo, digest: subject.digest, signer: { key }, predicateType: 'https://example.com/p', predicate: {}, tlog: 'none' });
  const bundle = Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}');
  await pushBundleReferrer({ registry: reg.host, repo, subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, predicateType: 'https://example.com/p', bundle });
  // A referrer with two bundle layers is not a cosign bundle referrer: ignored.
  const blob = await pushBlob(reg.host, repo, bundle);
  const empty = await pushBlob(reg.host, repo, Buffer.from('{}'));
  const odd = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: BUNDLE_MEDIA_TYPE, config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: empty }, layers: [1, 2].map(() => ({ mediaType: BUNDLE_MEDIA_TYPE, size: bundle.length, digest: blob })), subject }));
  await pushManifest(reg.host, repo, sha256Digest(odd), odd);
  const index = await (await fetch(`${reg.url}/v2/${repo}/manifests/${subject.digest.replace(':', '-')}`, { headers: { accept: 'application/vnd.oci.image.index.v1+json' } })).json() as { manifests: unknown[] };
  index.manifests.push({ mediaType: OCI_MANIFEST, digest: sha256Digest(odd), size: odd.length, artifactType: BUNDLE_MEDIA_TYPE });
  await pushManifest(reg.host, repo, subject.digest.replace(':', '-'), index, 'application/vnd.oci.image.index.v1+json');

  const client = createRegistryClient({ insecureRegistries: [reg.host] });
  t.teardown(() => client.close());
  const evidence = createEvidence(client);
  const where = { registry: reg.host, repository: repo };
  const found = await evidence.bundles(where, subject.digest);
  t.equal(found.length, 1, 'one cosign bundle referrer (the two-layer one is skipped)');
  t.equal(found[0]?.predicateType, 'https://example.com/p');
  t.same(Buffer.from(found[0]!.bytes), bundle);
  const layers = await evidence.attestationLayers(where, subject.digest);
  t.equal(layers.length, 1);
  t.equal(layers[0]?.mediaType, 'application/vnd.dsse.envelope.v1+json');
  t.equal(layers[0]?.annotations.predicateType, 'https://example.com/p');

  const requests = client.stats().requests;
  await evidence.bundles(where, subject.digest);
  await evidence.attestationLayers(where, subject.digest);
  t.equal(client.stats().requests, requests, 'asked again: answered from the run memo');
  t.same(await evidence.bundles(where, `sha256:${'0'.repeat(64)}`), [], 'no referrers: none');
});

t.test('Notation signature manifests: the artifact-manifest flavour (blobs), the size limits, one envelope', async (t) => {
  // distribution 2.8 refuses artifact manifests on push: an in-memory registry client serves them.
  const { digestOf } = await import('../../src/registry/digest.js');
  const envelope = Buffer.from('{"payload":"x"}');
  const envelopeDigest = digestOf(envelope);
  const manifests = new Map<string, Buffer>();
  const put = (json: object) => {
    const bytes = Buffer.from(JSON.stringify(json));
    manifests.set(digestOf(bytes), bytes);
    return { digest: digestOf(bytes), size: bytes.length };
  };
  const artifact = put({ mediaType: 'application/vnd.oci.artifact.manifest.v1+json', artifactType: 'application/vnd.cncf.notary.signature', blobs: [{ mediaType: 'application/jose+json', digest: envelopeDigest, size: envelope.length }] });
  const huge = put({ schemaVersion: 2, artifactType: 'application/vnd.cncf.notary.signature', layers: [{ mediaType: 'application/cose', digest: envelopeDigest, size: 33 * 1024 * 1024 }] });
  const other = put({ schemaVersion: 2, artifactType: 'application/example', layers: [{ mediaType: 'application/jose+json', digest: envelopeDigest, size: envelope.length }] });
  const client = {
    resolve: async () => ({ mediaType: OCI_MANIFEST, digest: '', size: 0 }),
    manifest: async (_r: unknown, d: string) => {
      const bytes = manifests.get(d);
      if (!bytes) return null;
      const json = JSON.parse(bytes.toString()) as Record<string, unknown>;
      return { digest: d, mediaType: String(json['mediaType'] ?? OCI_MANIFEST), bytes, json };
    },
    blob: async () => envelope,
    referrers: async () => [],
  };
  const evidence = createEvidence(client);
  const where = { registry: 'r.example', repository: 'a' };
  t.same(await evidence.notationEnvelope(where, { mediaType: 'application/vnd.oci.artifact.manifest.v1+json', ...artifact }), { mediaType: 'application/jose+json', bytes: envelope });
  t.match(await evidence.notationEnvelope(where, { mediaType: OCI_MANIFEST, ...huge }), { problem: /larger than 32 MiB/ });
  t.match(await evidence.notationEnvelope(where, { mediaType: OCI_MANIFEST, ...other }), { problem: /is not a Notation signature manifest/ });
  t.match(await evidence.notationEnvelope(where, { mediaType: OCI_MANIFEST, digest: `sha256:${'e'.repeat(64)}`, size: 5 * 1024 * 1024 }), { problem: /larger than 4 MiB/ });
});
