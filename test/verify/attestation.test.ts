// DSSE/in-toto pieces and Rekor attestation bodies (intoto 0.0.1 / 0.0.2, dsse 0.0.1),
// and certificate identity matching (Kyverno vs policy-controller semantics).
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import t from 'tap';
import { dsse } from '@sigstore/core';
import { checkAttestationBody, layerEvidence, verifyAttestation } from '../../src/verify/attestation.js';
import { identityMismatch } from '../../src/verify/certificate.js';
import { parseEnvelope, parseStatement, subjectMatches, verifyEnvelope } from '../../src/verify/dsse.js';
import type { KeyRequirement } from '../../src/policy/model.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function envelopeFor(statement: object, privateKey = keys.privateKey) {
  const payload = Buffer.from(JSON.stringify(statement));
  const sig = sign('sha256', dsse.preAuthEncoding('application/vnd.in-toto+json', payload), privateKey).toString('base64');
  const json = Buffer.from(JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: payload.toString('base64'), signatures: [{ keyid: '', sig }] }));
  return { json, payload, sig };
}
const statement = (over: object = {}) => ({ _type: 'https://in-toto.io/Statement/v1', predicateType: 'https://slsa.dev/provenance/v1', subject: [{ name: 'x', digest: { sha256: 'ab'.repeat(32) } }], predicate: { a: 1 }, ...over });

t.test('DSSE envelope and in-toto statement', async (t) => {
  const e = envelopeFor(statement());
  const env = parseEnvelope(e.json);
  if (typeof env === 'string') throw new Error(env);
  t.equal(verifyEnvelope(env, keys.publicKey), true, 'PAE signature verifies');
  t.equal(verifyEnvelope({ ...env, payload: Buffer.from('{}') }, keys.publicKey), false, 'another payload does not');
  const st = parseStatement(env);
  if (typeof st === 'string') throw new Error(st);
  t.equal(subjectMatches(st, DIGEST), true);
  t.equal(subjectMatches(st, `sha256:${'cd'.repeat(32)}`), false);
  t.match(parseStatement({ ...env, payloadType: 'text/plain' }), /not in-toto/);
  const old = parseEnvelope(envelopeFor(statement({ _type: 'https://in-toto.io/Statement/v0.1' })).json);
  t.equal(typeof old === 'string' ? old : (parseStatement(old) as { type: string }).type, 'https://in-toto.io/Statement/v0.1', 'v0.1 statements are accepted');
  t.match(parseStatement(parseEnvelope(envelopeFor(statement({ _type: 'https://example.com/other' })).json) as never), /not hold an in-toto statement/);
});

t.test('Rekor attestation bodies are cross-checked', async (t) => {
  const e = envelopeFor(statement());
  const env = parseEnvelope(e.json);
  if (typeof env === 'string') throw new Error(env);
  const b64pem = Buffer.from(pem).toString('base64');
  const expect = { envelopeJson: e.json, envelope: env, key: keys.publicKey };
  const intoto = { apiVersion: '0.0.1', kind: 'intoto', spec: { content: { hash: { algorithm: 'sha256', value: hex(e.json) }, payloadHash: { algorithm: 'sha256', value: hex(e.payload) } }, publicKey: b64pem } };
  t.equal(checkAttestationBody(intoto, expect), undefined, 'intoto 0.0.1 matches');
  t.match(checkAttestationBody({ ...intoto, spec: { ...intoto.spec, content: { ...intoto.spec.content, hash: { algorithm: 'sha256', value: '00' } } } }, expect), /envelope hash/);
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  t.match(checkAttestationBody({ ...intoto, spec: { ...intoto.spec, publicKey: Buffer.from(other).toString('base64') } }, expect), /different signing key/);
  const dsseBody = { apiVersion: '0.0.1', kind: 'dsse', spec: { payloadHash: { algorithm: 'sha256', value: hex(e.payload) }, signatures: [{ signature: e.sig, verifier: b64pem }] } };
  t.equal(checkAttestationBody(dsseBody, expect), undefined, 'dsse 0.0.1 matches');
  t.match(checkAttestationBody({ ...dsseBody, spec: { ...dsseBody.spec, signatures: [{ signature: 'AAAA', verifier: b64pem }] } }, expect), /different signature/);
  t.match(checkAttestationBody({ kind: 'hashedrekord', apiVersion: '0.0.1' }, expect), /unsupported kind/);
});

t.test('legacy .att layer with a key signer', async (t) => {
  const e = envelopeFor(statement());
  const layer = { mediaType: 'application/vnd.dsse.envelope.v1+json', digest: `sha256:${hex(e.json)}`, payload: e.json, annotations: { predicateType: 'https://slsa.dev/provenance/v1' } };
  const [evidence] = layerEvidence([layer]);
  t.equal(evidence?.predicateType, 'https://slsa.dev/provenance/v1');
  const signer: KeyRequirement = { kind: 'key', path: 'k', line: 1, keys: [pem], hashAlgorithm: 'sha256', annotations: {}, tlog: 'ignore' };
  const ok = verifyAttestation({ evidence: evidence!, signer, digest: DIGEST });
  t.equal(ok.ok, true, ok.reasons.join());
  t.same(ok.statement?.predicate, { a: 1 });
  const tlog = verifyAttestation({ evidence: evidence!, signer: { ...signer, tlog: 'require' }, digest: DIGEST });
  t.equal(tlog.ok, false);
  t.match(tlog.reasons.join(), /no transparency-log entry/);
  const wrongDigest = verifyAttestation({ evidence: { ...evidence!, layer: { ...layer, digest: `sha256:${'0'.repeat(64)}` } } as never, signer, digest: DIGEST });
  t.match(wrongDigest.reasons.join(), /does not match its layer digest/);
});

t.test('identity matching: kyverno wildcards and unanchored regexps; cip exact and anchored', async (t) => {
  const facts = { sans: ['https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main'], issuer: 'https://token.actions.githubusercontent.com' };
  t.equal(identityMismatch(facts, [{ subject: 'https://github.com/acme/*', match: 'kyverno' }]), undefined);
  t.match(identityMismatch(facts, [{ subject: 'https://github.com/acme/*', match: 'cip' }]), /wants subject/);
  t.equal(identityMismatch(facts, [{ subjectRegExp: 'acme/app', match: 'kyverno' }]), undefined);
  t.match(identityMismatch(facts, [{ subjectRegExp: 'acme/app', match: 'cip' }]), /matching/);
  t.equal(identityMismatch(facts, [{ subjectRegExp: 'https://github.com/acme/.*', issuer: 'https://token.actions.githubusercontent.com', match: 'cip' }]), undefined);
  t.equal(identityMismatch(facts, [{ issuer: 'https://token.actions.*', match: 'kyverno' }]), undefined);
  t.equal(identityMismatch(facts, [{ subject: 'x', match: 'cip' }, { subjectRegExp: '.*', match: 'cip' }]), undefined, 'any identity may match');
  t.equal(identityMismatch(facts, []), undefined, 'no identities: any');
});
