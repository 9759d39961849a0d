import t from 'tap';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createRegistryClient } from '../../src/registry/client.js';
import type { Repository } from '../../src/registry/types.js';
import { pushBlob, pushImageDescriptor, pushIndexDescriptor, pushManifest, OCI_INDEX, OCI_MANIFEST, sha256Digest } from '../../src/testkit/oci-push.js';
import { realRegistry, settledCount } from './registry-fixture.js';
import { startFake } from './fake-server.js';

const reg = await realRegistry(t);

function blobPath(storageDir: string, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return path.join(storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

if (reg) {
  const repo: Repository = { registry: reg.host, repository: 'team/app' };
  const client = createRegistryClient();
  t.teardown(() => client.close());

  t.test('resolve: tag → digest for an image and an index, and by digest', async (t) => {
    const image = await pushImageDescriptor(reg.host, repo.repository, 'v1', { seed: 'resolve-image' });
    const index = await pushIndexDescriptor(reg.host, repo.repository, 'multi', { seed: 'resolve-index' });
    t.same(await client.resolve(repo, 'v1'), { mediaType: OCI_MANIFEST, digest: image.digest, size: image.size });
    t.same(await client.resolve(repo, 'multi'), { mediaType: OCI_INDEX, digest: index.digest, size: index.size });
    t.same(await client.resolve(repo, image.digest), { mediaType: OCI_MANIFEST, digest: image.digest, size: image.size });
    t.same(await client.resolve(repo, index.children[1]!.digest), { mediaType: OCI_MANIFEST, digest: index.children[1]!.digest, size: index.children[1]!.size });
  });

  t.test('unknown tags, digests and repositories are NOT_FOUND; manifest() gives null', async (t) => {
    await pushImageDescriptor(reg.host, repo.repository, 'exists', { seed: 'nf' });
    await t.rejects(client.resolve(repo, 'nope'), { code: 'NOT_FOUND', status: 404 });
    await t.rejects(client.resolve(repo, `sha256:${'0'.repeat(64)}`), { code: 'NOT_FOUND' });
    await t.rejects(client.resolve({ registry: reg.host, repository: 'no/such/repo' }, 'v1'), { code: 'NOT_FOUND' });
    t.equal(await client.manifest(repo, 'nope'), null);
    await t.rejects(client.blob(repo, `sha256:${'0'.repeat(64)}`), { code: 'NOT_FOUND' });
    await t.rejects(client.resolve(repo, '../../etc'), { code: 'PROTOCOL' }, 'invalid reference never reaches the wire');
  });

  t.test('manifest and blob are hashed and returned', async (t) => {
    const digest = (await pushImageDescriptor(reg.host, repo.repository, 'm1', { seed: 'manifest' })).digest;
    const byTag = await client.manifest(repo, 'm1');
    t.ok(byTag);
    t.equal(byTag!.digest, digest);
    t.equal(sha256Digest(byTag!.bytes), digest);
    t.equal(byTag!.mediaType, OCI_MANIFEST);
    const byDigest = await client.manifest(repo, digest);
    t.same(byDigest!.json, byTag!.json);
    const config = (byTag!.json['config'] as { digest: string }).digest;
    const blob = await client.blob(repo, config);
    t.equal(sha256Digest(blob), config);
    t.match(JSON.parse(Buffer.from(blob).toString('utf8')), { architecture: 'amd64' });
  });

  t.test('a blob altered in registry storage is DIGEST_MISMATCH', async (t) => {
    const bytes = Buffer.from(`tamper me ${Date.now()}`);
    const digest = await pushBlob(reg.host, repo.repository, bytes);
    t.same(Buffer.from(await client.blob(repo, digest)), bytes);
    const file = blobPath(reg.storageDir, digest);
    const stored = await readFile(file);
    stored[0] = stored[0]! ^ 0xff;
    await writeFile(file, stored);
    await t.rejects(client.blob(repo, digest), { code: 'DIGEST_MISMATCH' });
  });

  t.test('a manifest altered in registry storage is DIGEST_MISMATCH, by digest and by tag', async (t) => {
    const { digest } = await pushImageDescriptor(reg.host, repo.repository, 'tampered', { seed: 'tamper-manifest' });
    const file = blobPath(reg.storageDir, digest);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"schemaVersion":2', '"schemaVersion":2 '));
    await t.rejects(client.manifest(repo, digest), { code: 'DIGEST_MISMATCH' });
    await t.rejects(client.manifest(repo, 'tampered'), { code: 'DIGEST_MISMATCH' }, 'Docker-Content-Digest disagrees with the bytes');
  });

  t.test('referrers: distribution 2.8 404s the API, so the tag schema index is used', async (t) => {
    const subject = await pushImageDescriptor(reg.host, 'team/ref', 'v1', { seed: 'subject' });
    const sig = await pushImageDescriptor(reg.host, 'team/ref', undefined, { seed: 'referrer-1' });
    const sbom = await pushImageDescriptor(reg.host, 'team/ref', undefined, { seed: 'referrer-2' });
    const refRepo = { registry: reg.host, repository: 'team/ref' };
    t.same(await client.referrers(refRepo, subject.digest), [], 'no tag: no referrers');
    const hex = subject.digest.slice('sha256:'.length);
    const entries = [
      { mediaType: OCI_MANIFEST, digest: sig.digest, size: sig.size, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', annotations: { 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' } },
      { mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.size, artifactType: 'application/spdx+json' },
    ];
    await pushManifest(reg.host, 'team/ref', `sha256-${hex}`, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }, OCI_INDEX);
    t.same(await client.referrers(refRepo, subject.digest), entries);
    t.same(await client.referrers(refRepo, subject.digest, 'application/spdx+json'), [entries[1]], 'filtered client-side');
    t.same(await client.referrers(refRepo, subject.digest, 'application/none'), []);
  });

  t.test('stats count every request the registry saw', async (t) => {
    await pushImageDescriptor(reg.host, 'team/stats', 'v1', { seed: 'stats' });
    const counted = createRegistryClient();
    t.teardown(() => counted.close());
    const before = await settledCount(reg, 0);
    const srepo = { registry: reg.host, repository: 'team/stats' };
    const d = await counted.resolve(srepo, 'v1'); // HEAD
    const m = await counted.manifest(srepo, d.digest); // GET
    await counted.blob(srepo, (m!.json['config'] as { digest: string }).digest); // GET
    await counted.referrers(srepo, d.digest); // GET referrers (404) + GET tag (404)
    await counted.resolve(srepo, 'missing').catch(() => {}); // HEAD 404 + GET 404
    const stats = counted.stats();
    t.equal(stats.requests, 7);
    t.same(stats.byHost, { [reg.host]: 7 });
    t.equal((await settledCount(reg, before + 7)) - before, stats.requests, 'registry access log agrees');
  });

  t.test('HEAD refused or without Docker-Content-Digest: falls back to GET and hashes (fake proxy)', async (t) => {
    const { digest, size } = await pushImageDescriptor(reg.host, 'team/head', 'v1', { seed: 'head' });
    for (const mode of ['405', 'no-digest', '404'] as const) {
      const proxy = await startFake((req, res) => {
        if (req.method !== 'HEAD') return false;
        if (mode === 'no-digest') {
          res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': String(size) }).end();
        } else res.writeHead(Number(mode)).end();
        return true;
      }, reg.host);
      t.teardown(() => proxy.close());
      const c = createRegistryClient();
      t.teardown(() => c.close());
      t.same(await c.resolve({ registry: proxy.host, repository: 'team/head' }, 'v1'), { mediaType: OCI_MANIFEST, digest, size }, mode);
      t.same(proxy.requests.map((r) => r.method), ['HEAD', 'GET'], mode);
    }
  });

  t.test('referrers API with pagination and filtering (fake endpoint in front of the real registry)', async (t) => {
    const subject = `sha256:${createHash('sha256').update('subject').digest('hex')}`;
    const d = (n: number) => ({ mediaType: OCI_MANIFEST, digest: `sha256:${String(n).repeat(64)}`, size: n, artifactType: n % 2 ? 'a/odd' : 'a/even' });
    let honourFilter = false;
    const proxy = await startFake((req, res) => {
      const url = new URL(req.url ?? '', 'http://x');
      if (!url.pathname.startsWith('/v2/team/api/referrers/')) return false;
      const headers: Record<string, string> = { 'content-type': OCI_INDEX };
      const wanted = url.searchParams.get('artifactType');
      let items = url.searchParams.get('last') ? [d(3), d(4)] : [d(1), d(2)];
      if (honourFilter && wanted) {
        headers['oci-filters-applied'] = 'artifactType';
        items = items.filter((i) => i.artifactType === wanted);
      }
      if (!url.searchParams.get('last')) headers['link'] = `<${url.pathname}?last=x${wanted ? `&artifactType=${encodeURIComponent(wanted)}` : ''}>; rel="next"`;
      res.writeHead(200, headers).end(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: items }));
      return true;
    }, reg.host);
    t.teardown(() => proxy.close());
    const c = createRegistryClient();
    t.teardown(() => c.close());
    const r = { registry: proxy.host, repository: 'team/api' };
    t.same(await c.referrers(r, subject), [d(1), d(2), d(3), d(4)], 'two pages');
    t.same(await c.referrers(r, subject, 'a/odd'), [d(1), d(3)], 'client filters when OCI-Filters-Applied is absent');
    honourFilter = true;
    t.same(await c.referrers(r, subject, 'a/even'), [d(2), d(4)], 'server filtered');
    t.notOk(proxy.requests.some((q) => q.url.includes('/manifests/')), 'no tag-schema fallback when the API answers');
  });
}
