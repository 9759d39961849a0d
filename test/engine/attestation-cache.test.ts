// A cached attestation verdict needs no evidence: the warm run asks the registry only for the tag
// (the prefetch used to fetch the .att image and the referrers anyway: 3 requests more per digest).
import t from 'tap';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { attestImage } from '../../src/testkit/sigstore-signer.js';
import { settledCount, realRegistry } from '../registry/registry-fixture.js';
import { runCli, tempRepo } from '../helpers/cli.js';
import { deployment, indent, kyverno } from '../helpers/engine.js';

const SLSA = 'https://slsa.dev/provenance/v1';

t.test('warm runs of an attestation policy make one request per image', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const key = generateKeyPair('ecdsa-p256');
  const digest = await pushImage(reg.host, 'att/web', 'v1', { seed: 'att-cache' });
  await signImage({ registry: reg.host, repo: 'att/web', digest, key });
  await attestImage({ registry: reg.host, repo: 'att/web', digest, signer: { key }, predicateType: SLSA, predicate: { builder: 'ci' }, tlog: 'none' });
  const attestations = `attestations:
  - type: ${SLSA}
    attestors:
      - entries:
          - keys:
              publicKeys: |-
${indent(key.publicKeyPem, 16)}
              rekor: {ignoreTlog: true}
`;
  const dir = await tempRepo(t, { 'p/policy.yaml': kyverno({ refs: [`${reg.host}/*`], keys: [key], extra: attestations }), 'apps/a.yaml': deployment('a', `${reg.host}/att/web:v1`) }, { prefix: 'vi-attcache-' });

  const cold = await runCli(dir, ['apps', '-p', 'p', '-o', 'json']);
  t.equal(cold.code, 0, cold.stderr);
  t.equal(JSON.parse(cold.stdout).results[0].status, 'pass');
  const before = await settledCount(reg, reg.requestCount());
  const warm = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '-v']);
  t.equal(JSON.parse(warm.stdout).results[0].status, 'pass');
  t.match(warm.stderr, /2 cache hits/, 'the signature and the attestation verdicts');
  t.equal((await settledCount(reg, before + 1)) - before, 1, 'only the tag was resolved');
});
