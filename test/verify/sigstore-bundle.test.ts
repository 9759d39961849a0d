// Sigstore bundles: cosign's real v0.3 OCI attestation bundle verifies against
// trusted_root_pgi.json and the seed root (offline); identity and subject checks.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { CertificateRequirement } from '../../src/policy/model.js';
import { parseBundle, peekStatement, verifySigstoreBundle } from '../../src/verify/sigstore-bundle.js';
import { sigstoreTrust } from '../../src/verify/sigstore-trust.js';
import { fixturesDir, SKIP_FIXTURES } from './fixtures/helpers.js';

const dir = path.join(fixturesDir, 'interop/cosign');
const DIGEST = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const req = (over: Partial<CertificateRequirement> = {}): CertificateRequirement => ({
  kind: 'certificate', path: 'p', line: 1, source: 'fulcio', sct: 'require', tlog: 'require', annotations: {},
  identities: [{ subject: 'cody@soyland.com', issuer: 'https://github.com/login/oauth', match: 'cip' }], ...over,
});

t.test('cosign oci-attestation.sigstore.json', { skip: !existsSync(dir) && SKIP_FIXTURES }, async (t) => {
  const bundle = readFileSync(path.join(dir, 'oci-attestation.sigstore.json'));
  const pgi = sigstoreTrust({ trustedRoot: readFileSync(path.join(dir, 'trusted_root_pgi.json'), 'utf8') });
  const ok = verifySigstoreBundle({ bundle, subjectDigest: DIGEST, signer: { kind: 'certificate', requirement: req() }, trust: pgi });
  t.equal(ok.ok, true, ok.reason ?? 'verified');
  t.equal(ok.statement?.predicateType, 'https://cosign.sigstore.dev/attestation/v1');
  t.equal(ok.signer, 'cody@soyland.com (issuer https://github.com/login/oauth)');

  const seed = verifySigstoreBundle({ bundle, subjectDigest: DIGEST, signer: { kind: 'certificate', requirement: req() }, trust: sigstoreTrust() });
  t.equal(seed.ok, true, `offline with the @sigstore/tuf seed root: ${seed.reason ?? 'verified'}`);

  const parsed = parseBundle(bundle);
  t.equal(typeof parsed === 'string' ? undefined : peekStatement(parsed)?.predicateType, 'https://cosign.sigstore.dev/attestation/v1');

  const otherImage = verifySigstoreBundle({ bundle, subjectDigest: `sha256:${'0'.repeat(64)}`, signer: { kind: 'certificate', requirement: req() }, trust: pgi });
  t.equal(otherImage.ok, false);
  t.match(otherImage.reason, /subject is not sha256:0000/);

  const wrongPerson = verifySigstoreBundle({ bundle, subjectDigest: DIGEST, signer: { kind: 'certificate', requirement: req({ identities: [{ subject: 'someone@else.com', match: 'cip' }] }) }, trust: pgi });
  t.equal(wrongPerson.ok, false);
  t.match(wrongPerson.reason, /signed by "cody@soyland.com", the policy wants subject "someone@else.com"/);

  const key = verifySigstoreBundle({ bundle, subjectDigest: DIGEST, signer: { kind: 'key', keys: [], tlog: 'require' }, trust: pgi });
  t.equal(key.ok, false);
  t.match(key.reason, /signed with a certificate, the policy wants a key/);

  const tampered = JSON.parse(bundle.toString('utf8')) as { dsseEnvelope: { payload: string } };
  const statement = JSON.parse(Buffer.from(tampered.dsseEnvelope.payload, 'base64').toString('utf8')) as Record<string, unknown>;
  statement.predicate = { Data: 'changed' };
  tampered.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
  const bad = verifySigstoreBundle({ bundle: tampered, subjectDigest: DIGEST, signer: { kind: 'certificate', requirement: req() }, trust: pgi });
  t.equal(bad.ok, false, 'a changed statement fails');

  t.match(verifySigstoreBundle({ bundle: '{', signer: { kind: 'certificate', requirement: req() }, trust: pgi }).reason, /not a valid Sigstore bundle/);
});
