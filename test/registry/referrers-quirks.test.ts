// Issue 22.5: the referrers API as real registries serve it. A redirect off the registry (GHCR's
// 303 to a rate-limited API), a 429 after the retries, a body that is no image index: each means
// "no referrers API here", so the sha256-<hex> tag schema is read, remembered for the registry for
// the run, and said at -v. Against the real registry behind a proxy shaped like each case; the
// image is signed only by a cosign v3 bundle referrer, so it passes only if the fallback found it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { createSigstoreStandIn } from '../../src/testkit/sigstore-stand-in.js';
import { makeDsseBundle, pushBundleReferrer } from '../../src/testkit/sigstore-signer.js';
import { pushImageDescriptor } from '../../src/testkit/oci-push.js';
import { startRegistryProxy } from '../../src/testkit/registry-proxy.js';
import { COSIGN_SIGN_PREDICATE } from '../../src/verify/sigstore-bundle.js';
import { deployment, repo, startBench, verify, type Bench } from '../parity/fixture.js';
import { indent } from '../helpers/engine.js';

const b: Bench = await startBench();
t.teardown(() => b.close());
const standIn = await createSigstoreStandIn();

// Two images signed only with a key-signed signature bundle, found through referrers.
const images: string[] = [];
for (const name of ['one', 'two']) {
  const subject = await pushImageDescriptor(b.registry.host, `quirks/${name}`, '1.0', { seed: `quirks-${name}` });
  const bundle = await makeDsseBundle({ digest: subject.digest, standIn, identity: { subject: 'x', issuer: 'y' }, key: b.key, predicateType: COSIGN_SIGN_PREDICATE, predicate: {}, version: 'v1' });
  await pushBundleReferrer({ registry: b.registry.host, repo: `quirks/${name}`, subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, predicateType: COSIGN_SIGN_PREDICATE, bundle });
  images.push(name);
}

// The "API" a redirect points at: never to be asked.
let apiRequests = 0;
const api = http.createServer((_req, res) => {
  apiRequests++;
  res.writeHead(429, { 'retry-after': '0' }).end('{"message":"API rate limit exceeded"}');
});
await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
t.teardown(() => new Promise<void>((r) => api.close(() => r())));
const apiPort = (api.address() as AddressInfo).port;

const policy = (host: string) => `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: bundles}
spec:
  validationFailureAction: Enforce
  rules:
    - name: check
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - imageReferences: ["${host}/quirks/*"]
          mutateDigest: false
          verifyDigest: false
          type: SigstoreBundle
          attestors:
            - entries:
                - keys:
                    rekor: {ignoreTlog: true}
                    publicKeys: |-
${indent(b.key.publicKeyPem, 22)}
`;

const cases: [string, { status: number; headers?: Record<string, string>; body?: string }, RegExp][] = [
  ['GHCR: 303 to an API on another host', { status: 303, headers: { location: `http://localhost:${apiPort}/repos/quirks/referrers` } }, /redirects to another host \(localhost:\d+\)/],
  ['429 after the retries', { status: 429, headers: { 'retry-after': '0' }, body: '{"errors":[{"code":"TOOMANYREQUESTS"}]}' }, /rate-limited \(429 after retries\)/],
  ['an HTML page', { status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Sign in</body></html>' }, /the referrers API answer: body is not JSON/],
  ['JSON that is no image index', { status: 200, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' }, /not an image index/],
];

for (const [name, referrers, note] of cases) {
  t.test(name, async (t) => {
    const proxy = await startRegistryProxy(b.registry.host, { referrers });
    t.teardown(() => proxy.stop());
    const before = apiRequests;
    const dir = await repo(t, {
      'p.yaml': policy(proxy.host),
      ...Object.fromEntries(images.map((n) => [`deploy/${n}.yaml`, deployment(n, `${proxy.host}/quirks/${n}:1.0`)])),
    });
    const run = await verify(dir, ['deploy', '--policy', 'p.yaml', '-v']);
    t.equal(run.code, 0, run.stderr);
    t.same(run.verdicts, { 'quirks/one:1.0': 'pass', 'quirks/two:1.0': 'pass' }, 'the bundles were found through the tag schema');
    // Remembered for the registry: one request for two images (a 429 is that request and its 11 retries).
    t.equal(proxy.referrerRequests(), referrers.status === 429 ? 12 : 1, 'asked once for two images');
    t.equal(apiRequests, before, 'a redirect off the registry is never followed');
    const notes = run.stderr.split('\n').filter((l) => l.includes('sha256-<hex> tag schema'));
    t.equal(notes.length, 1, 'said once, at -v');
    t.match(notes[0], note);
  });
}

t.test('without -v nothing is said; a usable API is used as before', async (t) => {
  const proxy = await startRegistryProxy(b.registry.host, { referrers: { status: 303, headers: { location: `http://localhost:${apiPort}/x` } } });
  t.teardown(() => proxy.stop());
  const dir = await repo(t, { 'p.yaml': policy(proxy.host), 'deploy/one.yaml': deployment('one', `${proxy.host}/quirks/one:1.0`) });
  const run = await verify(dir, ['deploy', '--policy', 'p.yaml']);
  t.equal(run.code, 0, run.stderr);
  t.same(run.verdicts, { 'quirks/one:1.0': 'pass' });
  t.notMatch(run.stderr, 'tag schema');
});

t.test('a bundle listing that fails leaves the legacy .att tag to decide (security-profiles-operator#3449); with nothing there the image is error, not fail', async (t) => {
  const type = 'https://example.com/scan/v1';
  const { attestImage } = await import('../../src/testkit/sigstore-signer.js');
  const { pushImage } = await import('../../src/testkit/oci-push.js');
  const attested = await pushImage(b.registry.host, 'quirks/attested', '1.0', { seed: 'quirks-attested' });
  // Logged (an ImageValidatingPolicy refuses an unlogged legacy .att, as Kyverno does).
  await attestImage({ registry: b.registry.host, repo: 'quirks/attested', digest: attested, signer: { key: b.key }, logWith: standIn, predicateType: type, predicate: {} });
  await pushImage(b.registry.host, 'quirks/bare', '1.0', { seed: 'quirks-bare' });
  const proxy = await startRegistryProxy(b.registry.host, { referrers: { status: 403, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"DENIED"}]}' } });
  t.teardown(() => proxy.stop());
  // An ImageValidatingPolicy reads bundles and tags (Kyverno type Cosign reads no bundle at all).
  const attPolicy = `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: {name: attested}
spec:
  validationConfigurations: {mutateDigest: false, verifyDigest: false}
  matchImageReferences:
    - glob: "${proxy.host}/quirks/*"
  attestors:
    - name: k
      cosign:
        key:
          data: |
${indent(b.key.publicKeyPem, 12)}
        ctlog:
          rekorPubKey: |
${indent(standIn.rekorPublicKeyPem, 12)}
  attestations:
    - name: scan
      intoto: {type: ${type}}
  validations:
    - expression: images.containers.map(image, verifyAttestationSignatures(image, attestations.scan, [attestors.k])).all(e, e > 0)
      message: no scan attestation
`;
  const dir = await repo(t, {
    'p.yaml': attPolicy,
    'deploy/attested.yaml': deployment('attested', `${proxy.host}/quirks/attested:1.0`),
    'deploy/bare.yaml': deployment('bare', `${proxy.host}/quirks/bare:1.0`),
  });
  const run = await verify(dir, ['deploy', '--policy', 'p.yaml']);
  t.equal(run.code, 3, run.stderr);
  t.same(run.verdicts, { 'quirks/attested:1.0': 'pass', 'quirks/bare:1.0': 'error' });
  t.match(run.stdout, 'cannot list attestation bundles');
});

t.test('a 404 is remembered for its repository only: a registry with the API may answer so for a repository it does not hold', async (t) => {
  const { createRegistryClient } = await import('../../src/registry/client.js');
  const digest = `sha256:${'ab'.repeat(32)}`;
  const listed = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'cd'.repeat(32)}`, size: 10, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' };
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    asked.push(req.url ?? '');
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    if (req.url?.startsWith('/v2/gone/referrers/')) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
    if (req.url?.startsWith('/v2/here/referrers/')) return void res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' }).end(JSON.stringify({ schemaVersion: 2, manifests: [listed] }));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const notes: string[] = [];
  const client = createRegistryClient({ insecureRegistries: [host], onNote: (m) => notes.push(m) });
  t.teardown(() => client.close());
  t.same(await client.referrers({ registry: host, repository: 'gone' }, digest), [], 'the missing repository: the tag schema, nothing there');
  t.same(await client.referrers({ registry: host, repository: 'here' }, digest), [listed], 'another repository still asks the API');
  t.same(await client.referrers({ registry: host, repository: 'gone' }, digest), []);
  t.equal(asked.filter((u) => u.startsWith('/v2/gone/referrers/')).length, 1, 'the 404 is remembered for that repository');
  t.match(notes.join('\n'), /for gone \(and each repository that answers so\)/);
});
