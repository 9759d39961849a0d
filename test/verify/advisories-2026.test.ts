// Issue 22.4: the 2026 advisories as regression tests, each on artifacts built here, each ending
// `fail` (never `pass`). Sources: ../shared/research/anchors-2026-12.md.
import t from 'tap';
import { Verifier } from '@sigstore/verify';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity } from '@sigstore/verify';
import type { CertificateRequirement } from '../../src/policy/model.js';
import { createSigstoreStandIn } from '../../src/testkit/sigstore-stand-in.js';
import { makeDsseBundle } from '../../src/testkit/sigstore-signer.js';
import { verifyCosignSignatures } from '../../src/verify/cosign-signature.js';
import { verifySigstoreBundle } from '../../src/verify/sigstore-bundle.js';
import { sigstoreTrust } from '../../src/verify/sigstore-trust.js';
import { DIGEST, fakeRekor, hashedRekordBody, requirement, signedLayer } from './fixtures/helpers.js';

const ID = 'https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const OTHER = `sha256:${'34'.repeat(32)}`;
const req = (over: Partial<CertificateRequirement> = {}): CertificateRequirement => ({
  kind: 'certificate', path: 'p', line: 1, source: 'fulcio', sct: 'require', tlog: 'require', annotations: {},
  identities: [{ subject: ID, issuer: ISSUER, match: 'cip' }], ...over,
});
const standIn = await createSigstoreStandIn();
const trust = sigstoreTrust({ trustedRoot: standIn.trustedRootJson });
const bundleFor = async (digest: string) =>
  JSON.parse((await makeDsseBundle({ digest, standIn, identity: { subject: ID, issuer: ISSUER }, predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {}, version: 'v1' })).toString()) as {
    verificationMaterial: { tlogEntries: Record<string, unknown>[] };
  };
const check = (bundle: unknown, with_ = trust) => verifySigstoreBundle({ bundle, subjectDigest: DIGEST, signer: { kind: 'certificate', requirement: req() }, trust: with_ });

t.test('control: the untouched bundle verifies', async (t) => {
  const r = check(await bundleFor(DIGEST));
  t.equal(r.ok, true, r.reason ?? 'verified');
});

t.test('GHSA-whqx-f9j3-ch6m (CVE-2026-22703): a bundle whose Rekor entry names another artifact, signature or key fails', async (t) => {
  const bundle = await bundleFor(DIGEST);
  const other = await bundleFor(OTHER);
  bundle.verificationMaterial.tlogEntries = other.verificationMaterial.tlogEntries;
  const r = check(bundle);
  t.equal(r.ok, false);
  t.notMatch(r.reason, /^$/);
});

t.test('GHSA-fx35-mq7g-6g98: a legacy .sig bundle carrying another public key never vouches for a signature', async (t) => {
  const trusted = signedLayer();
  const attacker = signedLayer();
  const rekor = fakeRekor();
  // The attacker signs the payload and logs it with the attacker's key: a valid SET, for the wrong key.
  const bundle = rekor.bundle(hashedRekordBody(attacker.payload, attacker.signature, attacker.pem));
  const layer = { ...attacker.layer, annotations: { ...attacker.layer.annotations, 'dev.sigstore.cosign/bundle': bundle } };
  const r = verifyCosignSignatures({ digest: DIGEST, layers: [layer], requirement: requirement({ keys: [trusted.pem], tlog: 'require' }), trust: { tlogs: [rekor.tlog] } });
  t.equal(r.ok, false);
  // And the trusted key's signature with the attacker's key in the logged body: the entry is not this signature's.
  const mixed = rekor.bundle(hashedRekordBody(trusted.payload, trusted.signature, attacker.pem));
  const r2 = verifyCosignSignatures({ digest: DIGEST, layers: [{ ...trusted.layer, annotations: { ...trusted.layer.annotations, 'dev.sigstore.cosign/bundle': mixed } }], requirement: requirement({ keys: [trusted.pem], tlog: 'require' }), trust: { tlogs: [rekor.tlog] } });
  t.equal(r2.ok, false);
  t.equal(r2.code, 'TLOG_INVALID');
});

t.test('CVE-2026-48816: integratedTime without an inclusion promise is never a timestamp', async (t) => {
  const bundle = await bundleFor(DIGEST);
  for (const e of bundle.verificationMaterial.tlogEntries) delete e['inclusionPromise'];
  const r = check(bundle);
  t.equal(r.ok, false, 'a certificate needs a verified time; an unpromised integratedTime is none');
  t.match(r.reason, /timestamp|time/i);
});

t.test('GHSA-9vcr-p3rj-q5q6 (CVE-2026-49834): duplicate tlog entries do not count twice against a threshold', async (t) => {
  const bundle = await bundleFor(DIGEST);
  const entry = bundle.verificationMaterial.tlogEntries[0]!;
  bundle.verificationMaterial.tlogEntries = [entry, structuredClone(entry)];
  const entity = toSignedEntity(bundleFromJSON(bundle));
  t.throws(() => new Verifier(trust, { tlogThreshold: 2, ctlogThreshold: 1, timestampThreshold: 1 }).verify(entity), 'one entry, logged once, is one witness');
  // sigstore-js 4.1.3 refuses the duplicated entry outright: through the gate the bundle fails.
  const r = check(bundle);
  t.equal(r.ok, false);
  t.match(r.reason, /duplicate/);
});

t.test('CVE-2026-54787: a signing time outside the log key validity window the trusted root gives fails', async (t) => {
  const bundle = await bundleFor(DIGEST);
  const root = JSON.parse(standIn.trustedRootJson) as { tlogs: { publicKey: { validFor: { start: string; end?: string } } }[] };
  for (const l of root.tlogs) l.publicKey.validFor.end = '2001-01-01T00:00:00Z';
  const r = check(bundle, sigstoreTrust({ trustedRoot: JSON.stringify(root) }));
  t.equal(r.ok, false, 'the entry was logged after the key window closed');
});

t.test('CVE-2026-39984: a forged certificate prepended to a TSA token\'s PKCS#7 bag never becomes the signer', async (t) => {
  const [{ AsnConvert, OctetString }, { ContentInfo, SignedData, CertificateChoices, CertificateSet }, { Certificate }, { createSign, generateKeyPairSync }, { verifyRfc3161Annotation }] = await Promise.all([
    import('@peculiar/asn1-schema'),
    import('@peculiar/asn1-cms'),
    import('@peculiar/asn1-x509'),
    import('node:crypto'),
    import('../../src/verify/rfc3161.js'),
  ]);
  const data = Buffer.from('the signature bytes a timestamp vouches for');
  const token = Buffer.from((JSON.parse(await standIn.timestamp(data)) as { SignedRFC3161Timestamp: string }).SignedRFC3161Timestamp, 'base64');
  const annotation = (der: ArrayBuffer | Buffer) => JSON.stringify({ SignedRFC3161Timestamp: Buffer.from(der as ArrayBuffer).toString('base64') });
  t.type(verifyRfc3161Annotation(annotation(token), data, trust), Date, 'control: the untouched token verifies');

  // An attacker's certificate (any subject, any extensions: the bag is unauthenticated) put first.
  const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { default: x509 } = { default: await (async () => (await import('reflect-metadata'), import('@peculiar/x509')))() };
  const forgedPem = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=forged tsa',
    keys: { publicKey: await crypto.subtle.importKey('spki', attacker.publicKey.export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']), privateKey: await crypto.subtle.importKey('pkcs8', attacker.privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']) },
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.8'], true)],
  });
  const forged = AsnConvert.parse(forgedPem.rawData, Certificate);
  const asn1 = await import('asn1js');
  // The annotation holds a TimeStampResp: SEQUENCE { status, timeStampToken ContentInfo }.
  const resp = asn1.fromBER(new Uint8Array(token)).result as InstanceType<typeof asn1.Sequence>;
  const [status, tokenInfo] = resp.valueBlock.value;
  const tamper = (resign: boolean): ArrayBuffer => {
    const info = AsnConvert.parse(tokenInfo!.toBER(), ContentInfo);
    const signed = AsnConvert.parse(info.content, SignedData);
    signed.certificates = new CertificateSet([new CertificateChoices({ certificate: forged }), ...(signed.certificates ?? [])]);
    if (resign) {
      // The attacker signs the (unchanged) signed attributes with the forged certificate's key.
      const si = signed.signerInfos[0]!;
      const attrs = Buffer.from(new asn1.Set({ value: si.signedAttrs!.map((a) => asn1.fromBER(AsnConvert.serialize(a)).result) }).toBER());
      si.signature = new OctetString(createSign('sha256').update(attrs).sign(attacker.privateKey));
    }
    info.content = AsnConvert.serialize(signed);
    return new asn1.Sequence({ value: [status!, asn1.fromBER(AsnConvert.serialize(info)).result] }).toBER();
  };
  t.type(verifyRfc3161Annotation(annotation(tamper(false)), data, trust), Date, 'prepended but not used: the real signer still decides');
  const r = verifyRfc3161Annotation(annotation(tamper(true)), data, trust);
  t.type(r, 'string', 'signed by the forged certificate: not a trusted time');
  t.match(r, /does not verify/);
});
