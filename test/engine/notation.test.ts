// Notation end to end through the REAL registry (Debian's docker-registry 2.8: no referrers API,
// so signatures are found through the `sha256-<hex>` referrers-tag index): trust policies and
// trust stores kept beside them, every level, the notation-go vectors, and Kyverno `type: Notary`.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { fixturesDir } from '../verify/fixtures/helpers.js';
import { openEnvelope } from '../../src/verify/notation/envelope.js';
import { COSE, descriptorOf, JWS, makeCertificate, makeSigner, pushNotationSignature, signEnvelope, type Target } from '../../src/testkit/notation-signer.js';
import { pushBlob, pushImage, pushManifest } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { deployment, indent, runScenario } from '../helpers/engine.js';

// Keys first (top-level await), then the registry: tap needs its hooks after the awaits.
const acme = await makeSigner('C=US, ST=WA, L=Seattle, O=Acme, CN=release');
const rogue = await makeSigner('C=US, ST=WA, O=Rogue, CN=rogue');

let registry: TestRegistry;
t.before(async () => {
  registry = await startRegistry();
});
t.teardown(() => registry?.stop());

let n = 0;
/** A fresh image; signed by each entry of `sign` in that order. */
async function image(sign: { by?: typeof acme; format?: 'jws' | 'cose'; expiry?: Date; tamper?: boolean; chain?: Awaited<ReturnType<typeof makeSigner>>['chain']; target?: Partial<Target> }[] = []) {
  const repo = `notation/img${++n}`;
  await pushImage(registry.host, repo, '1.0', { seed: `notation${n}` });
  const subject = await descriptorOf(registry.host, repo, '1.0');
  for (const s of sign) {
    const format = s.format ?? 'jws';
    const envelope = await signEnvelope({ format, chain: s.chain ?? (s.by ?? acme).chain, target: { ...subject, ...s.target }, ...(s.expiry && { expiry: s.expiry }), ...(s.tamper && { tamper: true }) });
    await pushNotationSignature({ registry: registry.host, repo, subject, envelope, mediaType: format === 'jws' ? JWS : COSE });
  }
  return { repo, digest: subject.digest, ref: `${registry.host}/${repo}:1.0` };
}

/** A trust policy and its store: `ca:acme` holds Acme's root. */
function trustPolicy(statements: object[], stores: Record<string, string | Uint8Array> = { 'truststore/x509/ca/acme/root.crt': acme.root.pem }) {
  return { 'trustpolicy.json': JSON.stringify({ version: '1.0', trustPolicies: statements }, null, 2), ...stores };
}
const statement = (level: string, over: object = {}) => ({
  name: `${level}-policy`,
  registryScopes: ['*'],
  signatureVerification: { level },
  trustStores: ['ca:acme'],
  trustedIdentities: ['x509.subject: C=US, ST=WA, O=Acme'],
  ...over,
});

async function judge(t: Parameters<typeof runScenario>[0], images: { repo: string; ref: string }[], policies: Record<string, string | Uint8Array>) {
  const r = await runScenario(t, { manifests: Object.fromEntries(images.map((img, i) => [`d${i}.yaml`, deployment(`d${i}`, img.ref)])), policies });
  return { ...r, status: (img: { repo: string }) => r.image(img.repo).status, reasons: (img: { repo: string }) => [...(r.image(img.repo).policies[0]?.reasons ?? []), ...(r.image(img.repo).reasons ?? [])].join('\n') };
}

t.test('each level × valid, unsigned, expired signature, invalid envelope, wrong store, identity mismatch', async (t) => {
  const valid = await image([{ by: acme }]);
  const validCose = await image([{ by: acme, format: 'cose' }]);
  const unsigned = await image();
  const expired = await image([{ by: acme, expiry: new Date(Date.now() - 60_000) }]);
  const broken = await image([{ by: acme, tamper: true }]);
  const untrusted = await image([{ by: rogue }]);
  const otherIdentity = await image([{ chain: [await makeCertificate({ subject: 'C=US, ST=OR, O=Acme, CN=x', issuer: acme.root }), acme.root] }]);
  const all = [valid, validCose, unsigned, expired, broken, untrusted, otherIdentity];
  const cases: Record<string, Record<string, string>> = {
    strict: { valid: 'pass', validCose: 'pass', unsigned: 'fail', expired: 'fail', broken: 'fail', untrusted: 'fail', otherIdentity: 'fail' },
    permissive: { valid: 'pass', validCose: 'pass', unsigned: 'fail', expired: 'warn', broken: 'fail', untrusted: 'fail', otherIdentity: 'fail' },
    audit: { valid: 'pass', validCose: 'pass', unsigned: 'fail', expired: 'warn', broken: 'fail', untrusted: 'warn', otherIdentity: 'warn' },
    skip: { valid: 'skip', validCose: 'skip', unsigned: 'skip', expired: 'skip', broken: 'skip', untrusted: 'skip', otherIdentity: 'skip' },
  };
  for (const [level, want] of Object.entries(cases)) {
    // The other stores trust Acme's root too: a store of Acme's leaf only would differ (see below).
    const policies = level === 'skip' ? trustPolicy([{ name: 's', registryScopes: ['*'], signatureVerification: { level: 'skip' } }], {}) : trustPolicy([statement(level)]);
    const r = await judge(t, all, policies);
    const got = Object.fromEntries(Object.entries({ valid, validCose, unsigned, expired, broken, untrusted, otherIdentity }).map(([k, img]) => [k, r.status(img)]));
    t.same(got, want, `level ${level}: verdict per image`);
    if (level === 'strict') {
      t.match(r.reasons(unsigned), `no signature is associated with "${registry.host}/${unsigned.repo}@${unsigned.digest}", make sure the artifact was signed successfully`);
      t.match(r.reasons(untrusted), 'signature is not produced by a trusted signer');
      t.match(r.reasons(expired), /the signature expired on/);
      t.match(r.reasons(broken), /integrity: the signature does not verify/);
      t.match(r.reasons(otherIdentity), /does not match the X\.509 trusted identities/);
      t.equal(r.code, 1);
    }
    if (level === 'audit') t.match(r.reasons(untrusted), /signature is not produced by a trusted signer \(authenticity is "log" at level audit/);
    if (level === 'skip') t.equal(r.code, 0, 'skip never fetches, never fails');
  }
});

t.test('several signatures: the first that passes wins, failures are joined', async (t) => {
  const badFirst = await image([{ by: rogue }, { by: acme, tamper: true }, { by: acme, format: 'cose' }]);
  const allBad = await image([{ by: rogue }, { by: acme, tamper: true }]);
  const r = await judge(t, [badFirst, allBad], trustPolicy([statement('strict')]));
  t.equal(r.status(badFirst), 'pass');
  t.match(r.image(badFirst.repo).policies[0]!.signers?.[0], /CN=release \(Notation COSE/);
  t.equal(r.status(allBad), 'fail');
  t.match(r.reasons(allBad), /signature 1 .*: signature is not produced by a trusted signer[\s\S]*signature 2 .*: integrity: /);
});

t.test('a signature naming another image, or a manifest with two envelopes, does not count', async (t) => {
  const donor = await image();
  const copied = await image([{ by: acme, target: { digest: donor.digest } }]);
  const two = await image();
  const subject = await descriptorOf(registry.host, two.repo, '1.0');
  const envelope = await signEnvelope({ format: 'jws', chain: acme.chain, target: subject });
  await pushNotationSignature({ registry: registry.host, repo: two.repo, subject, envelope, mediaType: JWS, layers: 2 });
  const configFlavour = await image();
  const s3 = await descriptorOf(registry.host, configFlavour.repo, '1.0');
  await pushNotationSignature({ registry: registry.host, repo: configFlavour.repo, subject: s3, envelope: await signEnvelope({ format: 'jws', chain: acme.chain, target: s3 }), mediaType: JWS, configFlavour: true });
  const r = await judge(t, [copied, two, configFlavour], trustPolicy([statement('strict')]));
  t.equal(r.status(copied), 'fail');
  t.match(r.reasons(copied), /content descriptor mismatch: the signature is not for this image/);
  t.equal(r.status(two), 'fail');
  t.match(r.reasons(two), /must hold exactly one envelope \(it has 2\)/);
  t.equal(r.status(configFlavour), 'pass', 'a signature manifest typed by its config media type is read too');
});

t.test('scopes: the exact scope beats *; an image no statement names is unmatched', async (t) => {
  const strictImg = await image([{ by: rogue }]);
  const other = await image([{ by: rogue }]);
  const policies = trustPolicy([
    statement('audit', { name: 'everything' }),
    statement('strict', { name: 'exact', registryScopes: [`${registry.host}/${strictImg.repo}`] }),
  ]);
  const r = await judge(t, [strictImg, other], policies);
  t.equal(r.status(strictImg), 'fail', 'the exact statement (strict) judges it, not *');
  t.equal(r.image(strictImg.repo).policies.length, 1);
  t.equal(r.image(strictImg.repo).policies[0]!.rule, 'trustPolicies[1]');
  t.equal(r.status(other), 'warn', '* (audit) judges the rest');
  const onlyExact = await judge(t, [strictImg, other], trustPolicy([statement('strict', { registryScopes: [`${registry.host}/${strictImg.repo}`] })]));
  t.equal(onlyExact.status(other), 'unmatched');
});

t.test('trustpolicy.oci.json is preferred to trustpolicy.json beside it', async (t) => {
  const signed = await image([{ by: acme }]);
  const lax = JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'skip', registryScopes: ['*'], signatureVerification: { level: 'skip' } }] });
  const r = await judge(t, [signed], { ...trustPolicy([statement('strict')]), 'trustpolicy.json': lax, 'trustpolicy.oci.json': trustPolicy([statement('strict')])['trustpolicy.json'] });
  t.equal(r.status(signed), 'pass', 'strict (oci) decided, not skip');
});

const vectors = path.join(fixturesDir, 'interop/notation-go');
t.test('notation-go vectors pushed to the registry: the oci-layout image with its JWS and COSE signatures', { skip: existsSync(vectors) ? false : 'shared fixtures not found' }, async (t) => {
  const blobs = path.join(vectors, 'oci-layout/blobs/sha256');
  const repo = 'notation/alpine';
  const manifestDigest = '19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0';
  for (const f of readdirSync(blobs)) if (f !== manifestDigest) await pushBlob(registry.host, repo, readFileSync(path.join(blobs, f)));
  const manifest = readFileSync(path.join(blobs, manifestDigest));
  await pushManifest(registry.host, repo, 'v2', manifest, 'application/vnd.oci.image.manifest.v1+json');
  const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${manifestDigest}`, size: manifest.length };
  const jws = readFileSync(path.join(vectors, 'jws_signature.sig'));
  const cose = readFileSync(path.join(vectors, 'cose_signature.sig'));
  await pushNotationSignature({ registry: registry.host, repo, subject, envelope: cose, mediaType: COSE });
  await pushNotationSignature({ registry: registry.host, repo, subject, envelope: jws, mediaType: JWS });
  const leaf = (await openEnvelope(JWS, jws)).certificates[0]!;
  const img = { repo, ref: `${registry.host}/${repo}:v2` };
  const st = { name: 'alpine', registryScopes: [`${registry.host}/${repo}`], signatureVerification: { level: 'strict' }, trustStores: ['ca:alpine'], trustedIdentities: ['x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=alpine'] };
  const trusted = await judge(t, [img], trustPolicy([st], { 'truststore/x509/ca/alpine/alpine.pem': leaf.toString() }));
  t.equal(trusted.status(img), 'pass', 'verified with the signer in the ca store');
  t.match(trusted.image(repo).policies[0]!.signers?.[0], /CN=alpine \(Notation COSE/, 'the first signature (COSE) passed');
  // notation-go's own valid trust store holds other certificates: not this signer.
  const store = Object.fromEntries(
    ['wabbit-networks.io.crt', 'NotationTestRoot.pem', 'GlobalSign.der'].map((f) => [`truststore/x509/ca/alpine/${f}`, readFileSync(path.join(vectors, 'truststore/x509/ca/valid-trust-store', f))]),
  );
  const untrusted = await judge(t, [img], trustPolicy([st], store));
  t.equal(untrusted.status(img), 'fail');
  t.match(untrusted.reasons(img), /signature 1 .*: signature is not produced by a trusted signer[\s\S]*signature 2 .*: signature is not produced by a trusted signer/);
});

function kyvernoNotary(certs: string, extra = '', attestations = '') {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: notary
spec:
  rules:
    - name: notary
      match:
        any:
          - resources:
              kinds: [Deployment]
      verifyImages:
        - type: Notary
          imageReferences: ["${registry.host}/notation/*"]
${indent(extra || 'failureAction: Enforce', 10)}
${attestations ? indent(attestations, 10) : `          attestors:
            - count: 1
              entries:
                - certificates:
                    cert: |-
${indent(certs, 22)}`}
`;
}

t.test('Kyverno type: Notary: the certificates as a ca store, strict, any identity; pass, fail, audit', async (t) => {
  const signed = await image([{ by: acme }]);
  const unsigned = await image();
  const untrusted = await image([{ by: rogue }]);
  const r = await judge(t, [signed, unsigned, untrusted], { 'p.yaml': kyvernoNotary(acme.root.pem) });
  t.same([r.status(signed), r.status(unsigned), r.status(untrusted)], ['pass', 'fail', 'fail']);
  t.match(r.reasons(unsigned), `no signature is associated with "${registry.host}/${unsigned.repo}@${unsigned.digest}", make sure the artifact was signed successfully`);
  t.match(r.reasons(untrusted), 'signature is not produced by a trusted signer');
  t.equal(r.code, 1);
  const leafOnly = await judge(t, [signed], { 'p.yaml': kyvernoNotary(acme.leaf.pem) });
  t.equal(leafOnly.status(signed), 'pass', "Kyverno's documented form: the signing certificate itself as cert");
  const audit = await judge(t, [signed, unsigned], { 'p.yaml': kyvernoNotary(acme.root.pem, 'failureAction: Audit') });
  t.same([audit.status(signed), audit.status(unsigned)], ['pass', 'warn']);
  t.equal(audit.code, 0);
});

t.test('Kyverno Notary attestations: Notation-signed referrers of a type, conditions over their payload', async (t) => {
  const sbomType = 'sbom/cyclone-dx';
  const withSbom = async (bomFormat: string, signer: typeof acme | undefined) => {
    const img = await image([{ by: acme }]);
    const subject = await descriptorOf(registry.host, img.repo, '1.0');
    const payload = Buffer.from(JSON.stringify({ bomFormat, specVersion: '1.4', components: [] }));
    const layer = await pushBlob(registry.host, img.repo, payload);
    const empty = Buffer.from('{}');
    await pushBlob(registry.host, img.repo, empty);
    const { sha256Digest, OCI_MANIFEST } = await import('../../src/testkit/oci-push.js');
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: sbomType,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: sha256Digest(empty) },
        layers: [{ mediaType: 'application/vnd.cyclonedx+json', size: payload.length, digest: layer }],
        subject,
      }),
    );
    const digest = sha256Digest(manifest);
    await pushManifest(registry.host, img.repo, digest, manifest, OCI_MANIFEST);
    const { addReferrer } = await import('../../src/testkit/notation-signer.js');
    await addReferrer({ registry: registry.host, repo: img.repo }, subject.digest, { mediaType: OCI_MANIFEST, digest, size: manifest.length, artifactType: sbomType });
    if (signer) {
      const sbom = { mediaType: OCI_MANIFEST, digest, size: manifest.length };
      await pushNotationSignature({ registry: registry.host, repo: img.repo, subject: sbom, envelope: await signEnvelope({ format: 'cose', chain: signer.chain, target: sbom }), mediaType: COSE });
    }
    return img;
  };
  const good = await withSbom('CycloneDX', acme);
  const wrongFormat = await withSbom('SPDX', acme);
  const unsignedSbom = await withSbom('CycloneDX', undefined);
  const noSbom = await image([{ by: acme }]);
  const attestations = `attestations:
  - type: ${sbomType}
    attestors:
      - entries:
          - certificates:
              cert: |-
${indent(acme.root.pem, 16)}
    conditions:
      - all:
          - key: "{{ bomFormat }}"
            operator: Equals
            value: CycloneDX`;
  const r = await judge(t, [good, wrongFormat, unsignedSbom, noSbom], { 'p.yaml': kyvernoNotary('', 'failureAction: Enforce', attestations) });
  t.same([r.status(good), r.status(wrongFormat), r.status(unsignedSbom), r.status(noSbom)], ['pass', 'fail', 'fail', 'fail']);
  t.match(r.reasons(wrongFormat), /bomFormat/);
  t.match(r.reasons(unsignedSbom), /no signature is associated with/);
  t.match(r.reasons(noSbom), `no attestation of type ${sbomType} refers to`);
});

t.test('a TSA store on a signing certificate: the time is verified, expired certificates need it', async (t) => {
  // The kit signs no timestamps: an expired signing certificate without one fails authenticTimestamp under strict.
  const root = acme.root;
  const expiredLeaf = await makeCertificate({ subject: 'C=US, ST=WA, O=Acme, CN=old', issuer: root, notBefore: new Date(Date.now() - 86_400_000 * 3), notAfter: new Date(Date.now() - 86_400_000) });
  const old = await image([{ chain: [expiredLeaf, root] }]);
  const strict = await judge(t, [old], trustPolicy([statement('strict')]));
  t.equal(strict.status(old), 'fail');
  t.match(strict.reasons(old), /after the validity of certificate .*CN=old/);
  const permissive = await judge(t, [old], trustPolicy([statement('permissive')]));
  t.equal(permissive.status(old), 'warn', 'permissive only logs an expired certificate without a timestamp');
});

t.test('a clean Notation pass is cached until the signature could first be judged otherwise; logged passes are not', async (t) => {
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'vi-notation-cache-'));
  t.teardown(() => rm(cacheDir, { recursive: true, force: true }));
  const expiry = new Date(Date.now() + 3_600_000);
  const clean = await image([{ by: acme, expiry }]);
  const logged = await image([{ by: acme, expiry: new Date(Date.now() - 60_000) }]);
  const policies = trustPolicy([statement('permissive')]);
  const cachedRun = (tt: typeof t) => runScenario(tt, { manifests: { 'a.yaml': deployment('a', clean.ref), 'b.yaml': deployment('b', logged.ref) }, policies, options: { cache: cacheDir } });
  const first = await cachedRun(t);
  t.same([first.image(clean.repo).status, first.image(logged.repo).status], ['pass', 'warn']);
  t.equal(first.stats.cacheHits, 0);
  const second = await cachedRun(t);
  t.same([second.image(clean.repo).status, second.image(logged.repo).status], ['pass', 'warn'], 'the same verdicts from the cache');
  t.equal(second.stats.cacheHits, 1, 'the clean pass came from the cache');
  t.match(second.image(logged.repo).policies[0]?.reasons.join('\n'), /the signature expired on/, 'the logged problem is said again: never cached');
  t.ok((second.stats.registryRequests ?? 0) < (first.stats.registryRequests ?? 0), `fewer registry requests (${second.stats.registryRequests} < ${first.stats.registryRequests})`);
  const offline = await runScenario(t, { manifests: { 'a.yaml': deployment('a', clean.ref), 'b.yaml': deployment('b', logged.ref) }, policies, options: { cache: cacheDir, offline: true } });
  t.same([offline.image(clean.repo).status, offline.image(logged.repo).status], ['pass', 'error'], '--offline: the cached pass decides; the uncached one is an error');

  // The entry lives no longer than the signature's expiry (the chain outlives it here).
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else files.push(p);
    }
  };
  await walk(cacheDir);
  const entries = (await Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => ''))))
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.includes('Notary Project'))
    .map((line) => JSON.parse(line) as { exp?: number });
  t.equal(entries.length, 1, 'one cached Notation verdict');
  t.ok(Math.abs((entries[0]!.exp ?? 0) - expiry.getTime()) < 1000, 'it expires with the signature');
});
