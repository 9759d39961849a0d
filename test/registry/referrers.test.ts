import t from 'tap';
import { descriptorsOf, filterByArtifactType, parseNextLink } from '../../src/registry/referrers.js';

const D = `sha256:${'d'.repeat(64)}`;

t.test('Link rel=next', async (t) => {
  t.equal(parseNextLink('</v2/r/referrers/x?n=1&last=a>; rel="next"'), '/v2/r/referrers/x?n=1&last=a');
  t.equal(parseNextLink('<https://h/a>; rel="prev", <https://h/b>; rel=next'), 'https://h/b');
  t.equal(parseNextLink('<https://h/a>; rel="prev"'), undefined);
  t.equal(parseNextLink(undefined), undefined);
});

t.test('descriptors from an index; malformed entries dropped', async (t) => {
  const got = descriptorsOf({
    manifests: [
      { mediaType: 'm', digest: D, size: 3, artifactType: 'a/b', annotations: { k: 'v', n: 1 } },
      { mediaType: 'm', digest: 'sha256:bad', size: 3 },
      { mediaType: 'm', digest: D },
      null,
    ],
  });
  t.same(got, [{ mediaType: 'm', digest: D, size: 3, artifactType: 'a/b', annotations: { k: 'v' } }]);
  t.same(descriptorsOf({}), []);
  t.throws(() => descriptorsOf({ manifests: {} }), { code: 'PROTOCOL' });
  t.same(filterByArtifactType(got, 'x/y'), []);
  t.same(filterByArtifactType(got, undefined), got);
});
