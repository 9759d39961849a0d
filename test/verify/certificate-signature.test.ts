// Legacy `.sig` layers signed with certificates: the real public-good keyless
// vector (offline, seed trusted root) and the containers/image private-PKI vector.
import t from 'tap';
import type { CertificateRequirement } from '../../src/policy/model.js';
import { verifyCertificateSignatures } from '../../src/verify/certificate-signature.js';
import { haveFixtures, loadDirImage, readFixture, SKIP_FIXTURES } from './fixtures/helpers.js';

function certReq(over: Partial<CertificateRequirement> = {}): CertificateRequirement {
  return { kind: 'certificate', path: 'spec.authorities[0]', line: 1, source: 'fulcio', identities: [], sct: 'require', tlog: 'require', annotations: {}, ...over };
}

t.test('public-good keyless vector verifies offline with the seed trusted root', { skip: !haveFixtures && SKIP_FIXTURES }, async (t) => {
  const { digest, layers } = loadDirImage('dir-img-cosign-fulcio-rekor-valid');
  const ok = verifyCertificateSignatures({
    digest,
    layers,
    requirement: certReq({ identities: [{ subject: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth', match: 'cip' }] }),
  });
  t.equal(ok.ok, true, ok.reasons.join('; '));
  t.match(ok.signer, /mitr@redhat\.com \(issuer https:\/\/github\.com\/login\/oauth\)/);

  const kyvernoWildcard = verifyCertificateSignatures({
    digest, layers, requirement: certReq({ identities: [{ subject: '*@redhat.com', issuerRegExp: 'github\\.com', match: 'kyverno' }] }),
  });
  t.equal(kyvernoWildcard.ok, true, 'kyverno wildcard subject, unanchored issuer regexp');

  const cipUnanchored = verifyCertificateSignatures({ digest, layers, requirement: certReq({ identities: [{ subjectRegExp: 'redhat', match: 'cip' }] }) });
  t.equal(cipUnanchored.ok, false, 'cip regexps are anchored');
  t.match(cipUnanchored.reasons.join(), /subject matching \/redhat\//);

  const wrongIssuer = verifyCertificateSignatures({ digest, layers, requirement: certReq({ identities: [{ subject: 'mitr@redhat.com', issuer: 'https://accounts.google.com', match: 'cip' }] }) });
  t.equal(wrongIssuer.ok, false);
  t.equal(wrongIssuer.code, 'CERTIFICATE_INVALID');
  t.match(wrongIssuer.reasons.join(), /issuer "https:\/\/github.com\/login\/oauth", the policy wants issuer "https:\/\/accounts.google.com"/);

  const otherDigest = verifyCertificateSignatures({ digest: `sha256:${'0'.repeat(64)}`, layers, requirement: certReq() });
  t.equal(otherDigest.ok, false, 'payload names another digest');
  t.equal(otherDigest.code, 'DIGEST_MISMATCH');

  const noTlogNow = verifyCertificateSignatures({
    digest, layers: layers.map((l) => ({ ...l, annotations: { ...l.annotations, 'dev.sigstore.cosign/bundle': '' } })), requirement: certReq({ tlog: 'ignore' }),
  });
  t.equal(noTlogNow.ok, false, 'without the SET the 10-minute certificate is checked at now: expired');
  t.match(noTlogNow.reasons.join(), /not valid at the signing time/);
});

t.test('private PKI vector (RSA, root + intermediate) verifies with source pki', { skip: !haveFixtures && SKIP_FIXTURES }, async (t) => {
  const { digest, layers } = loadDirImage('dir-img-cosign-pki-valid');
  const roots = [readFixture('pki_root_crts.pem'), readFixture('pki_intermediate_crts.pem')];
  const req = certReq({ source: 'pki', roots, sct: 'ignore', tlog: 'ignore', identities: [{ subject: 'qiwan@redhat.com', match: 'cip' }] });
  const ok = verifyCertificateSignatures({ digest, layers, requirement: req });
  t.equal(ok.ok, true, ok.reasons.join('; '));
  const dns = verifyCertificateSignatures({ digest, layers, requirement: { ...req, identities: [{ subject: 'myhost.example.com', match: 'cip' }] } });
  t.equal(dns.ok, true, 'DNS SANs are identities too');

  const rootOnly = verifyCertificateSignatures({ digest, layers, requirement: { ...req, roots: [readFixture('pki_root_crts.pem')] } });
  t.equal(rootOnly.ok, true, `only the root trusted: the intermediate comes from the chain annotation (${rootOnly.reasons.join()})`);
  const noChain = layers.map((l) => ({ ...l, annotations: { ...l.annotations, 'dev.sigstore.cosign/chain': '' } }));
  const unbridged = verifyCertificateSignatures({ digest, layers: noChain, requirement: { ...req, roots: [readFixture('pki_root_crts.pem')] } });
  t.equal(unbridged.ok, false, 'without the chain annotation the intermediate is missing');
  t.match(unbridged.reasons.join(), /does not chain to a trusted certificate authority/);
  const intermediateOnly = verifyCertificateSignatures({ digest, layers: noChain, requirement: { ...req, roots: [readFixture('pki_intermediate_crts.pem')] } });
  t.equal(intermediateOnly.ok, true, 'a trusted intermediate is an anchor (Go x509 semantics for roots given by the policy)');
  const selfSignedBridge = verifyCertificateSignatures({
    digest,
    layers: layers.map((l) => ({ ...l, annotations: { ...l.annotations, 'dev.sigstore.cosign/chain': readFixture('pki_root_crts.pem') } })),
    requirement: { ...req, roots: [readFixture('fulcio_v1.crt.pem')] },
  });
  t.equal(selfSignedBridge.ok, false, 'a root shipped in the chain annotation is not trusted');

  const fulcioRoots = verifyCertificateSignatures({ digest, layers, requirement: { ...req, source: 'fulcio', roots: undefined } });
  t.equal(fulcioRoots.ok, false, 'a private-PKI certificate does not chain to Fulcio');

  const leaf = verifyCertificateSignatures({ digest, layers, requirement: { ...req, leafCertificate: readFixture('pki-cert') } });
  t.equal(leaf.ok, true, 'Kyverno certificates.cert: same leaf');
  const otherLeaf = verifyCertificateSignatures({ digest, layers, requirement: { ...req, leafCertificate: readFixture('pki_intermediate_crts.pem') } });
  t.equal(otherLeaf.ok, false);
  t.match(otherLeaf.reasons.join(), /certificate other than the policy's/);
});
