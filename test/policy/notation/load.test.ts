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

t.test('what `notation policy import` refuses (notation-go verifier/trustpolicy/trustpolicy.go Validate, internal/pkix/pkix.go): exit-2 policy errors at the JSON path, in notation-go words', async (t) => {
  const cases: [string, string, RegExp][] = [
    ['trustpolicy.go: duplicate names', policy([statement(), statement({ registryScopes: ['r.example/b'] })]), /trustPolicies\[1\]\.name: multiple trust policy statements use the same name "prod", statement names must be unique/],
    ['trustpolicy.go: a statement without a name', policy([statement({ name: '' })]), /a trust policy statement is missing a name, every statement requires a name/],
    ['trustpolicy.go: a scope in two statements', policy([statement(), statement({ name: 'b' })]), /trustPolicies\[1\]\.registryScopes: registry scope "registry\.example\/acme\/app" is present in multiple trust policy statements, one registry scope value can only be associated with one statement/],
    ['trustpolicy.go: two * statements', policy([statement({ registryScopes: ['*'] }), statement({ name: 'b', registryScopes: ['*'] })]), /registry scope "\*" is present in multiple trust policy statements/],
    ['trustpolicy.go: * with others', policy([statement({ registryScopes: ['*', 'r.example/a'] })]), /uses wildcard registry scope '\*', a wildcard scope cannot be used in conjunction with other scope values/],
    ['trustpolicy.go: no scopes', policy([statement({ registryScopes: [] })]), /has zero registry scopes, it must specify registry scopes with at least one value/],
    ['trustpolicy.go: a wildcard inside a scope', policy([statement({ registryScopes: ['registry.example/*'] })]), /registry scope "registry\.example\/\*" with wild card\(s\) is not valid/],
    ['trustpolicy.go: a scope that is no repository', policy([statement({ registryScopes: ['registry.example'] })]), /registry scope "registry\.example" is not valid, make sure it is a fully qualified repository/],
    ['trustpolicy.go: skip with stores', policy([statement({ signatureVerification: { level: 'skip' } })]), /is set to skip signature verification but configured with trust stores and\/or trusted identities/],
    ['trustpolicy.go: strict without identities', policy([statement({ trustedIdentities: [] })]), /is either missing trust stores or trusted identities, both must be specified/],
    ['trustpolicy.go: strict without stores', policy([statement({ trustStores: [] })]), /is either missing trust stores or trusted identities, both must be specified/],
    ['trustpolicy.go: a store type notation does not know', policy([statement({ trustStores: ['x509:acme'] })]), /uses an unsupported trust store type "x509" in trust store value "x509:acme"/],
    ['trustpolicy.go: a store name outside [a-zA-Z0-9_.-]+', policy([statement({ trustStores: ['ca:ac me'] })]), /uses an unsupported trust store name "ac me" in trust store value "ca:ac me"\. Named store name needs to follow \[a-zA-Z0-9_\.-\]\+ format/],
    ['trustpolicy.go: * among identities', policy([statement({ trustedIdentities: ['*', 'x509.subject: C=US, ST=WA, O=A'] })]), /uses a wildcard trusted identity '\*', a wildcard identity must be used alone/],
    ['trustpolicy.go: an empty identity', policy([statement({ trustedIdentities: [''] })]), /has an empty trusted identity/],
    ['trustpolicy.go: an identity without a separator', policy([statement({ trustedIdentities: ['acme'] })]), /has trusted identity "acme" missing separator/],
    ['trustpolicy.go: x509.subject without a value', policy([statement({ trustedIdentities: ['x509.subject:'] })]), /has trusted identity "x509\.subject:" without an identity value/],
    ['pkix.go: a DN without ST', policy([statement({ trustedIdentities: ['x509.subject: C=US, O=Acme'] })]), /distinguished name \(DN\) " C=US, O=Acme" has no mandatory RDN attribute for "ST", it must contain 'C', 'ST', and 'O' RDN attributes at a minimum/],
    ['pkix.go: a hex DN value', policy([statement({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=#4142'] })]), /with invalid identity value: .*hex-encoded \(=#\) values are not supported/],
    ['trustpolicy.go: overlapping DNs', policy([statement({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=Acme', 'x509.subject: C=US, ST=WA, O=Acme, CN=x'] })]), /has overlapping x509 trustedIdentities, "x509\.subject: C=US, ST=WA, O=Acme" overlaps with/],
    ['trustpolicy.go: unknown level', policy([statement({ signatureVerification: { level: 'paranoid' } })]), /uses invalid signatureVerification value "paranoid"/],
    ['trustpolicy.go: overriding integrity', policy([statement({ signatureVerification: { level: 'strict', override: { integrity: 'log' } } })]), /"integrity" verification can not be overridden in custom signature verification/],
    ['trustpolicy.go: skipping expiry', policy([statement({ signatureVerification: { level: 'strict', override: { expiry: 'skip' } } })]), /"expiry" verification can not be skipped in custom signature verification/],
    ['trustpolicy.go: an unknown override action', policy([statement({ signatureVerification: { level: 'strict', override: { expiry: 'ignore' } } })]), /verification action "ignore" in custom signature verification is not supported/],
    ['trustpolicy.go: overrides on skip', policy([{ name: 's', registryScopes: ['*'], signatureVerification: { level: 'skip', override: { revocation: 'skip' } } }]), /signature verification level "skip" can't be used to customize signature verification/],
    ['trustpolicy.go: verifyTimestamp', policy([statement({ signatureVerification: { level: 'strict', verifyTimestamp: 'sometimes' } })]), /has invalid signatureVerification\.verifyTimestamp value "sometimes"\. The valid values are "always" and "afterCertExpiry"/],
    ['an unknown field (encoding/json DisallowUnknownFields in notation policy import)', policy([statement({ trustStore: ['ca:acme'] })]), /trustPolicies\[0\]\.trustStore: unknown field "trustStore".*did you mean "trustStores"/],
    ['trustpolicy.go: no statements', policy([]), /trust policy document can not have zero trust policy statements/],
    ['trustpolicy.go: version 1.1', policy([statement()], '1.1'), /trust policy document uses unsupported version "1\.1"/],
  ];
  for (const [name, text, message] of cases) t.throws(() => load(text), { code: 'POLICY_ERROR', message: new RegExp(`^p/trustpolicy\\.json:\\d+: .*${message.source}`) }, name);
  t.throws(() => load(cases[0]![1]), { message: /^p\/trustpolicy\.json:20: /, source: { line: 20 } }, 'the line of the JSON path');
});

t.test('trust store certificates: CA or self-signed only, and certificates at all', async (t) => {
  t.throws(() => load(policy([statement()]), { 'ca:acme': [{ file: 'p/truststore/x509/ca/acme/leaf.pem', bytes: Buffer.from(leaf.pem) }] }), {
    message: /leaf\.pem: certificate with subject "C=US, ST=WA, L=Seattle, O=Acme, CN=signer" is not a CA certificate or self-signed signing certificate/,
  });
  t.throws(() => load(policy([statement()]), { 'ca:acme': [{ file: 'p/truststore/x509/ca/acme/x.crt', bytes: Buffer.from('not a certificate') }] }), {
    message: /x\.crt: not a certificate \(PEM or DER\)/,
  });
});
