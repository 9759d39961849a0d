// The pure parts of commit verification: Argo CD's repository globs (gobwas/glob without
// separators), repository URLs compared however written, git's signature records.
import t from 'tap';
import { globMatch, sameRepository } from '../../src/engine/commit-judge.js';
import { argoKeyId, parseRevList, parseVerifyTag, primaryKeys, signatureKind } from '../../src/verify/commit/parse.js';

t.test('globMatch reads gobwas globs as Argo CD compiles them', async (t) => {
  const url = 'https://github.com/acme/shop.git';
  t.ok(globMatch('*', url));
  t.ok(globMatch('https://github.com/acme/*', url), '`*` crosses `/`');
  t.ok(globMatch('https://github.com/{acme,other}/*', url));
  t.notOk(globMatch('https://github.com/{other,third}/*', url));
  t.ok(globMatch('https://github.com/{acme,other}/{shop,cart}.git', url), 'two alternations: a comma after the first one closed is literal only outside braces');
  t.notOk(globMatch('https://github.com/acme/shop,git', url), 'a comma outside braces is a literal comma');
  t.ok(globMatch('https://github.com/acme/sho?.git', url));
  t.ok(globMatch('https://github.com/acme/[rs]hop.git', url));
  t.notOk(globMatch('https://github.com/acme/[!s]hop.git', url));
  t.ok(globMatch('https://github.com/acme/[a-z]hop.git', url));
  t.ok(globMatch('https://github.com/acme/sh\\op.git', url), 'an escaped character is itself');
  t.notOk(globMatch('https://github.com/{acme', url), 'an unclosed brace compiles to nothing: no match');
  t.notOk(globMatch('https://github.com/acme/shop.gitx', url), 'anchored');
  t.notOk(globMatch('https://github.com.evil/acme/shop.git', 'https://github.com/acme/shop.git'), '`.` is literal');
});

t.test('sameRepository: credentials, a trailing slash or .git, case aside', async (t) => {
  t.ok(sameRepository('https://github.com/acme/shop', 'https://user:token@github.com/acme/shop.git'));
  t.ok(sameRepository('https://github.com/Acme/Shop/', 'https://github.com/acme/shop'));
  t.notOk(sameRepository('https://github.com/acme/shop', 'https://github.com/acme/shop2'));
});

t.test('git records and GnuPG status lines', async (t) => {
  t.same(parseRevList('abc\0G\0AAAA1111BBBB2222\0F\0Alice <a@x>\n'), [{ revision: 'abc', object: 'commit', result: 'G', keyId: 'AAAA1111BBBB2222', primary: 'F', who: 'Alice <a@x>' }]);
  t.throws(() => parseRevList('abc\0Z\0\0\0who\n'), /unexpected git rev-list output/);
  const good = '[GNUPG:] GOODSIG 6A10E6670B8A6D0A Alice\n[GNUPG:] VALIDSIG F4BE121244716D2D46431E0C6A10E6670B8A6D0A 2026-12-08 1796691620 0 4 0 22 8 00 F4BE121244716D2D46431E0C6A10E6670B8A6D0A\n';
  t.match(parseVerifyTag('v1', good, 'A'), { result: 'G', keyId: '6A10E6670B8A6D0A', primary: 'F4BE121244716D2D46431E0C6A10E6670B8A6D0A' });
  t.match(parseVerifyTag('v1', 'error: no signature found', 'A'), { result: 'N' });
  t.match(parseVerifyTag('v1', '[GNUPG:] ERRSIG 1111222233334444 22 8 00 1796691620 9 -\n', 'A'), { result: 'E', keyId: '1111222233334444' });
  t.throws(() => parseVerifyTag('v1', 'something else', 'A'), /unexpected git verify-tag output/);
  t.same(
    [...primaryKeys('pub:u:255:22:AAAA000011112222:1:::u:::scSC:\nfpr:::::::::PRIMARYFPR000000000000AAAA000011112222:\nsub:u:255:22:BBBB000011112222:1::::::s:\nfpr:::::::::SUBFPR0000000000000000BBBB000011112222:\n')],
    [
      ['AAAA000011112222', 'PRIMARYFPR000000000000AAAA000011112222'],
      ['BBBB000011112222', 'PRIMARYFPR000000000000AAAA000011112222'],
    ],
  );
  t.equal(argoKeyId('F4BE121244716D2D46431E0C6A10E6670B8A6D0A'), '6A10E6670B8A6D0A');
  t.equal(signatureKind('gpgsig -----BEGIN SIGNED MESSAGE-----\n'), 'x509');
  t.equal(signatureKind('gpgsig -----BEGIN SSH SIGNATURE-----\n'), 'ssh');
  t.equal(signatureKind('tree x\n'), undefined);
});
