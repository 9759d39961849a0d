// The whole pipeline (run(): files → policy YAML → registry → verdict) for a
// ClusterImagePolicy keyless authority and an attestation, with `--trusted-root`
// naming the test-only Fulcio/Rekor/CT stand-in (built on @sigstore/mock).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { exitCode } from '../../src/engine/result.js';
import { run } from '../../src/engine/run.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { createSigstoreStandIn } from '../../src/testkit/sigstore-stand-in.js';
import { attestImage, signImageKeyless } from '../../src/testkit/sigstore-signer.js';
import { realRegistry } from '../registry/registry-fixture.js';

const ID = 'https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

t.test('CIP keyless authority + attestation, --trusted-root', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const standIn = await createSigstoreStandIn();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-keyless-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  const signedDigest = await pushImage(reg.host, 'prod/signed', 'v1', { seed: 'signed' });
  await signImageKeyless({ registry: reg.host, repo: 'prod/signed', digest: signedDigest, signer: { standIn, identity: { subject: ID, issuer: ISSUER } } });
  await attestImage({ registry: reg.host, repo: 'prod/signed', digest: signedDigest, signer: { standIn, identity: { subject: ID, issuer: ISSUER } }, predicateType: 'https://slsa.dev/provenance/v0.2', predicate: { builder: { id: 'gha' } } });
  const strangerDigest = await pushImage(reg.host, 'prod/stranger', 'v1', { seed: 'stranger' });
  await signImageKeyless({ registry: reg.host, repo: 'prod/stranger', digest: strangerDigest, signer: { standIn, identity: { subject: 'https://github.com/evil/x/.github/workflows/y.yml@refs/heads/main', issuer: ISSUER } } });

  const pod = (name: string, image: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n    - name: c\n      image: ${image}\n---\n`;
  await writeFile(path.join(dir, 'app.yaml'), pod('a', `${reg.host}/prod/signed:v1`) + pod('b', `${reg.host}/prod/stranger:v1`));
  await writeFile(
    path.join(dir, 'policy.yaml'),
    `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: keyless
spec:
  images:
    - glob: "${reg.host}/prod/**"
  authorities:
    - keyless:
        identities:
          - issuer: ${ISSUER}
            subject: ${ID}
      attestations:
        - name: provenance
          predicateType: slsaprovenance
`,
  );
  await writeFile(path.join(dir, 'root.json'), standIn.trustedRootJson);
  const out = await run({
    inputs: [path.join(dir, 'app.yaml')],
    policyPaths: [path.join(dir, 'policy.yaml')],
    unmatched: 'allow',
    concurrency: 4,
    cache: false,
    insecureRegistries: [],
    trustedRoot: path.join(dir, 'root.json'),
  });
  const byRepo = (r: string) => out.result.results.find((x) => x.image.includes(r))!;
  t.equal(byRepo('prod/signed').status, 'pass', byRepo('prod/signed').policies.flatMap((p) => p.reasons).join('; '));
  t.equal(byRepo('prod/stranger').status, 'fail');
  t.match(byRepo('prod/stranger').policies[0]?.reasons.join(), /no attestation of type https:\/\/slsa.dev\/provenance\/v0.2 signed by https:\/\/github.com\/acme/);
  t.equal(exitCode(out.result), 1);
});
