import t from 'tap';
import { parseReference } from '../../src/images/reference.js';
import { digestDecision } from '../../src/policy/digest.js';

const D = `sha256:${'a'.repeat(64)}`;
const rule = (mutateDigest: boolean, verifyDigest: boolean) => ({ digest: { mutateDigest, verifyDigest, required: true } });

t.test('a tag-only reference fails only when mutateDigest=false and verifyDigest=true', async (t) => {
  const tag = parseReference('ghcr.io/org/app:1.0');
  t.match(digestDecision(rule(false, true), tag), { status: 'fail' });
  t.equal(digestDecision(rule(true, true), tag), null, 'the tag would be pinned: we verify the resolved digest');
  t.equal(digestDecision(rule(false, false), tag), null);
  t.equal(digestDecision(rule(false, true), parseReference(`ghcr.io/org/app:1.0@${D}`)), null, 'digest present');
});
