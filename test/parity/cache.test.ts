// The verdict cache keys every verdict by the repository its evidence was found in: the same
// digest copied without its signature (`crane copy` without signatures) must not pass on a pass
// recorded for the signed repository. Same verdict with and without the cache, local and offline.
import t from 'tap';
import { cipPolicy, deployment, repo, startBench, verify } from './fixture.js';
import { pushImage } from '../../src/testkit/oci-push.js';

const b = await startBench();
t.teardown(() => b.close());
// The same bytes as the signed image, promoted to another repository without its signature.
const copyDigest = await pushImage(b.registry.host, 'promoted/web', '1.0', { seed: 'web' });
const copy = `${b.registry.host}/promoted/web:1.0`;

t.test('a pass found in one repository is not a pass for the same digest in another', async (t) => {
  const signedDigest = (await verify(await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'd.yaml': deployment('web', b.signed) }), ['d.yaml'])).stdout.match(/"digest": "([^"]+)"/)?.[1];
  t.equal(copyDigest, signedDigest, 'the copy is the very same digest');
  const dir = await repo(t, { '.verify-images/p.yaml': cipPolicy(b), 'signed.yaml': deployment('web', b.signed), 'copy.yaml': deployment('web', copy) });
  const warm = await verify(dir, ['signed.yaml']);
  t.same(warm.verdicts, { 'apps/web:1.0': 'pass' }, 'the signed repository passes (and is cached)');
  const cached = await verify(dir, ['copy.yaml']);
  const fresh = await verify(dir, ['copy.yaml', '--no-cache']);
  t.same(fresh.verdicts, { 'promoted/web:1.0': 'fail' }, 'without the cache: no signature in promoted/web');
  t.same(cached.verdicts, fresh.verdicts, 'with a warm cache: the same verdict');
  t.equal(cached.code, 1);
  const offline = await verify(dir, ['copy.yaml', '--offline']);
  t.same(offline.verdicts, { 'promoted/web:1.0': 'error' }, 'offline: no verdict recorded for promoted/web, so undecided');
  t.equal(offline.code, 3);
  const offlineSigned = await verify(dir, ['signed.yaml', '--offline']);
  t.same(offlineSigned.verdicts, { 'apps/web:1.0': 'pass' }, 'offline: the signed repository still answers from the cache');
});
