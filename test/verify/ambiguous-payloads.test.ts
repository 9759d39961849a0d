// Issue 22.3: cosign 3.1.x's verifier rules, against the real registry, verdict per image. A signed
// payload that two parsers could read two ways (a member twice, a struct field twice by case) is
// refused with the reason (sigstore/cosign#5252); so are such in-toto statements. Controls pass.
import t from 'tap';
import { signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { attestImage } from '../../src/testkit/sigstore-signer.js';
import { deployment, repo, startBench, verify, type Bench } from '../parity/fixture.js';
import { indent } from '../helpers/engine.js';

const b: Bench = await startBench();
t.teardown(() => b.close());
const host = b.registry.host;

async function image(name: string): Promise<string> {
  return pushImage(host, `amb/${name}`, '1.0', { seed: name });
}

const keyEntry = `- keys:\n    rekor: {ignoreTlog: true}\n    publicKeys: |-\n${indent(b.key.publicKeyPem, 6)}`;
const policy = (entry: string) => `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: amb}
spec:
  validationFailureAction: Enforce
  rules:
    - name: check
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - imageReferences: ["${host}/amb/*"]
          mutateDigest: false
          verifyDigest: false
${indent(entry, 10)}
`;

t.test('simple-signing payloads: duplicate members and case variants of struct fields fail; a map keeps case variants', async (t) => {
  const cases: [string, ((json: string) => string) | undefined, string][] = [
    ['clean', undefined, 'pass'],
    ['critical-twice', (j) => j.replace('{"critical":', '{"critical":{"type":"x"},"critical":'), 'fail'],
    ['critical-case', (j) => j.replace('{"critical":', '{"Critical":{"type":"x"},"critical":'), 'fail'],
    ['digest-case', (j) => j.replace('"docker-manifest-digest":', '"Docker-Manifest-Digest":"sha256:00","docker-manifest-digest":'), 'fail'],
    ['optional-case', (j) => j.replace('"optional":null', '"optional":{"env":"prod","Env":"dev"}'), 'pass'],
    ['optional-twice', (j) => j.replace('"optional":null', '"optional":{"env":"prod","env":"dev"}'), 'fail'],
  ];
  const files: Record<string, string> = { 'p.yaml': policy(`attestors:\n  - entries:\n${indent(keyEntry, 6)}`) };
  for (const [name, editPayload] of cases) {
    const digest = await image(name);
    await signImage({ registry: host, repo: `amb/${name}`, digest, key: b.key, ...(editPayload && { editPayload }) });
    files[`deploy/${name}.yaml`] = deployment(name, `${host}/amb/${name}:1.0`);
  }
  const dir = await repo(t, files);
  const run = await verify(dir, ['deploy', '--policy', 'p.yaml']);
  t.equal(run.code, 1, run.stderr);
  t.same(run.verdicts, Object.fromEntries(cases.map(([name, , v]) => [`amb/${name}:1.0`, v])));
  t.match(run.stdout, 'could be read two ways');
  t.match(run.stdout, 'cosign 3.1.6 refuses it');
});

t.test('in-toto statements: a member twice or a case-variant statement field fails; the same statement written once passes', async (t) => {
  const type = 'https://example.com/scan/v1';
  const cases: [string, ((json: string) => string) | undefined, string][] = [
    ['att-clean', undefined, 'pass'],
    ['att-type-twice', (j) => j.replace('"predicateType":', '"predicateType":"https://example.com/other/v1","predicateType":'), 'fail'],
    ['att-type-case', (j) => j.replace('"predicateType":', '"PredicateType":"https://example.com/other/v1","predicateType":'), 'fail'],
    ['att-subject-twice', (j) => j.replace('"subject":', '"subject":[],"subject":'), 'fail'],
  ];
  const files: Record<string, string> = { 'p.yaml': policy(`attestations:\n  - type: ${type}\n    attestors:\n      - entries:\n${indent(keyEntry, 10)}`) };
  for (const [name, editStatement] of cases) {
    const digest = await image(name);
    await attestImage({ registry: host, repo: `amb/${name}`, digest, signer: { key: b.key }, tlog: 'none', predicateType: type, predicate: { ok: true }, ...(editStatement && { editStatement }) });
    files[`deploy/${name}.yaml`] = deployment(name, `${host}/amb/${name}:1.0`);
  }
  const dir = await repo(t, files);
  const run = await verify(dir, ['deploy', '--policy', 'p.yaml']);
  t.equal(run.code, 1, run.stderr);
  t.same(run.verdicts, Object.fromEntries(cases.map(([name, , v]) => [`amb/${name}:1.0`, v])));
  t.match(run.stdout, 'the in-toto statement could be read two ways');
});
