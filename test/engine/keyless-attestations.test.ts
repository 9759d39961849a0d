// Certificate and attestation leaves through the engine against the REAL registry,
// with certificates, SETs and checkpoints from the test-only Fulcio/Rekor/CT
// stand-in (@sigstore/mock building blocks). Policies are built in the internal
// model directly, so these tests do not depend on the YAML loaders.
import t from 'tap';
import { noCache, type VerdictCache, type CachedPass } from '../../src/cache/verdict-cache.js';
import { createEvidence } from '../../src/engine/evidence.js';
import { judgeImages, type JudgeDeps } from '../../src/engine/judge.js';
import type { ImageUse } from '../../src/manifests/types.js';
import type { AttestationRequirement, CertificateRequirement, ConditionBlock, KeyRequirement, Policy, Requirement } from '../../src/policy/model.js';
import { createRegistryClient } from '../../src/registry/index.js';
import { generateKeyPair } from '../../src/testkit/cosign-signer.js';
import { pushImageDescriptor } from '../../src/testkit/oci-push.js';
import { createSigstoreStandIn, FULCIO_OID, type SigstoreStandIn } from '../../src/testkit/sigstore-stand-in.js';
import { attestImage, COSIGN_SIGN_PREDICATE, makeDsseBundle, pushBundleReferrer, signImageKeyless } from '../../src/testkit/sigstore-signer.js';
import { loadTrustMaterial } from '../../src/verify/trusted-root.js';
import { realRegistry } from '../registry/registry-fixture.js';

const ID = 'https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const SLSA = 'https://slsa.dev/provenance/v1';

let standIn: SigstoreStandIn;
let noSctStandIn: SigstoreStandIn;
let otherStandIn: SigstoreStandIn;
t.before(async () => {
  [standIn, noSctStandIn, otherStandIn] = await Promise.all([createSigstoreStandIn(), createSigstoreStandIn({ withoutSct: true }), createSigstoreStandIn()]);
});

function certLeaf(over: Partial<CertificateRequirement> = {}): CertificateRequirement {
  return {
    kind: 'certificate', path: 'spec.authorities[0]', line: 3, source: 'fulcio', sct: 'require', tlog: 'require', annotations: {},
    identities: [{ subject: ID, issuer: ISSUER, match: 'cip' }], trustedRoot: standIn.trustedRootJson, ...over,
  };
}

function attLeaf(signers: Requirement, over: Partial<AttestationRequirement> = {}): AttestationRequirement {
  return { kind: 'attestation', path: 'spec.authorities[0].attestations[0]', line: 5, predicateType: SLSA, signers, statements: 'all', conditions: [], ...over };
}

function policyOf(image: string, requirement: Requirement): Policy {
  return {
    format: 'cip', name: 'p', file: 'policy.yaml', line: 1,
    rules: [{ file: 'policy.yaml', line: 1, path: 'spec', images: { flavour: 'kyverno', include: [image], exclude: [] }, mode: 'enforce', onError: 'block', digest: { mutateDigest: false, verifyDigest: false, required: false }, requirement }],
  };
}

function use(image: string): ImageUse {
  return { image, file: 'deploy.yaml', line: 1, column: 1, container: 'app', field: 'containers', path: 'spec.containers[0].image', workload: { apiVersion: 'v1', kind: 'Pod', name: 'app', namespace: 'prod', labels: {}, annotations: {} } };
}

/** A verdict cache in memory, to see what the engine stores. */
function memoryCache(): VerdictCache & { puts: number } {
  const m = new Map<string, CachedPass>();
  const key = (d: string, r: unknown, w: string) => `${w} ${d} ${JSON.stringify(r)}`;
  return {
    puts: 0,
    hits: 0,
    async get(d: string, r: unknown, w: string) {
      return m.get(key(d, r, w));
    },
    put(this: { puts: number }, d: string, r: unknown, w: string, v: CachedPass) {
      this.puts++;
      m.set(key(d, r, w), v);
    },
    async flush() {},
  } as unknown as VerdictCache & { puts: number };
}

async function judge(registryHost: string, image: string, requirement: Requirement, cache: VerdictCache = noCache) {
  const registry = createRegistryClient({ insecureRegistries: [registryHost] });
  const deps: JudgeDeps = { evidence: createEvidence(registry), cache, trust: () => loadTrustMaterial({ trustedRootJson: standIn.trustedRootJson }), concurrency: 4 };
  const [result] = await judgeImages([use(image)], [policyOf(image, requirement)], deps);
  return result!;
}

t.test('keyless .sig signatures through the engine (fake-free: real registry, stand-in Fulcio/Rekor/CT)', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const repo = 'keyless/app';
  const { digest } = await pushImageDescriptor(reg.host, repo, 'v1', { seed: 'keyless' });
  await signImageKeyless({ registry: reg.host, repo, digest, signer: { standIn, identity: { subject: ID, issuer: ISSUER, extensions: { [`${FULCIO_OID}.2`]: 'push' } } } });
  const image = `${reg.host}/${repo}:v1`;

  const cache = memoryCache();
  const pass = await judge(reg.host, image, certLeaf({ extensions: { githubWorkflowTrigger: 'push' } }), cache);
  t.equal(pass.status, 'pass', pass.policies[0]?.reasons.join('; '));
  t.match(pass.policies[0]?.signers?.[0], ID);
  t.equal(cache.puts, 1, 'a pass is stored in the verdict cache');
  const again = await judge(reg.host, image, certLeaf({ extensions: { githubWorkflowTrigger: 'push' } }), cache);
  t.equal(again.status, 'pass', 'answered from the cache');

  const wrongId = await judge(reg.host, image, certLeaf({ identities: [{ subject: 'https://github.com/evil/app/x@refs/heads/main', issuer: ISSUER, match: 'cip' }] }));
  t.equal(wrongId.status, 'fail');
  t.match(wrongId.policies[0]?.reasons.join(), /the policy wants subject "https:\/\/github.com\/evil/);

  const wrongIssuer = await judge(reg.host, image, certLeaf({ identities: [{ subject: ID, issuer: 'https://accounts.google.com', match: 'cip' }] }));
  t.equal(wrongIssuer.status, 'fail');
  t.match(wrongIssuer.policies[0]?.reasons.join(), /wants issuer "https:\/\/accounts.google.com"/);

  const kyvernoRegexp = await judge(reg.host, image, certLeaf({ identities: [{ subjectRegExp: 'acme/app', issuer: 'https://token.actions.*', match: 'kyverno' }] }));
  t.equal(kyvernoRegexp.status, 'pass', 'kyverno: unanchored regexp and issuer wildcard');

  const wrongExtension = await judge(reg.host, image, certLeaf({ extensions: { githubWorkflowTrigger: 'pull_request' } }));
  t.equal(wrongExtension.status, 'fail');
  t.match(wrongExtension.policies[0]?.reasons.join(), /githubWorkflowTrigger is "push", the policy wants "pull_request"/);

  const untrusted = await judge(reg.host, image, certLeaf({ trustedRoot: otherStandIn.trustedRootJson }));
  t.equal(untrusted.status, 'fail', 'another CA (and Rekor) is not trusted');

  const untrustedCa = await judge(reg.host, image, certLeaf({ roots: [otherStandIn.fulcioRootPem], tlog: 'ignore' }));
  t.equal(untrustedCa.status, 'fail');
  t.match(untrustedCa.policies[0]?.reasons.join(), /does not chain to a trusted certificate authority/);
});

t.test('keyless: expired at signing time, missing SCT, missing tlog', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const expired = (await pushImageDescriptor(reg.host, 'keyless/expired', 'v1', { seed: 'expired' })).digest;
  // The log integrated the entry half an hour before the certificate's validity began.
  await signImageKeyless({ registry: reg.host, repo: 'keyless/expired', digest: expired, signer: { standIn, identity: { subject: ID, issuer: ISSUER } }, logAt: new Date(Date.now() - 30 * 60 * 1000) });
  const r1 = await judge(reg.host, `${reg.host}/keyless/expired:v1`, certLeaf());
  t.equal(r1.status, 'fail');
  t.match(r1.policies[0]?.reasons.join(), /not valid at the signing time/);

  const noSct = (await pushImageDescriptor(reg.host, 'keyless/nosct', 'v1', { seed: 'nosct' })).digest;
  await signImageKeyless({ registry: reg.host, repo: 'keyless/nosct', digest: noSct, signer: { standIn: noSctStandIn, identity: { subject: ID, issuer: ISSUER } } });
  const root = { trustedRoot: noSctStandIn.trustedRootJson };
  const r2 = await judge(reg.host, `${reg.host}/keyless/nosct:v1`, certLeaf(root));
  t.equal(r2.status, 'fail');
  t.match(r2.policies[0]?.reasons.join(), /no certificate transparency timestamp \(SCT\)/);
  const r3 = await judge(reg.host, `${reg.host}/keyless/nosct:v1`, certLeaf({ ...root, sct: 'ignore' }));
  t.equal(r3.status, 'pass', 'ignoreSCT');

  const noTlog = (await pushImageDescriptor(reg.host, 'keyless/notlog', 'v1', { seed: 'notlog' })).digest;
  await signImageKeyless({ registry: reg.host, repo: 'keyless/notlog', digest: noTlog, signer: { standIn, identity: { subject: ID, issuer: ISSUER } }, tlog: false });
  const r4 = await judge(reg.host, `${reg.host}/keyless/notlog:v1`, certLeaf());
  t.equal(r4.status, 'fail');
  t.match(r4.policies[0]?.reasons.join(), /no transparency-log entry/);
});

t.test('keyless with an RFC 3161 timestamp instead of the transparency log', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const good = (await pushImageDescriptor(reg.host, 'keyless/tsa', 'v1', { seed: 'tsa' })).digest;
  await signImageKeyless({ registry: reg.host, repo: 'keyless/tsa', digest: good, signer: { standIn, identity: { subject: ID, issuer: ISSUER } }, tlog: false, rfc3161: true });
  const r1 = await judge(reg.host, `${reg.host}/keyless/tsa:v1`, certLeaf({ tlog: 'ignore' }));
  t.equal(r1.status, 'pass', r1.policies[0]?.reasons.join('; '));
  t.match(r1.policies[0]?.reasons.join(), /timestamped at /);

  const bad = (await pushImageDescriptor(reg.host, 'keyless/tsa-bad', 'v1', { seed: 'tsa-bad' })).digest;
  await signImageKeyless({ registry: reg.host, repo: 'keyless/tsa-bad', digest: bad, signer: { standIn, identity: { subject: ID, issuer: ISSUER } }, tlog: false, rfc3161: Buffer.from('other bytes') });
  const r2 = await judge(reg.host, `${reg.host}/keyless/tsa-bad:v1`, certLeaf({ tlog: 'ignore' }));
  t.equal(r2.status, 'fail', 'a timestamp over other bytes');
  t.match(r2.policies[0]?.reasons.join(), /RFC 3161 timestamp does not verify/);
});

t.test('legacy .att attestations: signers, subject, predicate type, conditions all/any', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const key = generateKeyPair('ecdsa-p256');
  const stranger = generateKeyPair('ecdsa-p256');
  const keyLeaf: KeyRequirement = { kind: 'key', path: 'k', line: 1, keys: [key.publicKeyPem], hashAlgorithm: 'sha256', annotations: {}, tlog: 'ignore' };
  const repo = 'att/app';
  const { digest } = await pushImageDescriptor(reg.host, repo, 'v1', { seed: 'att' });
  const image = `${reg.host}/${repo}:v1`;
  const target = { registry: reg.host, repo, digest };
  await attestImage({ ...target, signer: { key }, predicateType: SLSA, predicate: { buildType: 'gha', builder: { id: 'good' } }, tlog: 'none' });
  await attestImage({ ...target, signer: { standIn, identity: { subject: ID, issuer: ISSUER } }, predicateType: SLSA, predicate: { buildType: 'gha', builder: { id: 'other' } }, version: 'v1', tlog: 'intoto' });
  await attestImage({ ...target, signer: { key }, predicateType: 'https://cyclonedx.org/bom', predicate: { components: [] }, tlog: 'none' });

  const byKey = await judge(reg.host, image, attLeaf(keyLeaf));
  t.equal(byKey.status, 'pass', byKey.policies[0]?.reasons.join('; '));

  const byCert = await judge(reg.host, image, attLeaf(certLeaf()));
  t.equal(byCert.status, 'pass', `keyless attestation with an intoto 0.0.1 Rekor entry: ${byCert.policies[0]?.reasons.join('; ')}`);

  const untrusted = await judge(reg.host, image, attLeaf({ ...keyLeaf, keys: [stranger.publicKeyPem] }));
  t.equal(untrusted.status, 'fail');
  t.match(untrusted.policies[0]?.reasons.join(), /no attestation of type https:\/\/slsa.dev\/provenance\/v1 signed by the policy key/);

  const wrongType = await judge(reg.host, image, attLeaf(keyLeaf, { predicateType: 'https://spdx.dev/Document' }));
  t.equal(wrongType.status, 'fail');
  t.match(wrongType.policies[0]?.reasons.join(), /no attestation of type https:\/\/spdx.dev\/Document .*found: https:\/\/slsa.dev\/provenance\/v1/);

  const builderIs = (id: string): ConditionBlock[] => [{ all: [{ key: '{{ builder.id }}', operator: 'Equals', value: id, line: 9 }] }];
  const anySigner: Requirement = { kind: 'any', path: 'signers', of: [keyLeaf, certLeaf()] };
  const all = await judge(reg.host, image, attLeaf(anySigner, { conditions: builderIs('good'), statements: 'all' }));
  t.equal(all.status, 'fail', 'Kyverno: every verified statement must pass (the keyless one has builder other)');
  t.match(all.policies[0]?.reasons.join(), /builder\.id/);
  t.match(all.policies[0]?.reasons.join(), /other/);
  const any = await judge(reg.host, image, attLeaf(anySigner, { conditions: builderIs('good'), statements: 'any' }));
  t.equal(any.status, 'pass', `CIP: one passing statement is enough: ${any.policies[0]?.reasons.join('; ')}`);
  const keyOnly = await judge(reg.host, image, attLeaf(keyLeaf, { conditions: builderIs('good'), statements: 'all' }));
  t.equal(keyOnly.status, 'pass', 'only statements verified by the signers are judged');

  const liarDigest = (await pushImageDescriptor(reg.host, repo, 'v3', { seed: 'att-3' })).digest;
  await attestImage({ registry: reg.host, repo, digest: liarDigest, signer: { key }, predicateType: 'https://example.com/other', annotatedPredicateType: SLSA, predicate: {}, tlog: 'none' });
  const liar = await judge(reg.host, `${reg.host}/${repo}:v3`, attLeaf(keyLeaf));
  t.equal(liar.status, 'fail', 'the unsigned predicateType annotation does not decide');
  t.match(liar.policies[0]?.reasons.join(), /signed statement's predicate type is "https:\/\/example.com\/other"/);

  const otherDigest = (await pushImageDescriptor(reg.host, repo, 'v2', { seed: 'att-2' })).digest;
  // An attestation about another image copied under this digest's tag.
  await attestImage({ registry: reg.host, repo, digest: otherDigest, subjectDigest: digest, signer: { key }, predicateType: SLSA, predicate: {}, tlog: 'none' });
  const copied = await judge(reg.host, `${reg.host}/${repo}:v2`, attLeaf(keyLeaf));
  t.equal(copied.status, 'fail');
  t.match(copied.policies[0]?.reasons.join(), /subject is not the image/);
});

t.test('cosign v3 bundles found through the sha256-<hex> referrers tag', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const repo = 'bundles/app';
  const subject = await pushImageDescriptor(reg.host, repo, 'v1', { seed: 'bundles' });
  const image = `${reg.host}/${repo}:v1`;
  const identity = { subject: ID, issuer: ISSUER };
  const push = async (predicateType: string, predicate: unknown, digest = subject.digest) =>
    pushBundleReferrer({ registry: reg.host, repo, subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, predicateType, bundle: await makeDsseBundle({ digest, standIn, identity, predicateType, predicate, version: 'v1' }) });

  // Only an attestation so far: it is not a signature.
  await push(SLSA, { builder: { id: 'good' } });
  const notASignature = await judge(reg.host, image, certLeaf());
  t.equal(notASignature.status, 'fail', 'attestation bundles are kept apart from signatures');
  t.match(notASignature.policies[0]?.reasons.join(), /no signatures found/);

  const att = await judge(reg.host, image, attLeaf(certLeaf(), { conditions: [{ all: [{ key: '{{ builder.id }}', operator: 'Equals', value: 'good', line: 1 }] }] }));
  t.equal(att.status, 'pass', `attestation bundle: ${att.policies[0]?.reasons.join('; ')}`);

  await push(COSIGN_SIGN_PREDICATE, {});
  const signed = await judge(reg.host, image, certLeaf());
  t.equal(signed.status, 'pass', `signature bundle: ${signed.policies[0]?.reasons.join('; ')}`);
  t.match(signed.policies[0]?.reasons.join(), /signature bundle/);

  const wrongRoot = await judge(reg.host, image, certLeaf({ trustedRoot: otherStandIn.trustedRootJson }));
  t.equal(wrongRoot.status, 'fail', 'the bundle does not verify against another trusted root');
});

t.test('cosign v3.1.6 (#5253): a bundle counts as a signature only when its signed statement says sign/v1, whatever the referrer annotation says', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const repo = 'bundles/lying';
  const subject = await pushImageDescriptor(reg.host, repo, 'v1', { seed: 'lying-annotation' });
  const identity = { subject: ID, issuer: ISSUER };
  // An SBOM-like attestation by the trusted identity, its (unsigned) annotation claiming sign/v1.
  const bundle = await makeDsseBundle({ digest: subject.digest, standIn, identity, predicateType: SLSA, predicate: { builder: { id: 'x' } }, version: 'v1' });
  await pushBundleReferrer({ registry: reg.host, repo, subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, predicateType: COSIGN_SIGN_PREDICATE, bundle });
  const verdict = await judge(reg.host, `${reg.host}/${repo}:v1`, certLeaf());
  t.equal(verdict.status, 'fail', 'an attestation is never a signature');
  t.match(verdict.policies[0]?.reasons.join(), /no signatures found/);
});

t.test('key leaves: a key-signed cosign v3 signature bundle when there is no .sig tag', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const key = generateKeyPair('ecdsa-p256');
  const repo = 'bundles/keyed';
  const subject = await pushImageDescriptor(reg.host, repo, 'v1', { seed: 'keyed' });
  const bundle = await makeDsseBundle({ digest: subject.digest, standIn, identity: { subject: '' }, key, predicateType: COSIGN_SIGN_PREDICATE, predicate: {}, version: 'v1', subjectAnnotations: { env: 'prod' } });
  await pushBundleReferrer({ registry: reg.host, repo, subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size }, predicateType: COSIGN_SIGN_PREDICATE, bundle });
  const keyLeaf: KeyRequirement = { kind: 'key', path: 'k', line: 1, keys: [key.publicKeyPem], hashAlgorithm: 'sha256', annotations: {}, tlog: 'require' };
  const image = `${reg.host}/${repo}:v1`;
  const ok = await judge(reg.host, image, keyLeaf);
  t.equal(ok.status, 'pass', ok.policies[0]?.reasons.join('; '));
  t.match(ok.policies[0]?.reasons.join(), /signature bundle: signed by ECDSA/);
  t.equal((await judge(reg.host, image, { ...keyLeaf, annotations: { env: 'prod' } })).status, 'pass', 'subject annotations (cosign v3 -a)');
  const wrongAnnotation = await judge(reg.host, image, { ...keyLeaf, annotations: { env: 'dev' } });
  t.equal(wrongAnnotation.status, 'fail');
  t.match(wrongAnnotation.policies[0]?.reasons.join(), /required annotations env=dev/);
  const other = await judge(reg.host, image, { ...keyLeaf, keys: [generateKeyPair('ecdsa-p256').publicKeyPem] });
  t.equal(other.status, 'fail');
  t.match(other.policies[0]?.reasons.join(), /untrusted key/);
});

t.test('key-only verification contacts only the registry (socket spy)', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const { signImage } = await import('../../src/testkit/cosign-signer.js');
  const key = generateKeyPair('ecdsa-p256');
  const { digest } = await pushImageDescriptor(reg.host, 'keyonly/app', 'v1', { seed: 'keyonly' });
  await signImage({ registry: reg.host, repo: 'keyonly/app', digest, key });
  // Every TCP connection this process opens (undici, node:http, any library) is recorded.
  const net = await import('node:net');
  const contacted: string[] = [];
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: import('node:net').Socket, ...args: unknown[]) {
    const o = (Array.isArray(args[0]) ? args[0][0] : args[0]) as { host?: string; port?: number; path?: string } | number;
    contacted.push(typeof o === 'object' && o !== null ? (o.path ?? `${o.host ?? 'localhost'}:${o.port}`) : `${String(args[1] ?? 'localhost')}:${o}`);
    return (connect as (...a: unknown[]) => import('node:net').Socket).apply(this, args);
  } as typeof connect;
  t.teardown(() => {
    net.Socket.prototype.connect = connect;
  });
  const before = reg.requestCount();
  const keyLeaf: KeyRequirement = { kind: 'key', path: 'k', line: 1, keys: [key.publicKeyPem], hashAlgorithm: 'sha256', annotations: {}, tlog: 'ignore' };
  const r = await judge(reg.host, `${reg.host}/keyonly/app:v1`, keyLeaf);
  t.equal(r.status, 'pass');
  t.ok(reg.requestCount() > before, 'the registry served the verification');
  t.ok(contacted.length > 0, 'connections are observed');
  t.same(contacted.filter((h) => h !== reg.host), [], 'no host other than the registry was contacted');
});
