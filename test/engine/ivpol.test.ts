// Kyverno ImageValidatingPolicy end to end through the REAL registry: the examples of Kyverno's
// own conformance tests and policy library (research Appendix A), adapted to test images signed
// by the project's test kits, and every CEL function, match, action and validation configuration.
import t from 'tap';
import { makeDsseBundle, pushBundleReferrer } from '../../src/testkit/sigstore-signer.js';
import { createSigstoreStandIn } from '../../src/testkit/sigstore-stand-in.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { addReferrer, COSE, descriptorOf, makeSigner, pushNotationSignature, signEnvelope } from '../../src/testkit/notation-signer.js';
import { OCI_MANIFEST, pushBlob, pushImage, pushManifest, sha256Digest } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { indent, runScenario } from '../helpers/engine.js';

const notary = await makeSigner('C=US, ST=WA, L=Seattle, O=Notary, CN=test');
const production = generateKeyPair('ecdsa-p256');
const team = generateKeyPair('ecdsa-p256');
// Attestations are cosign 3 bundles: Kyverno's ImageValidatingPolicy refuses a legacy .att whose log entry it does not verify.
const standIn = await createSigstoreStandIn();

let registry: TestRegistry;
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

let n = 0;
async function image(opts: { keys?: typeof production[]; notation?: boolean; attest?: { key: typeof production; type: string; predicate: object } } = {}) {
  const repo = `ivpol/img${++n}`;
  const digest = await pushImage(registry.host, repo, '1.0', { seed: `ivpol${n}` });
  for (const key of opts.keys ?? []) await signImage({ registry: registry.host, repo, digest, key });
  if (opts.notation) {
    const subject = await descriptorOf(registry.host, repo, '1.0');
    await pushNotationSignature({ registry: registry.host, repo, subject, envelope: await signEnvelope({ format: 'jws', chain: notary.chain, target: subject }), mediaType: 'application/jose+json' });
  }
  if (opts.attest) {
    const b = await makeDsseBundle({ digest, standIn, identity: { subject: '' }, key: opts.attest.key, predicateType: opts.attest.type, predicate: opts.attest.predicate, version: 'v1' });
    const subject = await descriptorOf(registry.host, repo, '1.0');
    await pushBundleReferrer({ registry: registry.host, repo, subject, predicateType: opts.attest.type, bundle: b });
  }
  return { repo, digest, ref: `${registry.host}/${repo}:1.0` };
}

function pod(name: string, images: string[], labels: Record<string, string> = {}): string {
  const containers = images.map((img, i) => `    - name: c${i}\n      image: ${img}\n`).join('');
  const meta = Object.keys(labels).length ? `\n  labels:\n${Object.entries(labels).map(([k, v]) => `    ${k}: "${v}"`).join('\n')}` : '';
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}${meta}\nspec:\n  containers:\n${containers}`;
}

function ivpol(spec: string, name = 'ivpol-sample'): string {
  return `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: ${name}
spec:
${indent(spec, 2)}
`;
}

const judge = async (t: Parameters<typeof runScenario>[0], manifests: Record<string, string>, policy: string) => {
  const r = await runScenario(t, { manifests, policies: { 'p.yaml': policy } });
  return { ...r, status: (img: { repo: string }) => r.image(img.repo)?.status, reasons: (img: { repo: string }) => (r.image(img.repo)?.policies ?? []).flatMap((p) => p.reasons).join('\n') };
};

const keyAttestor = (name: string, key: typeof production) => `- name: ${name}
  cosign:
    key:
      data: |
${indent(key.publicKeyPem, 8)}
    ctlog:
      insecureIgnoreTlog: true`;

t.test('A.5 adapted: two keys, both required (AND of two validations)', async (t) => {
  const both = await image({ keys: [production, team] });
  const one = await image({ keys: [production] });
  const none = await image();
  const policy = ivpol(`validationActions: [Deny]
matchConstraints:
  resourceRules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE", "UPDATE"]
    resources: ["pods"]
matchImageReferences:
- glob: "${registry.host}/ivpol/*"
attestors:
${indent(keyAttestor('productionKey', production), 0)}
${indent(keyAttestor('namespaceKey', team), 0)}
validations:
- message: "Image is missing a valid signature from the production key."
  expression: >-
    images.containers.all(image, verifyImageSignatures(image, [attestors.productionKey]) >= 1)
- message: "Image is missing a valid signature from the namespace-specific key."
  expression: >-
    images.containers.all(image, verifyImageSignatures(image, [attestors.namespaceKey]) >= 1)`, 'verify-image-with-multi-keys');
  const r = await judge(t, { 'a.yaml': pod('a', [both.ref]), 'b.yaml': pod('b', [one.ref]), 'c.yaml': pod('c', [none.ref]) }, policy);
  t.same([r.status(both), r.status(one), r.status(none)], ['pass', 'fail', 'fail']);
  t.match(r.reasons(one), 'validations[1]: Image is missing a valid signature from the namespace-specific key.');
  t.match(r.reasons(none), 'validations[0]: Image is missing a valid signature from the production key.');
  t.match(r.image(both.repo).policies[0]!.reasons.join('\n'), /needs pin: the cluster's mutateDigest pins/, 'tag-only: passes, and says it needs pinning');
  t.equal(r.code, 1);
});

t.test('A.1 adapted: Notary attestor, an SBOM referrer, extractPayload, matchConditions on a label', async (t) => {
  const withSbom = async (bomFormat: string) => {
    const img = await image({ notation: true });
    const subject = await descriptorOf(registry.host, img.repo, '1.0');
    const payload = Buffer.from(JSON.stringify({ bomFormat, components: [] }));
    const layer = await pushBlob(registry.host, img.repo, payload);
    const empty = Buffer.from('{}');
    await pushBlob(registry.host, img.repo, empty);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'sbom/cyclone-dx', config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: sha256Digest(empty) }, layers: [{ mediaType: 'application/vnd.cyclonedx+json', size: payload.length, digest: layer }], subject }));
    const digest = sha256Digest(manifest);
    await pushManifest(registry.host, img.repo, digest, manifest, OCI_MANIFEST);
    await addReferrer({ registry: registry.host, repo: img.repo }, subject.digest, { mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: 'sbom/cyclone-dx' });
    const sbom = { mediaType: OCI_MANIFEST, digest, size: manifest.length };
    await pushNotationSignature({ registry: registry.host, repo: img.repo, subject: sbom, envelope: await signEnvelope({ format: 'cose', chain: notary.chain, target: sbom }), mediaType: COSE });
    return img;
  };
  const good = await withSbom('CycloneDX');
  const spdx = await withSbom('SPDX');
  const unsigned = await image();
  const unlabelled = await image();
  const policy = ivpol(`failurePolicy: Ignore
validationActions: [Deny]
matchConstraints:
  resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["pods"]
matchConditions:
  - name: "check-prod-label"
    expression: >-
      has(object.metadata.labels) && has(object.metadata.labels.prod) && object.metadata.labels.prod == 'true'
matchImageReferences:
  - glob: ${registry.host}/*
validationConfigurations:
  mutateDigest: false
  verifyDigest: false
  required: false
attestors:
  - name: notary
    notary:
      certs:
        value: |-
${indent(notary.root.pem, 10)}
attestations:
  - name: sbom
    referrer:
      type: sbom/cyclone-dx
validations:
  - expression: >-
      images.containers.map(image, verifyImageSignatures(image, [attestors.notary])).all(e, e > 0)
    message: failed to verify image with notary cert
  - expression: >-
      images.containers.map(image, verifyAttestationSignatures(image, attestations.sbom ,[attestors.notary])).all(e, e > 0)
    message: failed to verify attestation with notary cer
  - expression: >-
      images.containers.map(image, extractPayload(image, attestations.sbom).bomFormat == 'CycloneDX').all(e, e)
    message: sbom is not a cyclone dx sbom`);
  const r = await judge(t, {
    'good.yaml': pod('good', [good.ref], { prod: 'true' }),
    'spdx.yaml': pod('spdx', [spdx.ref], { prod: 'true' }),
    'bad.yaml': pod('bad', [unsigned.ref], { prod: 'true' }),
    'other.yaml': pod('other', [unlabelled.ref]),
  }, policy);
  t.same([r.status(good), r.status(spdx), r.status(unsigned), r.status(unlabelled)], ['pass', 'fail', 'fail', 'unmatched']);
  t.match(r.reasons(spdx), 'validations[2]: sbom is not a cyclone dx sbom');
  t.match(r.reasons(unsigned), 'validations[0]: failed to verify image with notary cert');
  t.match(r.image(good.repo).policies[0]!.signers?.[0], /CN=test/);
});

t.test('A.2 adapted: an in-toto attestation, and extractPayload only after it was verified', async (t) => {
  const slsa = 'https://slsa.dev/provenance/v1';
  const attested = await image({ attest: { key: production, type: slsa, predicate: { buildDefinition: { buildType: 'x' } } } });
  const byOther = await image({ attest: { key: team, type: slsa, predicate: { buildDefinition: { buildType: 'x' } } } });
  const noDefinition = await image({ attest: { key: production, type: slsa, predicate: { runDetails: {} } } });
  const spec = (validations: string) => `validationActions: [Deny]
matchImageReferences:
  - glob: ${registry.host}/ivpol/*
validationConfigurations:
  mutateDigest: false
  verifyDigest: false
  required: false
attestors:
${keyAttestor('cosign', production)}
attestations:
  - name: slsa
    intoto:
      type: ${slsa}
validations:
${indent(validations, 2)}`;
  const r = await judge(t, { 'a.yaml': pod('a', [attested.ref, byOther.ref, noDefinition.ref]) }, ivpol(spec(`- expression: >-
    images.containers.map(image, verifyAttestationSignatures(image, attestations.slsa, [attestors.cosign])).all(e, e > 0)
  message: failed to verify SLSA intoto attestation
- expression: >-
    images.containers.map(image, has(extractPayload(image, attestations.slsa).predicate.buildDefinition)).all(e, e)
  message: failed to extract SLSA intoto attestation payload after verification`)));
  t.same([r.status(attested), r.status(byOther), r.status(noDefinition)], ['pass', 'fail', 'fail']);
  t.match(r.reasons(byOther), 'validations[0]: failed to verify SLSA intoto attestation');
  t.match(r.reasons(noDefinition), 'validations[1]: failed to extract');
  const early = await judge(t, { 'a.yaml': pod('a', [attested.ref]) }, ivpol(spec(`- expression: "images.containers.all(i, has(extractPayload(i, attestations.slsa).predicate))"`)));
  t.equal(early.status(attested), 'error', 'extractPayload before verifyAttestationSignatures: never an unverified payload');
  t.match(early.reasons(attested), /intoto attestation payload cannot be fetched before verifying intoto attestation "slsa"/);
});

t.test('A.3 adapted: mutateDigest — the validations see the pinned reference; without it a tag fails', async (t) => {
  const img = await image();
  const spec = (mutate: boolean) => `validationActions: [Deny]
matchImageReferences:
  - glob: ${registry.host}/**
validationConfigurations:
  mutateDigest: ${mutate}
  verifyDigest: false
  required: false
attestors: []
validations:
  - expression: >-
      images.containers.map(image, image.contains('@sha256:')).all(e, e)
    message: image must already be pinned to a digest by the mutating webhook`;
  const pinned = await judge(t, { 'a.yaml': pod('a', [img.ref]) }, ivpol(spec(true)));
  t.equal(pinned.status(img), 'pass');
  t.match(pinned.reasons(img), 'needs pin');
  const notPinned = await judge(t, { 'a.yaml': pod('a', [img.ref]) }, ivpol(spec(false)));
  t.equal(notPinned.status(img), 'fail');
  t.match(notPinned.reasons(img), 'image must already be pinned to a digest by the mutating webhook');
});

t.test('validationConfigurations: verifyDigest refuses a tag before any registry call; required needs a verification', async (t) => {
  const signed = await image({ keys: [production] });
  const unsignedImg = await image();
  const base = (config: string, validation: string) => `validationActions: [Deny]
matchImageReferences:
  - glob: ${registry.host}/ivpol/*
validationConfigurations:
${indent(config, 2)}
attestors:
${keyAttestor('k', production)}
validations:
  - expression: ${JSON.stringify(validation)}`;
  const digestOnly = await judge(t, { 'a.yaml': pod('a', [signed.ref]) }, ivpol(base('mutateDigest: false\nverifyDigest: true', 'true')));
  t.equal(digestOnly.status(signed), 'fail');
  t.match(digestOnly.reasons(signed), `image ${signed.ref} does not have a digest`);
  const notChecked = await judge(t, { 'a.yaml': pod('a', [signed.ref]) }, ivpol(base('required: true\nverifyDigest: false', 'true')));
  t.equal(notChecked.status(signed), 'fail');
  t.match(notChecked.reasons(signed), 'is not verified: no policy performed a signature or attestation check on it');
  const lenient = await judge(t, { 'a.yaml': pod('a', [unsignedImg.ref]) }, ivpol(base('required: true\nverifyDigest: false', 'images.containers.all(i, verifyImageSignatures(i, [attestors.k]) >= 0)')));
  t.equal(lenient.status(unsignedImg), 'fail', 'a validation that lets a failed verification through still does not verify it');
  t.match(lenient.reasons(unsignedImg), 'failed signature or attestation verification');
});

t.test('validationActions Audit and Warn only warn; failurePolicy Ignore forgives registry trouble', async (t) => {
  const unsigned = await image();
  const spec = (extra: string) => `${extra}
matchImageReferences:
  - glob: "*"
validationConfigurations:
  verifyDigest: false
  required: false
attestors:
${keyAttestor('k', production)}
validations:
  - expression: images.containers.all(i, verifyImageSignatures(i, [attestors.k]) > 0)`;
  for (const action of ['Audit', 'Warn']) {
    const r = await judge(t, { 'a.yaml': pod('a', [unsigned.ref]) }, ivpol(spec(`validationActions: [${action}]`)));
    t.equal(r.status(unsigned), 'warn', `${action}: warn`);
    t.equal(r.code, 0);
  }
  const down = { repo: 'down/app', ref: '127.0.0.1:9/down/app:1' };
  const fail = await judge(t, { 'a.yaml': pod('a', [down.ref]) }, ivpol(spec('validationActions: [Deny]')));
  t.equal(fail.status(down), 'error');
  t.equal(fail.code, 3);
  const ignore = await judge(t, { 'a.yaml': pod('a', [down.ref]) }, ivpol(spec('validationActions: [Deny]\nfailurePolicy: Ignore')));
  t.equal(ignore.status(down), 'error');
  t.equal(ignore.code, 0, 'Ignore: registry trouble does not block');
});

t.test('matchConstraints with autogen: a pods rule judges Deployments; podControllers narrows it', async (t) => {
  const signed = await image({ keys: [production] });
  const deploy = `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: ${signed.ref}\n`;
  const spec = (autogen: string) => `validationActions: [Deny]
matchConstraints:
  resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["pods"]
${autogen}
validationConfigurations:
  verifyDigest: false
attestors:
${keyAttestor('k', production)}
validations:
  - expression: images.containers.all(i, verifyImageSignatures(i, [attestors.k]) > 0)`;
  t.equal((await judge(t, { 'd.yaml': deploy }, ivpol(spec('')))).status(signed), 'pass');
  t.equal((await judge(t, { 'd.yaml': deploy }, ivpol(spec('autogen:\n  podControllers:\n    controllers: []')))).status(signed), 'unmatched');
  t.equal((await judge(t, { 'd.yaml': deploy }, ivpol(spec('autogen:\n  podControllers:\n    controllers: [deployments]')))).status(signed), 'pass');
});

t.test('images[] extractors read custom resources; the use points at the value', async (t) => {
  const signed = await image({ keys: [production] });
  const unsigned = await image();
  const taskRun = `apiVersion: tekton.dev/v1
kind: TaskRun
metadata: {name: build}
spec:
  taskSpec:
    steps:
      - name: a
        image: ${signed.ref}
      - name: b
        image: ${unsigned.ref}
`;
  const policy = ivpol(`validationActions: [Deny]
matchConstraints:
  resourceRules:
    - apiGroups: ["tekton.dev"]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["taskruns"]
images:
  - name: steps
    expression: object.spec.taskSpec.steps.map(s, s.image)
validationConfigurations:
  verifyDigest: false
attestors:
${keyAttestor('k', production)}
validations:
  - expression: images.steps.all(i, verifyImageSignatures(i, [attestors.k]) > 0)
    message: every step image must be signed`);
  const r = await judge(t, { 'tr.yaml': taskRun }, policy);
  t.same([r.status(signed), r.status(unsigned)], ['pass', 'fail']);
  // One use at the value: the built-in Tekton table and the policy's images[] extractor find the same one.
  t.match(r.image(unsigned.repo).uses, [{ kind: 'TaskRun', name: 'build', line: 10 }]);
  t.match(r.reasons(unsigned), 'every step image must be signed');
});

t.test('cluster lookups are errors that say so; JSON mode is unsupported (blocks)', async (t) => {
  const img = await image({ keys: [production] });
  const lookup = ivpol(`validationActions: [Deny]
variables:
  - name: keys
    expression: 'resource.Get("v1", "configmaps", "default", "keys")'
validationConfigurations:
  verifyDigest: false
attestors:
${keyAttestor('k', production)}
validations:
  - expression: images.containers.all(i, verifyImageSignatures(i, [attestors.k]) > 0)`);
  const r = await judge(t, { 'a.yaml': pod('a', [img.ref]) }, lookup);
  t.equal(r.status(img), 'error');
  t.match(r.reasons(img), /variables\.keys: resource\.Get needs the cluster/);
  const json = await judge(t, { 'a.yaml': pod('a', [img.ref]) }, ivpol(`evaluation:\n  mode: JSON\nimages:\n  - name: bar\n    expression: "[object.foo.bar]"\nattestors:\n${keyAttestor('k', production)}\nvalidations:\n  - expression: "true"`));
  t.equal(json.status(img), 'error');
  t.match(json.reasons(img), /unsupported: evaluation\.mode JSON/);
  t.equal(json.code, 3);
});

t.test('an attestor this tool cannot evaluate blocks under validationActions Audit too (exit 3), marked unsupported', async (t) => {
  const img = await image({ keys: [production] });
  const policy = ivpol(`validationActions: [Audit]
validationConfigurations:
  verifyDigest: false
attestors:
  - name: k
    cosign:
      key:
        expression: '"not a key"'
validations:
  - expression: images.containers.all(i, verifyImageSignatures(i, [attestors.k]) > 0)`);
  const r = await judge(t, { 'a.yaml': pod('a', [img.ref]) }, policy);
  t.equal(r.status(img), 'error');
  t.match(r.reasons(img), /unsupported: key\.expression did not give a PEM public key/);
  t.match(r.image(img.repo)?.policies[0], { mode: 'audit', onError: 'block', unsupported: true });
  t.equal(r.code, 3, 'Audit would only report a failure; an undecidable check is not let through');
});
