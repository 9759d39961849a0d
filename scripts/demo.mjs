// `npm run demo`: the main job on the built-in example. Starts a throwaway
// registry on 127.0.0.1, pushes three images, signs two of them with the demo
// key, then runs `kubectl verify-images` on examples/demo exactly as a
// pre-sync hook would: one image passes, one is blocked, exit code 1.
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signImage } from '../dist/testkit/cosign-signer.js';
import { pushImage } from '../dist/testkit/oci-push.js';
import { startRegistry } from '../dist/testkit/registry-server.js';
import { nodeBinary } from './node-runtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = path.join(root, 'examples', 'demo');
const say = (text) => process.stdout.write(`\u001b[1m» ${text}\u001b[0m\n`);

const privateKey = createPrivateKey(readFileSync(path.join(example, 'keys', 'demo.key')));
const publicKeyPem = readFileSync(path.join(example, 'keys', 'demo.pub'), 'utf8');
const key = { alg: 'ecdsa-p256', privateKey, publicKey: createPublicKey(privateKey), publicKeyPem };

say('starting a local OCI registry (CNCF distribution)');
const registry = await startRegistry();
const work = mkdtempSync(path.join(os.tmpdir(), 'verify-images-demo-'));
let status = 1;
try {
  say(`registry at ${registry.host}; pushing demo/web:1.0, demo/migrate:1.0, demo/worker:1.0`);
  const web = await pushImage(registry.host, 'demo/web', '1.0', { seed: 'web' });
  const migrate = await pushImage(registry.host, 'demo/migrate', '1.0', { seed: 'migrate' });
  await pushImage(registry.host, 'demo/worker', '1.0', { seed: 'worker' });

  say('signing demo/web and demo/migrate with examples/demo/keys/demo.key (cosign format); demo/worker stays unsigned');
  await signImage({ registry: registry.host, repo: 'demo/web', digest: web, key });
  await signImage({ registry: registry.host, repo: 'demo/migrate', digest: migrate, key });

  // The example's manifests name the registry as REGISTRY; point them at this run's port.
  cpSync(example, work, { recursive: true });
  for (const file of readdirSync(path.join(work, 'apps'))) {
    const p = path.join(work, 'apps', file);
    writeFileSync(p, readFileSync(p, 'utf8').replaceAll('REGISTRY/', `${registry.host}/`));
  }

  const args = ['verify-images', 'apps/', '--no-cache', ...process.argv.slice(2)];
  say(`kubectl ${args.join(' ')}`);
  // The CLI needs Node >= 22.22: on an older system Node (20 here), the plugin runs on the Node 24 the
  // tests use, taken from the npm registry (scripts/node-runtime.mjs), first on PATH for its `env node`.
  const node = nodeBinary(24);
  const env = { ...process.env, PATH: [path.join(root, 'plugin'), path.dirname(node), process.env.PATH].join(path.delimiter) };
  const viaKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
  const run = viaKubectl
    ? spawnSync('kubectl', args, { cwd: work, env, stdio: 'inherit' })
    : spawnSync(node, [path.join(root, 'plugin', 'kubectl-verify_images'), ...args.slice(1)], { cwd: work, env, stdio: 'inherit' });
  status = run.status ?? 2;
  say(`exit code ${status} — ${status === 1 ? 'the sync would be blocked (worker is unsigned)' : 'see above'}`);
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
// The demo succeeds when the tool blocked exactly what it should.
process.exitCode = status === 1 ? 0 : 1;
