import t from 'tap';
import { checkPayloadClaims, parseSimpleSigningPayload, shortDigest } from '../../src/verify/sig-payload.js';
import { VerificationError } from '../../src/verify/types.js';
import { DIGEST, payloadFor } from './fixtures/helpers.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return err instanceof VerificationError ? err.code : 'other';
  }
};

t.test('parses cosign and skopeo payloads', async (t) => {
  const p = parseSimpleSigningPayload(payloadFor(DIGEST));
  t.same(p, { signedDigest: DIGEST, dockerReference: 'registry.example/app', optional: {} });
  const skopeo = parseSimpleSigningPayload(payloadFor(DIGEST, { creator: 'containers/image', timestamp: 1 }));
  t.same(skopeo.optional, { creator: 'containers/image', timestamp: 1 });
});

t.test('rejects what is not a simple-signing payload with PAYLOAD_INVALID', async (t) => {
  for (const text of [
    'not json',
    '\xff\xfe',
    'null',
    '[]',
    '{"critical":{"type":"cosign container image signature"}}',
    '{"critical":{"type":"other","image":{"docker-manifest-digest":"sha256:x"}}}',
    '{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":5}}}',
    '{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":"sha256:x"}},"optional":"str"}',
  ]) {
    t.equal(codeOf(() => parseSimpleSigningPayload(Buffer.from(text, 'latin1'))), 'PAYLOAD_INVALID', text);
  }
});

t.test('claims: exact digest, annotations subset with equal string values', async (t) => {
  const p = parseSimpleSigningPayload(payloadFor(DIGEST, { env: 'prod', n: 1 }));
  t.equal(codeOf(() => checkPayloadClaims(p, DIGEST, {})), 'none');
  t.equal(codeOf(() => checkPayloadClaims(p, DIGEST, { env: 'prod' })), 'none');
  t.equal(codeOf(() => checkPayloadClaims(p, DIGEST.toUpperCase(), {})), 'DIGEST_MISMATCH', 'exact compare');
  t.equal(codeOf(() => checkPayloadClaims(p, `sha256:${'cd'.repeat(32)}`, {})), 'DIGEST_MISMATCH');
  t.equal(codeOf(() => checkPayloadClaims(p, DIGEST, { env: 'dev' })), 'ANNOTATIONS_MISSING');
  t.equal(codeOf(() => checkPayloadClaims(p, DIGEST, { team: 'a' })), 'ANNOTATIONS_MISSING');
  t.equal(codeOf(() => checkPayloadClaims(p, DIGEST, { n: '1' })), 'ANNOTATIONS_MISSING', 'number is not the string');
});

t.test('shortDigest keeps attacker text bounded', async (t) => {
  t.equal(shortDigest(DIGEST), 'sha256:abababababab…');
  t.ok(shortDigest('x'.repeat(500)).length < 100);
});
