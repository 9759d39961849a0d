// The Fulcio/Rekor/CT stand-in (built on @sigstore/mock): its certificates,
// SETs and checkpoints verify with @sigstore/verify against its trusted root.
import t from 'tap';
import { createSigstoreStandIn } from '../../src/testkit/sigstore-stand-in.js';
import { makeDsseBundle } from '../../src/testkit/sigstore-signer.js';
import { verifySigstoreBundle } from '../../src/verify/sigstore-bundle.js';
import { sigstoreTrust } from '../../src/verify/sigstore-trust.js';
import type { CertificateRequirement } from '../../src/policy/model.js';

const DIGEST = `sha256:${'12'.repeat(32)}`;
const ID = 'https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const req = (over: Partial<CertificateRequirement> = {}): CertificateRequirement => ({
  kind: 'certificate', path: 'p', line: 1, source: 'fulcio', sct: 'require', tlog: 'require', annotations: {},
  identities: [{ subject: ID, issuer: ISSUER, match: 'cip' }], ...over,
});

t.test('a stand-in DSSE bundle verifies against the stand-in trusted root only', async (t) => {
  const standIn = await createSigstoreStandIn();
  const bundle = await makeDsseBundle({ digest: DIGEST, standIn, identity: { subject: ID, issuer: ISSUER }, predicateType: 'https://slsa.dev/provenance/v1', predicate: { a: 1 }, version: 'v1' });
  const trust = sigstoreTrust({ trustedRoot: standIn.trustedRootJson });
  const ok = verifySigstoreBundle({ bundle, subjectDigest: DIGEST, signer: { kind: 'certificate', requirement: req() }, trust });
  t.equal(ok.ok, true, ok.reason ?? 'verified');
  t.equal(ok.statement?.predicateType, 'https://slsa.dev/provenance/v1');
  t.match(ok.signer, ID);

  const publicGood = verifySigstoreBundle({ bundle, subjectDigest: DIGEST, signer: { kind: 'certificate', requirement: req() }, trust: sigstoreTrust() });
  t.equal(publicGood.ok, false, 'the public-good root does not trust the stand-in');

  const otherSubject = verifySigstoreBundle({ bundle, subjectDigest: `sha256:${'34'.repeat(32)}`, signer: { kind: 'certificate', requirement: req() }, trust });
  t.equal(otherSubject.ok, false);
  t.match(otherSubject.reason, /subject is not/);

  const noSct = await createSigstoreStandIn({ withoutSct: true });
  const unlogged = await makeDsseBundle({ digest: DIGEST, standIn: noSct, identity: { subject: ID, issuer: ISSUER }, predicateType: 'x', predicate: {} });
  const noSctTrust = sigstoreTrust({ trustedRoot: noSct.trustedRootJson });
  t.equal(verifySigstoreBundle({ bundle: unlogged, subjectDigest: DIGEST, signer: { kind: 'certificate', requirement: req() }, trust: noSctTrust }).ok, false, 'SCT required');
  t.equal(verifySigstoreBundle({ bundle: unlogged, subjectDigest: DIGEST, signer: { kind: 'certificate', requirement: req({ sct: 'ignore' }) }, trust: noSctTrust }).ok, true, 'SCT ignored');
});
