// The fleet simulation of `npm run bench`: R runners (processes, each with its own local cache, as
// repo-server replicas or Jobs have) verify A apps between them, the apps sharing D digests. Measured
// at the registry's access log: requests and wall time with no sharing, with a shared Redis store,
// and with VSAs (CI verified once and published them; the runners check only the VSA).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKeyPair, signImage } from '../dist/testkit/cosign-signer.js';
import { pushImage } from '../dist/testkit/oci-push.js';
import { startRedis } from '../dist/testkit/redis-server.js';
import { attestImage } from '../dist/testkit/sigstore-signer.js';

const RUNNERS = Number(process.env.BENCH_FLEET_RUNNERS ?? 4);
const APPS = Number(process.env.BENCH_FLEET_APPS ?? 50);
const DIGESTS = Number(process.env.BENCH_FLEET_DIGESTS ?? 200);
const PER_APP = Number(process.env.BENCH_FLEET_IMAGES_PER_APP ?? 12);
const SLSA = 'https://slsa.dev/provenance/v1';
const VSA = 'https://slsa.dev/verification_summary/v1';

const indent = (text, n) => text.trim().split('\n').map((l) => ' '.repeat(n) + l).join('\n');

function policy(host, key, type, extra = '') {
  return `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: fleet-${type === SLSA ? 'full' : 'vsa'}}
spec:
  rules:
    - name: check
      match: {any: [{resources: {kinds: [Deployment]}}]}
      verifyImages:
        - imageReferences: ["${host}/*"]
          failureAction: Enforce
${extra}          attestations:
            - type: ${type}
              attestors:
                - entries:
                    - keys:
                        publicKeys: |-
${indent(key.publicKeyPem, 26)}
                        rekor: {ignoreTlog: true}
`;
}

function signatureBlock(key) {
  return `          attestors:
            - entries:
                - keys:
                    publicKeys: |-
${indent(key.publicKeyPem, 22)}
                    rekor: {ignoreTlog: true}
`;
}

export async function fleetBench({ registry, cli, work, log }) {
  const redis = await startRedis();
  try {
    log(`fleet: pushing ${DIGESTS} images, signed and attested …`);
    const key = generateKeyPair('ecdsa-p256');
    const ciKey = generateKeyPair('ecdsa-p256');
    const images = [];
    for (let i = 0; i < DIGESTS; i += 16) {
      const batch = [];
      for (let j = i; j < Math.min(DIGESTS, i + 16); j++) {
        batch.push(
          (async () => {
            const repo = `fleet/svc${j % 20}`;
            const digest = await pushImage(registry.host, repo, `v${j}`, { seed: `fleet-${j}` });
            await signImage({ registry: registry.host, repo, digest, key });
            await attestImage({ registry: registry.host, repo, digest, signer: { key }, predicateType: SLSA, predicate: { buildDefinition: { buildType: 'bench' } }, tlog: 'none' });
            return `${registry.host}/${repo}:v${j}`;
          })(),
        );
      }
      images.push(...(await Promise.all(batch)));
    }
    const dir = path.join(work, 'fleet');
    // App i uses PER_APP images in a window that slides by D/A: every digest is used, most by several apps.
    for (let a = 0; a < APPS; a++) {
      const docs = [];
      for (let k = 0; k < PER_APP; k++) {
        const image = images[(a * Math.ceil(DIGESTS / APPS) + k) % DIGESTS];
        docs.push(`apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app${a}-${k}}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: "${image}"}]\n`);
      }
      mkdirSync(path.join(dir, `app${a}`), { recursive: true });
      writeFileSync(path.join(dir, `app${a}`, 'deploy.yaml'), docs.join('---\n'));
    }
    mkdirSync(path.join(dir, 'full'), { recursive: true });
    mkdirSync(path.join(dir, 'vsa'), { recursive: true });
    writeFileSync(path.join(dir, 'full', 'policy.yaml'), policy(registry.host, key, SLSA, signatureBlock(key)));
    writeFileSync(path.join(dir, 'vsa', 'policy.yaml'), policy(registry.host, ciKey, VSA));
    writeFileSync(path.join(dir, 'ci-vsa.key'), ciKey.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const uses = APPS * PER_APP;

    const cliRun = (args, env) =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [cli, ...args], { cwd: dir, env: { ...process.env, VERIFY_IMAGES_CACHE_KEY: 'bench-fleet-key-0123456789abcdef', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')}: exit ${code}: ${stderr.slice(-400)}`))));
      });
    /** R runners in parallel, each verifying its share of the apps one after another. */
    const fleet = async (name, policyDir, extra) => {
      const before = registry.requestCount();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: RUNNERS }, async (_, r) => {
          const cacheDir = path.join(work, `fleet-cache-${name}-${r}`);
          for (let a = r; a < APPS; a += RUNNERS) await cliRun([`app${a}`, '-p', policyDir, '--cache-dir', cacheDir, ...extra], {});
        }),
      );
      const took = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 500)); // the access log settles
      return { took, requests: registry.requestCount() - before };
    };

    log('fleet: no sharing …');
    const alone = await fleet('alone', 'full', []);
    log('fleet: shared Redis store …');
    const shared = await fleet('redis', 'full', ['--cache-url', redis.url]);
    log('fleet: CI publishes VSAs once, runners check the VSA …');
    const ciBefore = registry.requestCount();
    const ciStart = performance.now();
    await cliRun(['.', '-p', 'full', '--no-cache', '--publish-vsa', '--vsa-key', 'ci-vsa.key', '--timeout', '5m'], {});
    const ciTook = performance.now() - ciStart;
    await new Promise((r) => setTimeout(r, 500));
    const ciRequests = registry.requestCount() - ciBefore;
    const vsa = await fleet('vsa', 'vsa', []);
    const vsaShared = await fleet('vsa-redis', 'vsa', ['--cache-url', redis.url.replace(/\/?$/, '/1')]);

    // Full policy: .sig manifest (its plain payload is known by its digest), .att manifest + payload, and the bundle referrers lookup (API + tag fallback) per digest; every tag per run.
    const floor = DIGESTS * 5 + APPS * PER_APP;
    const row = (label, r) => [label, `${Math.round(r.took)} ms`, `${r.requests} requests (${(r.requests / DIGESTS).toFixed(2)} per digest)`];
    return {
      header: `Fleet: ${RUNNERS} runners (processes, own local caches) × ${APPS} apps × ${PER_APP} images = ${uses} image uses over ${DIGESTS} digests; policy: key signature + SLSA provenance attestation (5 requests per digest to verify on this registry, 1 per use to resolve the tag: ${floor} requests with perfect sharing). A runner that meets a digest another is verifying waits for its verdict (a short Redis lock).`,
      rows: [
        row('fleet: no sharing (each runner its own local cache)', alone),
        row('fleet: shared Redis store (`--cache-url`), local caches too', shared),
        [`fleet: CI run publishing ${DIGESTS} VSAs (\`--publish-vsa\`, once)`, `${Math.round(ciTook)} ms`, `${ciRequests} requests`],
        row('fleet: runners requiring the CI VSA only (own local caches)', vsa),
        row('fleet: runners requiring the CI VSA, sharing Redis', vsaShared),
      ],
    };
  } finally {
    await redis.stop();
  }
}
