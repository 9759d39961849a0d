// Issue 22.1: the Node versions the tool runs on. The tests themselves run on the runtime
// scripts/test.mjs obtained from the npm registry (24, or TEST_NODE=22); on Node 20 the launcher
// refuses in one line, exit 2, before loading anything that needs a newer Node.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
// @ts-expect-error: a plain .mjs script without types
import { nodeBinary, RUNTIMES } from '../../scripts/node-runtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const launcher = path.join(root, 'plugin', 'kubectl-verify_images');

t.test('engines: what sigstore-js 4 asks, ^22.22.2 or >= 24.15', async (t) => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
  t.equal(pkg.engines.node, '^22.22.2 || >=24.15');
  const verify = JSON.parse(readFileSync(path.join(root, 'node_modules', '@sigstore', 'verify', 'package.json'), 'utf8')) as { version: string; engines: { node: string } };
  t.match(verify.version, /^4\.1\./, '@sigstore/verify 4.1.x');
  t.match(verify.engines.node, '^22.22.2');
});

t.test('the suite runs on the runtime it was started for', async (t) => {
  const wanted = Number(process.env.TEST_NODE ?? 24);
  t.equal(Number(process.versions.node.split('.')[0]), wanted, `Node ${process.version}`);
  t.ok(wanted in (RUNTIMES as Record<number, string>));
});

t.test('on Node 20 the launcher says which Node it needs and exits 2, never a stack trace', async (t) => {
  let node20: string;
  try {
    node20 = nodeBinary(20) as string;
  } catch (err) {
    if (process.env.CI === 'true') throw err;
    t.plan(0, `Node 20 could not be installed from the npm registry here: ${(err as Error).message}`);
    return;
  }
  for (const args of [['--version'], ['deploy', '-p', 'policies']]) {
    const r = spawnSync(node20, [launcher, ...args], { encoding: 'utf8', cwd: root });
    t.equal(r.status, 2, args.join(' '));
    t.equal(r.stdout, '');
    t.match(r.stderr, /^kubectl-verify-images needs Node >= 22\.22 \(found v20\.\d+\.\d+\); install Node 22\.22\.2 or later, or 24\.15 or later\n$/);
  }
});

t.test('the hook image and the single binary are built on Node 24', async (t) => {
  const dockerfile = readFileSync(path.join(root, 'hooks', 'Dockerfile'), 'utf8');
  t.match(dockerfile, /^ARG NODE_VERSION=24$/m);
  t.match(dockerfile, /NODE_OPTIONS=--max-semi-space-size=16/, "Node 24's young generation kept at 16 MB (peak RSS, see README Benchmarks)");
  t.match(readFileSync(path.join(root, 'scripts', 'package.mjs'), 'utf8'), /execFileSync\(nodeBinary\(24\)/);
});
