// Notation trust policies and trust stores, validated as notation-go validates them; each error
// names the file and the line of the JSON path.
import t from 'tap';
import { parseReference } from '../../../src/images/reference.js';
import { loadPolicies } from '../../../src/policy/loaders.js';
import type { NotationRequirement } from '../../../src/policy/model.js';
import { selectRules } from '../../../src/policy/select.js';
import { makeCertificate, makeSigner } from '../../../src/testkit/notation-signer.js';

const { root, leaf } = await makeSigner();
const tsaRoot = await makeCertificate({ subject: 'C=US, ST=WA, O=TSA, CN=TSA Root', ca: true });
const stores = (extra: Record<string, { file: string; bytes: Uint8Array }[]> = {}) =>
  new Map([
    [
      'p/trustpolicy.json',
      new Map(
        Object.entries({
          'ca:acme': [{ file: 'p/truststore/x509/ca/acme/root.crt', bytes: Buffer.from(root.pem) }],
          'tsa:ts': [{ file: 'p/truststore/x509/tsa/ts/tsa.der', bytes: tsaRoot.der }],
          ...extra,
        }),
      ),
    ],
  ]);

const statement = (over: Record<string, unknown> = {}) => ({
  name: 'prod',
  registryScopes: ['registry.example/acme/app'],
  signatureVerification: { level: 'strict' },
  trustStores: ['ca:acme'],
  trustedIdentities: ['x509.subject: C=US, ST=WA, O=Acme'],
  ...over,
});
const policy = (statements: unknown[], version = '1.0') => JSON.stringify({ version, trustPolicies: statements }, null, 2);
const load = (text: string, extra?: Parameters<typeof stores>[0]) => loadPolicies([{ file: 'p/trustpolicy.json', text }], { trustStores: stores(extra) });
const w = { apiVersion: 'v1', kind: 'Pod', labels: {}, annotations: {} };

t.test('a statement becomes a Notation leaf with its stores, identities and level', async (t) => {
  const [p] = load(policy([statement({ trustStores: ['ca:acme', 'tsa:ts'], signatureVerification: { level: 'permissive', override: { revocation: 'skip' } } })]));
  const req = p!.rules[0]!.requirement as NotationRequirement;
  t.equal(req.kind, 'notation');
  t.equal(req.level, 'permissive');
  t.same(req.checks, { authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'skip' });
  t.equal(req.ca.length, 1);
  t.equal(req.tsa.length, 1, 'a DER certificate is read too');
  t.equal(req.hasTsaStore, true);
  t.same(req.identities, [{ C: 'US', ST: 'WA', O: 'Acme' }]);
  t.equal(req.maxSignatures, 100);
  t.equal(p!.rules[0]!.line, 4);
});

t.test('levels: the table, overrides on top; skip needs nothing and checks nothing', async (t) => {
  const checks = (level: string, override?: object) =>
    ((load(policy([statement({ signatureVerification: { level, ...(override && { override }) } })]))[0]!.rules[0]!.requirement) as NotationRequirement).checks;
  t.same(checks('strict'), { authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' });
  t.same(checks('audit'), { authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' });
  t.same(checks('strict', { expiry: 'log', authenticity: 'log' }), { authenticity: 'log', authenticTimestamp: 'enforce', expiry: 'log', revocation: 'enforce' });
  const [skip] = load(policy([{ name: 's', registryScopes: ['*'], signatureVerification: { level: 'skip' } }]));
  t.match(skip!.rules[0]!.requirement, { kind: 'static', action: 'pass' });
});

t.test('an exact scope beats *: the wildcard statement excludes the scopes other statements name', async (t) => {
  const [p] = load(policy([statement({ name: 'any', registryScopes: ['*'], signatureVerification: { level: 'audit' } }), statement()]));
  const judged = (image: string) => selectRules([p!], parseReference(image), w).filter((s) => !s.skipped).map((s) => s.rule.ruleName);
  t.same(judged('registry.example/acme/app:1.0'), ['prod']);
  t.same(judged('registry.example/acme/other:1.0'), ['any']);
  t.same(judged('registry.example/acme/app@sha256:' + 'a'.repeat(64)), ['prod'], 'tags and digests of the scope');
  const [exact] = load(policy([statement({ registryScopes: ['docker.io/library/nginx'] })]));
  t.equal(selectRules([exact!], parseReference('nginx:1.25'), w).length, 1, 'a reference without registry is docker.io/library/…');
  t.equal(selectRules([exact!], parseReference('index.docker.io/library/nginx:1.25'), w).length, 0, 'no other normalisation');
});

t.test('validation errors are exit-2 policy errors at the JSON path', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['duplicate names', policy([statement(), statement({ registryScopes: ['r.example/b'] })]), /trustPolicies\[1\]\.name: duplicate trust policy statement name "prod"/],
    ['a scope in two statements', policy([statement(), statement({ name: 'b' })]), /trustPolicies\[1\]\.registryScopes: registry scope "registry\.example\/acme\/app" is also in statement "prod"/],
    ['two * statements', policy([statement({ registryScopes: ['*'] }), statement({ name: 'b', registryScopes: ['*'] })]), /only one statement may use the wildcard scope/],
    ['* with others', policy([statement({ registryScopes: ['*', 'r.example/a'] })]), /the wildcard scope "\*" must be the only scope/],
    ['a wildcard inside a scope', policy([statement({ registryScopes: ['registry.example/*'] })]), /registry scope "registry\.example\/\*" with wild card\(s\) is not valid/],
    ['a scope that is no repository', policy([statement({ registryScopes: ['registry.example'] })]), /registry scope "registry\.example" is not a valid registry\/repository/],
    ['skip with stores', policy([statement({ signatureVerification: { level: 'skip' } })]), /level "skip" must not have trust stores or trusted identities/],
    ['strict without identities', policy([statement({ trustedIdentities: [] })]), /level "strict" needs trusted identities/],
    ['strict without stores', policy([statement({ trustStores: [] })]), /level "strict" needs trust stores/],
    ['a store that does not exist', policy([statement({ trustStores: ['ca:nope'] })]), /trust store "ca:nope" has no certificates: expected files in truststore\/x509\/ca\/nope\//],
    ['a malformed store reference', policy([statement({ trustStores: ['x509:acme'] })]), /trust store "x509:acme" must be ca:<name>/],
    ['* among identities', policy([statement({ trustedIdentities: ['*', 'x509.subject: C=US, ST=WA, O=A'] })]), /the wildcard identity "\*" must be the only trusted identity/],
    ['a DN without ST', policy([statement({ trustedIdentities: ['x509.subject: C=US, O=Acme'] })]), /must name at least C, ST and O \(missing ST\)/],
    ['a hex DN value', policy([statement({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=#4142'] })]), /hex-encoded \(=#\) values are not supported/],
    ['overlapping DNs', policy([statement({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=Acme', 'x509.subject: C=US, ST=WA, O=Acme, CN=x'] })]), /overlap/],
    ['no x509 identities', policy([statement({ trustedIdentities: ['plugin.x:y'] })]), /no x509 trusted identities are configured/],
    ['unknown level', policy([statement({ signatureVerification: { level: 'paranoid' } })]), /unknown verification level "paranoid"/],
    ['overriding integrity', policy([statement({ signatureVerification: { level: 'strict', override: { integrity: 'log' } } })]), /integrity cannot be overridden/],
    ['skipping expiry', policy([statement({ signatureVerification: { level: 'strict', override: { expiry: 'skip' } } })]), /expiry cannot be skipped; only revocation can/],
    ['overrides on skip', policy([{ name: 's', registryScopes: ['*'], signatureVerification: { level: 'skip', override: { revocation: 'skip' } } }]), /level "skip" cannot be customised/],
    ['verifyTimestamp', policy([statement({ signatureVerification: { level: 'strict', verifyTimestamp: 'sometimes' } })]), /must be "always" or "afterCertExpiry"/],
    ['an unknown field', policy([statement({ trustStore: ['ca:acme'] })]), /trustPolicies\[0\]\.trustStore: unknown field "trustStore".*did you mean "trustStores"/],
    ['no statements', policy([]), /needs at least one trust policy statement/],
    ['version 1.1', policy([statement()], '1.1'), /unsupported Notation trust policy version "1\.1"/],
  ];
  for (const [name, text, message] of cases) t.throws(() => load(text), { code: 'POLICY_ERROR', message: new RegExp(`^p/trustpolicy\\.json:\\d+: .*${message.source}`) }, name);
  t.throws(() => load(cases[0]![1]), { message: /^p\/trustpolicy\.json:20: /, source: { line: 20 } }, 'the line of the JSON path');
});

t.test('trust store certificates: CA or self-signed only, and certificates at all', async (t) => {
  t.throws(() => load(policy([statement()]), { 'ca:acme': [{ file: 'p/truststore/x509/ca/acme/leaf.pem', bytes: Buffer.from(leaf.pem) }] }), {
    message: /leaf\.pem: C=US, ST=WA, L=Seattle, O=Acme, CN=signer is not a CA certificate or a self-signed signing certificate/,
  });
  t.throws(() => load(policy([statement()]), { 'ca:acme': [{ file: 'p/truststore/x509/ca/acme/x.crt', bytes: Buffer.from('not a certificate') }] }), {
    message: /x\.crt: not a certificate \(PEM or DER\)/,
  });
});
