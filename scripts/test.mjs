// `npm test`: tap on the Node the project targets (24 by default; TEST_NODE=22 for the other one),
// obtained from the npm registry by node-runtime.mjs. Its bin folder leads PATH, so tests that run
// `node` (the launcher, the demo, the hooks) run it too.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary } from './node-runtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.env.TEST_NODE ?? 24);
const node = nodeBinary(major);
const tap = path.join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');
process.stderr.write(`tests on Node ${major} (${node})\n`);
const child = spawn(node, [tap, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}`, TEST_NODE: String(major) },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
