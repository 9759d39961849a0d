import t from 'tap';
import { parseReference } from '../../../src/images/reference.js';
import { selectRules } from '../../../src/policy/select.js';
import { load } from '../helpers.js';

t.test('a Notation trust policy loads as unsupported per registry scope', async (t) => {
  const text = JSON.stringify({
    version: '1.0',
    trustPolicies: [
      { name: 'prod', registryScopes: ['ghcr.io/org/app'], signatureVerification: { level: 'strict' }, trustStores: ['ca:x'], trustedIdentities: ['*'] },
      { name: 'skip', registryScopes: ['ghcr.io/org/dev'], signatureVerification: { level: 'skip' } },
    ],
  }, null, 2);
  const [p] = load(text, 'trustpolicy.json');
  t.equal(p!.format, 'notation');
  t.equal(p!.rules.length, 2);
  t.match(p!.rules[0]!.requirement, { kind: 'unsupported', field: 'Notation trust policy' });
  t.match(p!.rules[1]!.requirement, { kind: 'static', action: 'pass' });
  t.equal(p!.rules[0]!.line, 4);
  const w = { apiVersion: 'v1', kind: 'Pod', labels: {}, annotations: {} };
  t.equal(selectRules([p!], parseReference('ghcr.io/org/app:1.0'), w).length, 1, 'scope covers tags');
  t.equal(selectRules([p!], parseReference('ghcr.io/org/other:1.0'), w).length, 0);
});

t.test('an empty registryScopes is a policy error', async (t) => {
  t.throws(() => load('{"version": "1.0", "trustPolicies": [{"name": "x", "registryScopes": []}]}'), { code: 'POLICY_ERROR', source: { line: 1 } });
});
