import t from 'tap';
import { createHash } from 'node:crypto';
import { checkDigest, digestOf, isDigest } from '../../src/registry/digest.js';

const bytes = Buffer.from('hello');
const sha256 = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const sha512 = `sha512:${createHash('sha512').update(bytes).digest('hex')}`;

t.test('digests', async (t) => {
  t.ok(isDigest(sha256));
  t.ok(isDigest(sha512));
  t.notOk(isDigest('sha256:ABC'));
  t.notOk(isDigest('md5:' + 'a'.repeat(32)));
  t.equal(digestOf(bytes), sha256);
  t.equal(digestOf(bytes, sha512), sha512);
  t.equal(checkDigest(bytes, sha256, 'x'), sha256);
  t.equal(checkDigest(bytes, sha512, 'x'), sha512);
  t.throws(() => checkDigest(Buffer.from('hellO'), sha256, 'x'), { code: 'DIGEST_MISMATCH' });
  t.throws(() => checkDigest(bytes, 'sha1:abc', 'x'), { code: 'PROTOCOL' });
});
