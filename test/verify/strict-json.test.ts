// Issue 22.3: member names as cosign 3.1.6 (encoding/json/v2, sigstore/cosign#5252) reads them.
import t from 'tap';
import { parseStrictJson } from '../../src/verify/strict-json.js';

t.test('a member given twice is refused anywhere; names that differ by case only where Go decodes structs', async (t) => {
  t.same(parseStrictJson('{"a":1,"b":{"c":[{"d":2}]}}'), { a: 1, b: { c: [{ d: 2 }] } });
  t.throws(() => parseStrictJson('{"a":1,"a":2}'), { name: 'AmbiguousJsonError', message: 'member "a" appears twice' });
  t.throws(() => parseStrictJson('{"x":[{"k":1},{"k":1,"k":2}]}'), { message: 'member "x.1.k" appears twice' }, 'in an array element, with its path');
  t.throws(() => parseStrictJson('{"s":"\\"a\\":1","a":1,"\\u0061":2}'), { message: /member "a" appears twice/ }, 'escaped names are compared decoded; strings holding quotes are skipped');
  t.same(parseStrictJson('{"Critical":1,"critical":2}'), { Critical: 1, critical: 2 }, 'a map: case variants are two names');
  t.throws(() => parseStrictJson('{"Critical":1,"critical":2}', () => true), { message: 'members "Critical" and "critical" differ only by case at the top level' });
  const structs = (p: readonly (string | number)[]) => p[0] !== 'optional';
  t.throws(() => parseStrictJson('{"critical":{"image":{"docker-manifest-digest":"a","Docker-Manifest-Digest":"b"}}}', structs), { message: /differ only by case at critical\.image/ });
  t.same(parseStrictJson('{"optional":{"env":"a","Env":"b"}}', structs), { optional: { env: 'a', Env: 'b' } }, 'the optional map keeps both');
  t.throws(() => parseStrictJson('{"a":'), { name: 'SyntaxError' });
});
