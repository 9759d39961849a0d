import t from 'tap';
import { getManifest, OCI_INDEX, OCI_MANIFEST, pushBlob, pushImage, pushIndexDescriptor, sha256Digest } from '../../src/testkit/oci-push.js';
import { realRegistry } from '../registry/registry-fixture.js';

const reg = await realRegistry(t);

if (reg) {
  const host = reg.host;
  t.test('pushImage: a seed names one image; no seed gives a new one', async (t) => {
    const a = await pushImage(host, 'kit/img', 'a', { seed: 's1' });
    const b = await pushImage(host, 'kit/img', 'b', { seed: 's1' });
    const c = await pushImage(host, 'kit/img', 'c', { seed: 's2' });
    const d = await pushImage(host, 'kit/img', 'd');
    t.equal(a, b);
    t.not(a, c);
    t.not(a, d);
    const m = await getManifest(host, 'kit/img', 'a');
    t.equal(sha256Digest(m!.bytes), a);
    t.equal(m!.json['mediaType'], OCI_MANIFEST);
    t.equal((m!.json['layers'] as unknown[]).length, 1);
    const config = (m!.json['config'] as { digest: string }).digest;
    const blob = await fetch(`${reg.url}/v2/kit/img/blobs/${config}`);
    t.equal(sha256Digest(new Uint8Array(await blob.arrayBuffer())), config, 'config blob was uploaded');
  });

  t.test('pushIndex: two platform images', async (t) => {
    const index = await pushIndexDescriptor(host, 'kit/multi', 'v1', { seed: 'idx' });
    const m = await getManifest(host, 'kit/multi', 'v1');
    t.equal(sha256Digest(m!.bytes), index.digest);
    t.equal(m!.json['mediaType'], OCI_INDEX);
    t.same((m!.json['manifests'] as { platform: unknown }[]).map((x) => x.platform), [
      { architecture: 'amd64', os: 'linux' },
      { architecture: 'arm64', os: 'linux' },
    ]);
    for (const child of index.children) t.ok(await getManifest(host, 'kit/multi', child.digest), 'child pushed by digest');
  });

  t.test('pushBlob returns the content digest; getManifest gives null on 404', async (t) => {
    const bytes = Buffer.from('blob');
    t.equal(await pushBlob(host, 'kit/blob', bytes), sha256Digest(bytes));
    t.equal(await getManifest(host, 'kit/blob', 'missing'), null);
  });
}
