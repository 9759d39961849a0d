// Issue 21.2 and 21.4: a Notation trust policy as `notation policy import` reads it. Identities only
// a plugin evaluates (AWS Signer's profile ARN) make a valid statement whose images are `error`
// (unsupported, never pass); a missing trust store stays exit 2 and says where its certificates go.
import t from 'tap';
import { makeSigner } from '../../src/testkit/notation-signer.js';
import { deployment, kyvernoPolicy, repo, startBench, verify, type Bench } from '../parity/fixture.js';

let b: Bench;
let rootPem: string;
t.before(async () => {
  b = await startBench();
  rootPem = (await makeSigner()).root.pem;
});
t.teardown(() => b?.close());

const trustPolicy = (identities: string[], store = 'signingAuthority:aws-signer-ts') =>
  JSON.stringify(
    {
      version: '1.0',
      trustPolicies: [
        {
          name: 'aws-signer',
          registryScopes: [`${b.registry.host}/apps/rogue`],
          signatureVerification: { level: 'strict' },
          trustStores: [store],
          trustedIdentities: identities,
        },
      ],
    },
    null,
    2,
  );
const ARN = 'arn:aws:signer:us-west-2:123456789012:/signing-profiles/MyProfile';

t.test('notation-go trustpolicy.go admits non-x509.subject identities (plugins evaluate them): images in scope are error, others unaffected', async (t) => {
  const dir = await repo(t, {
    'policies/notation/trustpolicy.json': trustPolicy([ARN]),
    'policies/notation/truststore/x509/signingAuthority/aws-signer-ts/root.pem': rootPem,
    'policies/kyverno.yaml': kyvernoPolicy(b).replace(`"${b.registry.host}/*"`, `"${b.registry.host}/apps/web*"`),
    'deploy/web.yaml': deployment('web', b.signed),
    'deploy/rogue.yaml': deployment('rogue', b.unsigned),
  });
  const run = await verify(dir, ['deploy', '--policy', 'policies']);
  t.equal(run.code, 3, run.stderr);
  t.same(run.verdicts, { 'apps/web:1.0': 'pass', 'apps/rogue:1.0': 'error' });
  t.match(run.stdout, `unsupported: signing-authority identity \\"${ARN}\\" needs the AWS Signer plugin (com.amazonaws.signer.notation.plugin)`);
  t.notMatch(run.stderr, 'no x509 trusted identities');
});

t.test('another plugin prefix is named by its prefix; x509.subject identities beside it are still evaluated', async (t) => {
  const dir = await repo(t, {
    'policies/notation/trustpolicy.json': trustPolicy(['com.example.kms:key-1']),
    'policies/notation/truststore/x509/signingAuthority/aws-signer-ts/root.pem': rootPem,
    'deploy/rogue.yaml': deployment('rogue', b.unsigned),
  });
  const run = await verify(dir, ['deploy', '--policy', 'policies']);
  t.equal(run.code, 3, run.stderr);
  t.same(run.verdicts, { 'apps/rogue:1.0': 'error' });
  t.match(run.stdout, 'needs the verification plugin that evaluates \\"com.example.kms:\\" identities');

  const mixed = await repo(t, {
    'policies/notation/trustpolicy.json': trustPolicy(['com.example.kms:key-1', 'x509.subject: C=US, ST=WA, O=Acme']),
    'policies/notation/truststore/x509/signingAuthority/aws-signer-ts/root.pem': rootPem,
    'deploy/rogue.yaml': deployment('rogue', b.unsigned),
  });
  const m = await verify(mixed, ['deploy', '--policy', 'policies']);
  // The x509 identity is evaluated as notation does for signatures without a plugin: unsigned fails.
  t.equal(m.code, 1, m.stderr);
  t.same(m.verdicts, { 'apps/rogue:1.0': 'fail' });
});

t.test('a trust store with no certificates beside the policy: exit 2, where they go, and why `notation cert add` is not it', async (t) => {
  const dir = await repo(t, {
    'policies/notation/trustpolicy.json': trustPolicy(['x509.subject: C=US, ST=WA, O=Acme'], 'ca:acme'),
    'deploy/rogue.yaml': deployment('rogue', b.unsigned),
  });
  const run = await verify(dir, ['deploy', '--policy', 'policies']);
  t.equal(run.code, 2, run.stderr);
  t.same(run.verdicts, {});
  t.match(run.stderr, /policies\/notation\/trustpolicy\.json:\d+: trustPolicies\[0\]\.trustStores\[0\]: trust store "ca:acme" has no certificates: this check reads them from policies\/notation\/truststore\/x509\/ca\/acme\/ \(beside policies\/notation\/trustpolicy\.json\)/);
  t.match(run.stderr, '`notation cert add --type ca --store acme <cert>` would put them in your own notation store (~/.config/notation/truststore), which a repository check does not read');
});
