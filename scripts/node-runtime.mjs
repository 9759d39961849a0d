// The Node.js runtimes the tests run on, obtained from the npm registry (Node is published there
// as `node-<platform>-<arch>` packages, the binary inside): installed once under
// node_modules/.runtimes/<major>/, so README's `npm ci && npm test` needs no hand install.
// The system Node is used when it already is the major asked for and new enough.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Per major: the version installed (what sigstore-js 4 accepts: ^22.22.2 || ^24.15.0). */
export const RUNTIMES = { 22: '22.23.5', 24: '24.22.3', 20: '20.20.2' };

function satisfies(version, wanted) {
  const [a, b, c] = version.replace(/^v/, '').split('.').map(Number);
  const [x, y, z] = wanted.split('.').map(Number);
  return a === x && (b > y || (b === y && c >= z));
}

/** Path of a `node` binary of `major` (22, 24, or 20 for the launcher's refusal test). */
export function nodeBinary(major) {
  const version = RUNTIMES[major];
  if (!version) throw new Error(`no runtime pinned for Node ${major} (known: ${Object.keys(RUNTIMES).join(', ')})`);
  if (satisfies(process.version, version)) return process.execPath;
  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const prefix = path.join(root, 'node_modules', '.runtimes', String(major));
  const binary = path.join(prefix, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(prefix, { recursive: true });
  // A package.json of its own, so npm installs here and never touches the project's lock file.
  writeFileSync(path.join(prefix, 'package.json'), JSON.stringify({ name: `runtime-node-${major}`, private: true }));
  process.stderr.write(`installing Node ${version} (${pkg}@${version} from the npm registry) for the tests…\n`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts=false', `${pkg}@${version}`], { cwd: prefix, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(binary)) throw new Error(`${pkg}@${version} installed no ${binary}`);
  return binary;
}

// `node scripts/node-runtime.mjs 22`: prints the binary's path (for shell scripts).
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.stdout.write(`${nodeBinary(Number(process.argv[2] ?? 24))}\n`);
}
