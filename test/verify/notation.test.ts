// Notary Project envelopes checked in notation-go's order, on the real vectors of notation-go
// (JWS and COSE over the oci-layout image, the timestamped and expired envelopes, the trust
// store) and on envelopes the test kit signs.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { openEnvelope } from '../../src/verify/notation/envelope.js';
import { type NotationChecks, type TrustStatement, verifyNotationSignature } from '../../src/verify/notation/verify.js';
import { isSubsetDn, parseDn, readCertificates } from '../../src/verify/notation/x509.js';
import { makeCertificate, makeSigner, signEnvelope } from '../../src/testkit/notation-signer.js';
import { fixturesDir, SKIP_FIXTURES } from './fixtures/helpers.js';

const dir = path.join(fixturesDir, 'interop/notation-go');
const skip = existsSync(dir) ? false : SKIP_FIXTURES;
const read = (f: string) => readFileSync(path.join(dir, f));
const mediaTypeOf = (b: Uint8Array) => (b[0] === 0x7b ? 'application/jose+json' : 'application/cose');

const STRICT: NotationChecks = { authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' };
const statement = (over: Partial<TrustStatement> = {}): TrustStatement => ({
  name: 'test',
  level: 'strict',
  checks: STRICT,
  verifyTimestamp: 'always',
  ca: [],
  signingAuthority: [],
  tsa: [],
  hasTsaStore: false,
  identities: '*',
  ...over,
});
const verify = (envelope: Uint8Array, target: { mediaType: string; digest: string; size: number }, st: TrustStatement, now = new Date()) =>
  verifyNotationSignature({ mediaType: mediaTypeOf(envelope), envelope, target, statement: st, now });

// The image of notation-go's oci-layout, and the descriptor the timestamp vectors sign.
const OCI_LAYOUT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0', size: 481 };
const TS_TARGET = { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda', size: 528 };

t.test('notation-go vectors: JWS and COSE over the oci-layout image', { skip }, async (t) => {
  for (const f of ['jws_signature.sig', 'cose_signature.sig']) {
    const bytes = read(f);
    const env = await openEnvelope(mediaTypeOf(bytes), bytes);
    t.equal(env.alg, 'PS256', `${f}: PS256`);
    t.equal(env.signingScheme, 'notary.x509');
    const self = env.certificates.at(-1)!;
    const ok = await verify(bytes, OCI_LAYOUT, statement({ ca: [self], checks: { ...STRICT, revocation: 'skip' } }));
    t.match(ok, { ok: true, signer: /CN=alpine/ }, `${f}: trusted when its certificate is in the ca store`);
    // The fixture's trust store holds other certificates: not this signer.
    const store = ['wabbit-networks.io.crt', 'NotationTestRoot.pem', 'TestTimestamp.crt'].flatMap((c) => readCertificates(read(`truststore/x509/ca/valid-trust-store/${c}`)));
    t.match(await verify(bytes, OCI_LAYOUT, statement({ ca: store })), { ok: false, reason: 'signature is not produced by a trusted signer' }, `${f}: not by a trusted signer`);
    t.match(await verify(bytes, { ...OCI_LAYOUT, size: 482 }, statement({ ca: [self], checks: { ...STRICT, revocation: 'skip' } })), { ok: false, reason: /content descriptor mismatch/ });
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 40] ^= 1;
    t.match(await verify(tampered, OCI_LAYOUT, statement({ ca: [self] })), { ok: false, reason: /^integrity: / }, `${f}: a flipped byte breaks integrity`);
  }
});

/** The TSA root of the timestamp vectors (GlobalSign Root CA - R6), as carried in their tokens. */
function globalSignR6(): X509Certificate {
  const env = JSON.parse(read('timestamp/sigEnv/jwsWithTimestamp.sig').toString());
  const pem = execFileSync('openssl', ['pkcs7', '-inform', 'DER', '-print_certs'], { input: Buffer.from(env.header['io.cncf.notary.timestampSignature'], 'base64') }).toString();
  return readCertificates(Buffer.from(pem)).find((c) => c.subject.includes('Root CA - R6'))!;
}

t.test('notation-go timestamp vectors: countersignatures, expired certificates, timestamps outside validity', { skip }, async (t) => {
  const tsa = [globalSignR6()];
  const trustStore = readCertificates(read('truststore/x509/ca/valid-trust-store/TestTimestamp.crt'));
  const noRevocation = { ...STRICT, revocation: 'skip' as const };
  const run = async (f: string, over: Partial<TrustStatement> = {}) => {
    const bytes = read(`timestamp/sigEnv/${f}.sig`);
    const env = await openEnvelope(mediaTypeOf(bytes), bytes);
    // The expired vectors are signed by their own short-lived certificate (CN=testTSA).
    const ca = env.certificates[0]!.subject.includes('CN=alpine') ? trustStore : [env.certificates.at(-1)!];
    return verify(bytes, TS_TARGET, statement({ ca, tsa, hasTsaStore: true, checks: noRevocation, ...over }));
  };
  t.match(await run('jwsWithTimestamp'), { ok: true }, 'JWS with a GlobalSign timestamp');
  t.match(await run('coseWithTimestamp'), { ok: true }, 'COSE with a GlobalSign timestamp');
  t.match(await run('jwsExpiredWithTimestamp'), { ok: true }, 'an expired signing certificate passes on its timestamp');
  t.match(await run('coseExpiredWithTimestamp'), { ok: true });
  t.match(await run('jwsExpiredWithTimestamp', { tsa: [], hasTsaStore: false }), { ok: false, reason: /after the validity of certificate .*CN=testTSA/ }, 'without a tsa store the chain must be valid now');
  t.match(await run('jwsExpiredWithTimestamp', { tsa: [], hasTsaStore: false, checks: { ...noRevocation, authenticTimestamp: 'log' } }), { ok: true, warnings: [/authenticTimestamp is "log"/] }, 'permissive: an expired certificate is only logged');
  t.match(await run('timestampAfterNotAfter'), { ok: false, reason: /timestamp .* is not within the validity of certificate/ });
  t.match(await run('timestampBeforeNotBefore'), { ok: false, reason: /timestamp .* is not within the validity of certificate/ });
  t.match(await run('withoutTimestamp'), { ok: false, reason: 'no timestamp countersignature was found in the signature' });
  t.match(await run('withoutTimestamp', { verifyTimestamp: 'afterCertExpiry' }), { ok: true }, 'afterCertExpiry: a valid chain needs no timestamp');
  const r3 = readCertificates(read('truststore/x509/ca/valid-trust-store/GlobalSign.der'));
  t.match(await run('jwsWithTimestamp', { tsa: r3 }), { ok: false, reason: /does not chain to a certificate of the tsa: trust store/ }, 'another TSA root is not trusted');
  t.match(await run('jwsWithTimestamp', { checks: STRICT }), { ok: false, reason: /revocation not checked for .*GlobalSign/ }, 'strict: the TSA chain could be revoked, and is not checked offline');
});

t.test('the test kit: JWS and COSE, EC and RSA, every check in order', async (t) => {
  const { root, leaf, chain } = await makeSigner();
  const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 1234 };
  for (const format of ['jws', 'cose'] as const) {
    const env = await signEnvelope({ format, chain, target });
    t.match(await verify(env, target, statement({ ca: [root.x509] })), { ok: true }, `${format}: valid`);
    t.match(await verify(await signEnvelope({ format, chain, target, tamper: true }), target, statement({ ca: [root.x509] })), { ok: false, reason: /^integrity: the signature does not verify/ });
    const expired = await signEnvelope({ format, chain, target, expiry: new Date(Date.now() - 1000) });
    t.match(await verify(expired, target, statement({ ca: [root.x509] })), { ok: false, reason: /the signature expired on/ }, `${format}: expiry enforced`);
    t.match(await verify(expired, target, statement({ ca: [root.x509], level: 'permissive', checks: { ...STRICT, expiry: 'log' } })), { ok: true, warnings: [/expired/] }, `${format}: expiry logged`);
  }
  const rsa = await makeSigner('C=US, ST=WA, O=Acme, CN=rsa', { key: 'rsa' });
  for (const format of ['jws', 'cose'] as const) {
    t.match(await verify(await signEnvelope({ format, chain: rsa.chain, target }), target, statement({ ca: [rsa.root.x509] })), { ok: true }, `${format}: PS256 with an RSA 2048 leaf`);
  }
  // Trusted identities: the policy DN must be a subset of the leaf subject, values exact.
  const dn = (s: string) => parseDn(s);
  const ok = statement({ ca: [root.x509], identities: [dn('C=US, ST=WA, O=Acme')] });
  t.match(await verify(await signEnvelope({ format: 'jws', chain, target }), target, ok), { ok: true });
  const other = statement({ ca: [root.x509], identities: [dn('C=US, ST=WA, O=Other')] });
  t.match(await verify(await signEnvelope({ format: 'jws', chain, target }), target, other), { ok: false, reason: /does not match the X\.509 trusted identities \[C=US, ST=WA, O=Other\]/ });
  t.match(await verify(await signEnvelope({ format: 'jws', chain, target }), target, { ...other, level: 'audit', checks: { ...STRICT, authenticity: 'log', revocation: 'log' } }), { ok: true, warnings: [/authenticity is "log" at level audit/] }, 'audit logs authenticity');
  // A chain whose leaf is not issued by the next certificate.
  const stranger = await makeCertificate({ subject: 'C=US, ST=WA, O=X, CN=x', ca: true });
  t.match(await verify(await signEnvelope({ format: 'jws', chain: [leaf, stranger], target }), target, statement({ ca: [stranger.x509] })), { ok: false, reason: /integrity: invalid certificate chain: certificate 1 .* is not issued by certificate 2/ });
  // Revocation: a certificate naming OCSP/CRL is "not checked", per the revocation action.
  const revocable = await makeSigner('C=US, ST=WA, O=Acme, CN=revocable', { revocable: true });
  const env = await signEnvelope({ format: 'cose', chain: revocable.chain, target });
  t.match(await verify(env, target, statement({ ca: [revocable.root.x509] })), { ok: false, reason: /revocation not checked for .*CN=revocable/ });
  t.match(await verify(env, target, statement({ ca: [revocable.root.x509], checks: { ...STRICT, revocation: 'log' } })), { ok: true, warnings: [/revocation not checked/] });
  t.match(await verify(env, target, statement({ ca: [revocable.root.x509], checks: { ...STRICT, revocation: 'skip' } })), { ok: true, warnings: [] });
});

t.test('distinguished names: RFC 4514, S as ST, subsets with exact values', async (t) => {
  t.same(parseDn('C=US, S=WA, O=Acme\\, Inc., CN=a'), { C: 'US', ST: 'WA', O: 'Acme, Inc.', CN: 'a' });
  t.throws(() => parseDn('C=US+ST=WA'), /multi-valued/);
  t.throws(() => parseDn('C=US, C=DE'), /more than once/);
  t.ok(isSubsetDn({ C: 'US', O: 'Acme' }, { C: 'US', ST: 'WA', O: 'Acme' }));
  t.notOk(isSubsetDn({ O: 'acme' }, { O: 'Acme' }), 'case-sensitive');
});

t.test('validUntil: the signature expiry, or the end of the chain when it was judged at now; none when time was authenticated', async (t) => {
  const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'d'.repeat(64)}`, size: 99 };
  const leafEnd = new Date(Date.now() + 2 * 86_400_000);
  const { root, chain } = await makeSigner('C=US, ST=WA, O=Acme, CN=until', { notAfter: leafEnd });
  const st = statement({ ca: [root.x509] });
  const plain = await verify(await signEnvelope({ format: 'jws', chain, target }), target, st);
  t.ok(plain.ok && plain.validUntil, 'judged at now: bounded');
  const chainEnd = Math.min(...chain.map((c) => new Date(c.x509.validTo).getTime()));
  t.equal(plain.ok && plain.validUntil!.getTime(), chainEnd, 'by the first certificate of the chain to end');
  const soon = new Date(Math.floor((Date.now() + 3_600_000) / 1000) * 1000);
  const expiring = await verify(await signEnvelope({ format: 'cose', chain, target, expiry: soon }), target, st);
  t.equal(expiring.ok && expiring.validUntil!.getTime(), soon.getTime(), 'the signature expiry, sooner than the chain');
  const noTimeChecks = await verify(await signEnvelope({ format: 'jws', chain, target }), target, statement({ ca: [root.x509], checks: { ...STRICT, authenticTimestamp: 'skip', expiry: 'skip' } }));
  t.equal(noTimeChecks.ok && noTimeChecks.validUntil, undefined, 'no time-dependent check: unbounded (the cache TTL applies)');
});
