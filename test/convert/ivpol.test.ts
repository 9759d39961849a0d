// `convert --to ivpol`: the output is a valid ImageValidatingPolicy (strict fields, CEL that
// compiles) for every Kyverno policy of the shared corpus, and a repository verified with the
// converted policies gets the same verdict per image as with the originals (REAL registry).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { convertPolicy } from '../../src/convert/ivpol.js';
import { parsePolicyDocuments } from '../../src/policy/document.js';
import { loadPolicies } from '../../src/policy/loaders.js';
import { loadCel } from '../../src/policy/ivpol/cel-runtime.js';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { attestImage } from '../../src/testkit/sigstore-signer.js';
import { makeSigner, pushNotationSignature, descriptorOf, signEnvelope } from '../../src/testkit/notation-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { runCli, tempRepo } from '../helpers/cli.js';
import { deployment, indent, kyverno, runScenario } from '../helpers/engine.js';
import { fixturesDir } from '../policy/helpers.js';

// The CEL engine loads lazily (prepareLoaders); these tests call loadPolicies directly.
await loadCel();

const notarySigner = await makeSigner('C=US, ST=WA, O=Notary, CN=convert');
const trusted = generateKeyPair('ecdsa-p256');
const second = generateKeyPair('ecdsa-p256');

let registry: TestRegistry;
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

const convert = (text: string, file = 'p.yaml') =>
  parsePolicyDocuments(text, file)
    .map((d) => convertPolicy(d))
    .filter((c) => c !== null);

const corpus = path.join(fixturesDir, 'policies');
t.test('every Kyverno policy of the shared corpus converts to a valid ImageValidatingPolicy', { skip: existsSync(corpus) ? false : 'shared fixtures not found' }, async (t) => {
  const files = readdirSync(corpus, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml')).sort();
  let converted = 0;
  let notes = 0;
  for (const f of files) {
    const text = readFileSync(path.join(corpus, f), 'utf8');
    if (!/^kind: (ClusterPolicy|Policy)$/m.test(text) || !/verifyImages:/.test(text)) continue;
    for (const c of convert(text, f)) {
      converted++;
      notes += c.notes.length;
      t.doesNotThrow(() => loadPolicies([{ file: `${f} (converted)`, text: c.yaml }]), `${f}: the output loads (strict fields, CEL compiles)`);
      for (const n of c.notes) t.match(c.yaml, `# convert: ${n.message.split(':')[0]}`, `${f}: each note is also a comment in the output`);
    }
  }
  t.ok(converted >= 25, `${converted} policies converted (${notes} notes)`);
});

let n = 0;
async function image(opts: { keys?: typeof trusted[]; annotations?: Record<string, string>; attest?: object; notation?: boolean } = {}) {
  const repo = `convert/img${++n}`;
  const digest = await pushImage(registry.host, repo, '1.0', { seed: `convert${n}` });
  for (const key of opts.keys ?? []) await signImage({ registry: registry.host, repo, digest, key, annotations: opts.annotations });
  if (opts.attest) await attestImage({ registry: registry.host, repo, digest, signer: { key: trusted }, predicateType: 'https://example.com/scan/v1', predicate: opts.attest, tlog: 'none' });
  if (opts.notation) {
    const subject = await descriptorOf(registry.host, repo, '1.0');
    await pushNotationSignature({ registry: registry.host, repo, subject, envelope: await signEnvelope({ format: 'jws', chain: notarySigner.chain, target: subject }), mediaType: 'application/jose+json' });
  }
  return { repo, digest, ref: `${registry.host}/${repo}:1.0` };
}

/**
 * Verdicts per image with the original policy and with its conversion: they must be the same, unless
 * `differs` says how Kyverno judges the ImageValidatingPolicy otherwise (and the conversion notes why).
 */
async function same(t: Test, name: string, policy: string, images: { repo: string; ref: string }[], differs?: { note: RegExp; ivpol: string[] }) {
  const manifests = Object.fromEntries(images.map((img, i) => [`d${i}.yaml`, deployment(`d${i}`, img.ref)]));
  const [converted] = convert(policy);
  t.ok(converted, `${name}: converted`);
  if (differs) {
    t.match(converted!.notes.map((n) => n.message), [differs.note], `${name}: the conversion says why Kyverno judges it otherwise`);
    const ivpol = await runScenario(t, { manifests, policies: { 'p.yaml': converted!.yaml } });
    t.same(images.map((img) => ivpol.image(img.repo)?.status), differs.ivpol, `${name}: the ImageValidatingPolicy's verdicts (${differs.ivpol.join(', ')})`);
    return differs.ivpol;
  }
  t.same(converted!.notes, [], `${name}: nothing left out`);
  const original = await runScenario(t, { manifests, policies: { 'p.yaml': policy } });
  const ivpol = await runScenario(t, { manifests, policies: { 'p.yaml': converted!.yaml } });
  // skipImageReferences: Kyverno says `skip`, the converted policy does not select the image (`unmatched`); neither judges it.
  const statuses = (r: typeof original) => images.map((img) => (r.image(img.repo)?.status === 'unmatched' ? 'skip' : r.image(img.repo)?.status));
  t.same(statuses(ivpol), statuses(original), `${name}: same verdict per image (${statuses(original).join(', ')})`);
  t.equal(ivpol.code, original.code, `${name}: same exit code`);
  return statuses(original);
}

t.test('same verdicts: keys, count, annotations, skips, Audit, attestations with conditions, Notary', async (t) => {
  const signed = await image({ keys: [trusted] });
  const both = await image({ keys: [trusted, second] });
  const unsigned = await image();
  const annotated = await image({ keys: [trusted], annotations: { env: 'prod' } });
  const skipped = await image();
  const all = [signed, both, unsigned, annotated];
  const refs = [`${registry.host}/convert/*`];
  t.same(await same(t, 'one key', kyverno({ refs, keys: [trusted] }), all), ['pass', 'pass', 'fail', 'pass']);
  t.same(await same(t, 'all of two keys', kyverno({ refs, keys: [trusted, second] }), all), ['fail', 'pass', 'fail', 'fail']);
  t.same(await same(t, 'one of two keys (count 1)', kyverno({ refs, keys: [trusted, second], count: 1 }), all), ['pass', 'pass', 'fail', 'pass']);
  // Kyverno's ImageValidatingPolicy reads annotations from the signature layer (kyverno apply agrees: test/reference/cosign.test.ts).
  await same(t, 'annotations', kyverno({ refs, keys: [trusted], entryExtra: 'annotations:\n  env: prod' }), all, { note: /annotations: Kyverno's ImageValidatingPolicy compares them with the signature layer/, ivpol: ['fail', 'fail', 'fail', 'fail'] });
  await same(t, 'skipImageReferences', kyverno({ refs, keys: [trusted], extra: `skipImageReferences: ["${skipped.ref}"]` }), [...all, skipped]);
  await same(t, 'Audit', kyverno({ refs, keys: [trusted], extra: 'failureAction: Audit' }), all);

  const good = await image({ keys: [trusted], attest: { result: 'PASSED', score: 3 } });
  const bad = await image({ keys: [trusted], attest: { result: 'FAILED', score: 9 } });
  const none = await image({ keys: [trusted] });
  const attestations = `attestations:
  - type: https://example.com/scan/v1
    attestors:
      - entries:
          - keys:
              publicKeys: |-
${indent(trusted.publicKeyPem, 16)}
              rekor:
                ignoreTlog: true
    conditions:
      - all:
          - key: "{{ result }}"
            operator: Equals
            value: PASSED
          - key: "{{ score }}"
            operator: LessThan
            value: 5`;
  // Legacy .att attestations without a verified log entry: refused by an ImageValidatingPolicy (kyverno apply agrees).
  await same(t, 'attestations with conditions', kyverno({ refs, keys: [trusted], extra: attestations }), [good, bad, none], { note: /: rekor\.ignoreTlog: an ImageValidatingPolicy refuses a legacy \.att attestation/, ivpol: ['fail', 'fail', 'fail'] });
  const original = await runScenario(t, { manifests: { 'd0.yaml': deployment('d0', good.ref), 'd1.yaml': deployment('d1', bad.ref), 'd2.yaml': deployment('d2', none.ref) }, policies: { 'p.yaml': kyverno({ refs, keys: [trusted], extra: attestations }) } });
  t.same([good, bad, none].map((img) => original.image(img.repo)?.status), ['pass', 'fail', 'fail'], 'the ClusterPolicy itself: conditions decide');

  const notarySigned = await image({ notation: true });
  const notaryPolicy = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: notary}
spec:
  rules:
    - name: notary
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - type: Notary
          failureAction: Enforce
          imageReferences: ["${registry.host}/convert/*"]
          attestors:
            - entries:
                - certificates:
                    cert: |-
${indent(notarySigner.root.pem, 22)}
`;
  t.same(await same(t, 'Notary', notaryPolicy, [notarySigned, unsigned]), ['pass', 'fail']);
});

t.test('the command: YAML on stdout, what cannot be expressed on stderr and as a comment, exit 1', async (t) => {
  const policy = kyverno({ refs: ['registry.example/*'], keys: [trusted] }).replace('      verifyImages:', '      preconditions:\n        all:\n          - key: "{{ request.operation }}"\n            operator: Equals\n            value: CREATE\n      verifyImages:');
  const dir = await tempRepo(t, { 'policies/p.yaml': policy, 'policies/ok.yaml': kyverno({ name: 'plain', refs: ['registry.example/*'], keys: [trusted] }) }, { prefix: 'vi-convert-' });
  const r = await runCli(dir, ['convert', '--to', 'ivpol', 'policies']);
  t.equal(r.code, 1);
  t.match(r.stderr, /^policies[/\\]p\.yaml:\d+: convert: spec\.rules\[0\]\.preconditions: preconditions are JMESPath/m);
  t.match(r.stdout, /# convert: spec\.rules\[0\]\.preconditions:/);
  const docs = r.stdout.split(/^---\n/m).filter(Boolean);
  t.equal(docs.length, 2, 'one ImageValidatingPolicy per ClusterPolicy');
  t.doesNotThrow(() => loadPolicies(docs.map((text, i) => ({ file: `out${i}.yaml`, text }))));
  const clean = await runCli(dir, ['convert', 'policies/ok.yaml']);
  t.equal(clean.code, 0);
  t.equal(clean.stderr, '');
  const bad = await runCli(dir, ['convert', '--to', 'vap', 'policies']);
  t.equal(bad.code, 2);
});

t.test('a validate.manifests rule beside verifyImages is not dropped silently: a note says it stays a ClusterPolicy', async (t) => {
  const text = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: both}
spec:
  validationFailureAction: Enforce
  rules:
  - name: images
    match: {any: [{resources: {kinds: [Pod]}}]}
    verifyImages:
    - imageReferences: ["ghcr.io/acme/*"]
      attestors: [{entries: [{keys: {publicKeys: "${trusted.publicKeyPem.replace(/\n/g, '\\n')}"}}]}]
  - name: manifests
    match: {any: [{resources: {kinds: [Deployment]}}]}
    validate:
      manifests:
        attestors: [{entries: [{keys: {publicKeys: "${trusted.publicKeyPem.replace(/\n/g, '\\n')}"}}]}]
`;
  const [converted] = convert(text);
  t.ok(converted);
  t.match(converted!.notes.map((n) => `${n.line}: ${n.message}`), [/^12: spec\.rules\[1\]: validate\.manifests \(signed manifests\) has no ImageValidatingPolicy form/]);
});
