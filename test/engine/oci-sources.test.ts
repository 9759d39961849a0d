// Issue 24.2: signed OCI sources, judged before anything is rendered. A Helm chart an Argo CD
// Application names in an OCI registry, a Flux OCIRepository (with and without its own
// spec.verify), a chart a HelmRelease takes from an OCI HelmRepository, and an Istio WasmPlugin
// module, each pushed to a real registry (Debian's distribution) and signed (or not) with cosign's
// format; every verdict asserted per artifact.
import t from 'tap';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { runCli, tempRepo } from '../helpers/cli.js';
import { indent } from '../helpers/engine.js';

let registry: TestRegistry;
const key = generateKeyPair('ecdsa-p256');
const other = generateKeyPair('ecdsa-p256');
let host = '';
t.before(async () => {
  registry = await startRegistry();
  host = registry.host;
  const signed = async (repo: string, tag: string, by = key) => signImage({ registry: host, repo, digest: await pushImage(host, repo, tag, { seed: `${repo}:${tag}` }), key: by });
  await signed('charts/podinfo', '6.5.0');
  await pushImage(host, 'charts/podinfo', '6.6.0', { seed: 'unsigned-chart' });
  await signed('manifests/app', '1.0');
  await signed('manifests/rogue', '1.0', other);
  await signed('charts/redis', '19.0.1');
  await signed('wasm/filter', 'v1');
  await pushImage(host, 'manifests/unmatched', '2.0', { seed: 'unmatched' });
});
t.teardown(() => registry?.stop());

const policy = () => `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: signed-artifacts}
spec:
  validationFailureAction: Enforce
  rules:
  - name: charts
    match: {any: [{resources: {kinds: [Pod]}}]}
    verifyImages:
    - imageReferences: ["${host}/charts/*", "${host}/wasm/*"]
      mutateDigest: false
      verifyDigest: false
      attestors:
      - entries:
        - keys:
            rekor: {ignoreTlog: true}
            publicKeys: |-
${indent(key.publicKeyPem.trim(), 14)}
`;

const application = (chart: string, version: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ${chart}-${version.replace(/\W/g, '')}, namespace: argocd}
spec:
  project: default
  source:
    repoURL: oci://${host}/charts
    chart: ${chart}
    targetRevision: ${JSON.stringify(version)}
  destination: {server: https://kubernetes.default.svc, namespace: web}
`;

async function verdicts(t: Parameters<typeof tempRepo>[0], files: Record<string, string>) {
  const dir = await tempRepo(t, { 'policy.yaml': policy(), ...files });
  const r = await runCli(dir, ['verify', '-p', 'policy.yaml', 'apps', '-o', 'json', '--no-cache']);
  const json = JSON.parse(r.stdout || '{"results":[]}') as { results: { kind?: string; image: string; status: string; policies: { policy: string; reasons: string[] }[]; uses: { file: string; line: number }[] }[] };
  const out: Record<string, { kind?: string; status: string; policies: string[]; reasons: string; at: string }> = {};
  for (const x of json.results) out[x.image.replace(`${host}/`, '')] = { ...(x.kind && { kind: x.kind }), status: x.status, policies: x.policies.map((p) => p.policy), reasons: x.policies.flatMap((p) => p.reasons).join('; '), at: `${x.uses[0]?.file}:${x.uses[0]?.line}` };
  return { code: r.code, out, stderr: r.stderr };
}

t.test('an Argo CD Application\'s OCI Helm chart is a source subject, judged by the image policies that match it', async (t) => {
  const { code, out } = await verdicts(t, { 'apps/app.yaml': application('podinfo', '6.5.0') + '---\n' + application('podinfo', '6.6.0') });
  t.match(out['charts/podinfo:6.5.0'], { kind: 'source', status: 'pass', policies: ['signed-artifacts'], at: 'apps/app.yaml:1' });
  t.match(out['charts/podinfo:6.6.0'], { kind: 'source', status: 'fail' });
  t.equal(code, 1, 'an unsigned chart blocks before anything is rendered');
});

t.test('charts that are not verified are said so: over HTTPS (Argo CD and Flux), from a HelmRepository not among the inputs', async (t) => {
  const files = {
    'apps/app.yaml': application('podinfo', '6.5.0').replace(`oci://${host}/charts`, 'https://stefanprodan.github.io/podinfo'),
    'apps/flux.yaml': `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: classic, namespace: flux-system}
spec: {url: "https://charts.example.com", interval: 1h}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: classic, namespace: flux-system}
spec:
  interval: 10m
  chart: {spec: {chart: web, version: "1.0.0", sourceRef: {kind: HelmRepository, name: classic}}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: elsewhere, namespace: flux-system}
spec:
  interval: 10m
  chart: {spec: {chart: api, version: "2.0.0", sourceRef: {kind: HelmRepository, name: infra-charts}}}
`,
  };
  const { out, stderr } = await verdicts(t, files);
  t.same(Object.keys(out), [], 'no source subject: nothing to verify a signature of');
  t.match(stderr, /Application argocd\/podinfo-650 \(apps\/app\.yaml:1\): chart podinfo comes from https:\/\/stefanprodan\.github\.io\/podinfo, a Helm repository over HTTPS: its signature is not checked/);
  t.match(stderr, /HelmRelease flux-system\/classic \(apps\/flux\.yaml:6\): chart web comes from https:\/\/charts\.example\.com, a Helm repository over HTTPS/);
  t.match(stderr, /HelmRelease flux-system\/elsewhere \(apps\/flux\.yaml:\d+\): chart api comes from HelmRepository flux-system\/infra-charts, which is not among the manifests verified/);
});

t.test('a chart version range cannot name one artifact: exit 2 at the Application', async (t) => {
  const dir = await tempRepo(t, { 'policy.yaml': policy(), 'apps/app.yaml': application('podinfo', '6.*') });
  const r = await runCli(dir, ['verify', '-p', 'policy.yaml', 'apps', '--no-cache']);
  t.equal(r.code, 2);
  t.match(r.stderr, /apps\/app\.yaml:1:1: Application .*: spec\.source\.targetRevision: "6\.\*" is a version range/);
});

const secret = (name: string, pem: string) => `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: flux-system}
stringData:
  cosign.pub: |
${indent(pem.trim(), 4)}
`;
const ociRepository = (name: string, repo: string, tag: string, verify = '') => `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: ${name}, namespace: flux-system}
spec:
  interval: 5m
  url: oci://${host}/${repo}
  ref: {tag: "${tag}"}
${verify}`;

t.test('a Flux OCIRepository with spec.verify (cosign, keys from a Secret in the repository) is judged by it', async (t) => {
  const verify = '  verify:\n    provider: cosign\n    secretRef: {name: cosign-keys}\n';
  const { code, out } = await verdicts(t, {
    'apps/sources.yaml': [ociRepository('app', 'manifests/app', '1.0', verify), ociRepository('rogue', 'manifests/rogue', '1.0', verify), secret('cosign-keys', key.publicKeyPem)].join('---\n'),
  });
  t.match(out['manifests/app:1.0'], { kind: 'source', status: 'pass', policies: ['OCIRepository flux-system/app'] });
  t.match(out['manifests/rogue:1.0'], { kind: 'source', status: 'fail', policies: ['OCIRepository flux-system/rogue'] });
  t.equal(code, 1);
});

t.test('a Secret whose cosign.pub does not parse blocks the artifact (Flux cannot load it either)', async (t) => {
  const verify = '  verify:\n    provider: cosign\n    secretRef: {name: broken}\n';
  const { code, out } = await verdicts(t, { 'apps/sources.yaml': [ociRepository('app', 'manifests/app', '1.0', verify), secret('broken', '-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----')].join('---\n') });
  t.match(out['manifests/app:1.0'], { kind: 'source', status: 'error' });
  t.match(out['manifests/app:1.0']!.reasons, /cosign\.pub of the Secret flux-system\/broken does not parse as a PEM public key .*not base64 DER\) at apps\/sources\.yaml/);
  t.equal(code, 3);
});

t.test('spec.verify whose Secret is not in the repository is undecided (exit 3); no verify and no policy is unmatched', async (t) => {
  const verify = '  verify:\n    provider: cosign\n    secretRef: {name: elsewhere}\n';
  const { code, out } = await verdicts(t, { 'apps/sources.yaml': [ociRepository('app', 'manifests/app', '1.0', verify), ociRepository('plain', 'manifests/unmatched', '2.0')].join('---\n') });
  t.match(out['manifests/app:1.0'], { kind: 'source', status: 'error' });
  t.match(out['manifests/app:1.0']!.reasons, /Secret flux-system\/elsewhere \(secretRef\) holding the cosign public keys \(\*\.pub\) is not in the repository or the policy files, .*commit it/);
  t.match(out['manifests/unmatched:2.0'], { kind: 'source', status: 'unmatched' });
  t.equal(code, 3);
});

t.test('a HelmRelease chart from an OCI HelmRepository, and a WasmPlugin module, are judged like images', async (t) => {
  const files = {
    'apps/helm.yaml': `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: bitnami, namespace: flux-system}
spec: {type: oci, url: "oci://${host}/charts", interval: 1h}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: redis, namespace: flux-system}
spec:
  interval: 10m
  chart:
    spec:
      chart: redis
      version: "19.0.1"
      sourceRef: {kind: HelmRepository, name: bitnami}
`,
    'apps/wasm.yaml': `apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: filter, namespace: web}
spec:
  url: oci://${host}/wasm/filter:v1
`,
  };
  const { code, out, stderr } = await verdicts(t, files);
  t.match(out['charts/redis:19.0.1'], { kind: 'source', status: 'pass', at: 'apps/helm.yaml:6' });
  t.notMatch(stderr, /not checked/, 'every chart here is verified');
  t.match(out['wasm/filter:v1'], { status: 'pass', at: 'apps/wasm.yaml:1' });
  t.equal(out['wasm/filter:v1']!.kind, undefined, 'a WASM module runs in the workload: an image');
  t.equal(code, 0);
});

t.test('Flux spec.verify provider notation: the Secret\'s trustpolicy.json and certificates judge the artifact', async (t) => {
  const { makeSigner, pushNotationSignature, descriptorOf, signEnvelope } = await import('../../src/testkit/notation-signer.js');
  const signer = await makeSigner('C=US, ST=WA, O=Acme, CN=flux-notation');
  const stranger = await makeSigner('C=US, ST=WA, O=Other, CN=stranger');
  await pushImage(host, 'notation/app', '1.0', { seed: 'notation-app' });
  await pushImage(host, 'notation/rogue', '1.0', { seed: 'notation-rogue' });
  await pushImage(host, 'elsewhere/app', '1.0', { seed: 'elsewhere-app' });
  for (const [repo, s] of [['notation/app', signer], ['notation/rogue', stranger], ['elsewhere/app', signer]] as const) {
    const subject = await descriptorOf(host, repo, '1.0');
    await pushNotationSignature({ registry: host, repo, subject, envelope: await signEnvelope({ format: 'jws', chain: s.chain, target: subject }), mediaType: 'application/jose+json' });
  }
  const trustPolicy = JSON.stringify({
    version: '1.0',
    trustPolicies: [{ name: 'flux', registryScopes: [`${host}/notation/app`, `${host}/notation/rogue`], signatureVerification: { level: 'strict' }, trustStores: ['ca:flux'], trustedIdentities: ['*'] }],
  });
  const secret = `apiVersion: v1
kind: Secret
metadata: {name: notation-trust, namespace: flux-system}
stringData:
  trustpolicy.json: '${trustPolicy}'
  ca.crt: |
${indent(signer.root.pem.trim(), 4)}
`;
  const verify = '  verify:\n    provider: notation\n    secretRef: {name: notation-trust}\n';
  const { code, out } = await verdicts(t, {
    'apps/sources.yaml': [ociRepository('app', 'notation/app', '1.0', verify), ociRepository('rogue', 'notation/rogue', '1.0', verify), ociRepository('elsewhere', 'elsewhere/app', '1.0', verify), secret].join('---\n'),
  });
  t.match(out['notation/app:1.0'], { kind: 'source', status: 'pass', policies: ['OCIRepository flux-system/app'] }, out['notation/app:1.0']?.reasons);
  t.match(out['notation/rogue:1.0'], { kind: 'source', status: 'fail' }, 'signed by a CA the trust store does not hold');
  t.match(out['elsewhere/app:1.0'], { kind: 'source', status: 'fail' });
  t.match(out['elsewhere/app:1.0']!.reasons, /no trust policy statement of trustpolicy\.json applies/);
  t.equal(code, 1);
});

t.test('Flux spec.verify keyless (matchOIDCIdentity, unanchored regexps) against the trusted root', async (t) => {
  const { createSigstoreStandIn } = await import('../../src/testkit/sigstore-stand-in.js');
  const { signImageKeyless } = await import('../../src/testkit/sigstore-signer.js');
  const standIn = await createSigstoreStandIn();
  const issuer = 'https://token.actions.githubusercontent.com';
  const digest = await pushImage(host, 'keyless/app', '1.0', { seed: 'keyless-app' });
  await signImageKeyless({ registry: host, repo: 'keyless/app', digest, signer: { standIn, identity: { subject: 'https://github.com/acme/app/.github/workflows/release.yaml@refs/tags/v1.0', issuer } } });
  const verify = (subject: string) => `  verify:\n    provider: cosign\n    matchOIDCIdentity:\n      - issuer: "^https://token.actions.githubusercontent.com$"\n        subject: "${subject}"\n`;
  const dir = await tempRepo(t, {
    'policy.yaml': policy(),
    'root.json': standIn.trustedRootJson,
    'apps/sources.yaml': [ociRepository('ours', 'keyless/app', '1.0', verify('github.com/acme/app/')), ociRepository('theirs', 'keyless/app', '1.0', verify('^https://github.com/other/'))].join('---\n'),
  });
  const r = await runCli(dir, ['verify', '-p', 'policy.yaml', 'apps', '-o', 'json', '--no-cache', '--trusted-root', `${dir}/root.json`]);
  const json = JSON.parse(r.stdout) as { results: { kind?: string; image: string; status: string; policies: { policy: string; status: string; reasons: string[] }[] }[] };
  const result = json.results.find((x) => x.image === `${host}/keyless/app:1.0`)!;
  t.equal(result.kind, 'source');
  const byPolicy = Object.fromEntries(result.policies.map((p) => [p.policy, p]));
  t.equal(byPolicy['OCIRepository flux-system/ours']?.status, 'pass', byPolicy['OCIRepository flux-system/ours']?.reasons.join('; '));
  t.equal(byPolicy['OCIRepository flux-system/theirs']?.status, 'fail');
  t.equal(result.status, 'fail', 'one artifact, two objects: the worst verdict');
  t.equal(r.code, 1);
});
