// Subjects other than images (issue 24: a signed manifest) are reported by every format like an
// image: named, with their policy, reason, fix and file:line, and `kind` where the format is data.
import t from 'tap';
import { formats } from '../../src/report/index.js';
import { countText, summarize, type ImageResult, type Result } from '../../src/engine/result.js';

const manifest: ImageResult = {
  kind: 'manifest',
  image: 'Deployment prod/web',
  normalized: 'Deployment prod/web',
  status: 'fail',
  policies: [
    {
      policy: 'verify-manifest-integrity',
      file: 'policies/manifests.yaml',
      line: 14,
      rule: 'rules[0].validate.manifests',
      mode: 'enforce',
      status: 'fail',
      onError: 'block',
      reasons: ['attestors[0].entries[0].keys: the object differs from the signed message: spec.replicas: 2 → 3'],
    },
  ],
  uses: [{ file: 'apps/web.yaml', line: 7, kind: 'Deployment', namespace: 'prod', name: 'web', container: '' }],
  hints: ['sign the manifest as it is rendered: kubectl sigstore sign -f apps/web.yaml -k cosign.key'],
};
const image: ImageResult = {
  image: 'ghcr.io/acme/web:1.0',
  normalized: 'ghcr.io/acme/web:1.0',
  status: 'pass',
  policies: [],
  uses: [{ file: 'apps/web.yaml', line: 21, kind: 'Deployment', namespace: 'prod', name: 'web', container: 'web' }],
};
const commit: ImageResult = {
  kind: 'commit',
  image: 'https://git.example.com/acme/shop@3fd8622dd0d3',
  normalized: 'https://git.example.com/acme/shop@3fd8622dd0d3aa00000000000000000000000000',
  status: 'fail',
  policies: [{ policy: 'shop', file: 'policies/project.yaml', line: 9, rule: 'spec.sourceIntegrity.git.policies[0]', mode: 'enforce', status: 'fail', onError: 'block', reasons: ["commit 3fd8622dd0d3 by 'Alice <alice@example.com>': not signed"] }],
  uses: [],
};
const results = [manifest, image, commit];
const result: Result = { summary: summarize(results), results, unmatched: 'allow' };

t.test('the summary counts subjects by kind', async (t) => {
  t.same(result.summary.subjects, { manifest: 1, commit: 1 });
  t.equal(countText(result.summary), '1 image, 1 manifest, 1 commit');
  t.equal(countText(summarize([image, image])), '2 images');
  t.equal(countText(summarize([manifest])), '1 manifest');
});

t.test('every format carries the manifest and the commit, their reasons and where they are', async (t) => {
  for (const [name, format] of formats) {
    const text = format(result, { color: false });
    t.match(text, 'Deployment prod/web', `${name}: named`);
    t.match(text, 'acme/shop@3fd8622dd0d3', `${name}: the commit named`);
    if (name !== 'name') t.match(text, /not signed/, `${name}: the commit's reason`);
    if (name === 'name') continue;
    t.match(text, /spec\.replicas: 2 → 3/, `${name}: the differing field`);
    if (!['json', 'yaml'].includes(name)) t.notMatch(text, /container (\s|$|")/, `${name}: no empty container`);
  }
  t.match(formats.get('table')!(result, { color: false }), /fix: sign the manifest[\s\S]*at apps\/web\.yaml:7/);
  t.match(formats.get('junit')!(result, { color: false }), /object: Deployment prod\/web at apps\/web\.yaml:7/);
  const json = JSON.parse(formats.get('json')!(result, { color: false })) as Result;
  t.equal(json.results[0]!.kind, 'manifest');
  t.equal(json.results[1]!.kind, undefined, 'images carry no kind');
  t.equal(json.results[2]!.kind, 'commit');
  const sarif = JSON.parse(formats.get('sarif')!(result, { color: false })) as { runs: { results: { properties: { kind?: string } }[] }[] };
  t.equal(sarif.runs[0]!.results[0]!.properties.kind, 'manifest');
});
