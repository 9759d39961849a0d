// Before the tests: make sure the Debian packages some tests drive are installed,
// once, so parallel test files never race on apt. Installs only when root and
// missing; otherwise those tests skip with a message naming the package.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PACKAGES = [
  { binary: '/usr/bin/chromium', pkg: 'chromium', why: 'the headless check of -o html' },
  { binary: '/usr/bin/zsh', pkg: 'zsh', why: 'the zsh completion check' },
];

const missing = PACKAGES.filter((p) => !existsSync(p.binary));
for (const p of PACKAGES) if (!missing.includes(p)) console.log(`${p.pkg}: ${p.binary}`);
if (missing.length === 0) process.exit(0);

const names = missing.map((p) => p.pkg);
if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) {
  for (const p of missing) console.error(`warning: ${p.pkg} not found and not root; ${p.why} will be skipped (apt-get install ${p.pkg})`);
  process.exit(0);
}
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const apt = (...args) => execFileSync('flock', ['/tmp/apt.lock', 'apt-get', ...args], { env, stdio: 'ignore' });
try {
  try {
    apt('install', '-y', '--no-install-recommends', ...names);
  } catch {
    apt('update');
    apt('install', '-y', '--no-install-recommends', ...names);
  }
  console.log(`installed: ${names.join(', ')}`);
} catch (err) {
  console.error(`warning: ${names.join(', ')} could not be installed (${err.message}); ${missing.map((p) => p.why).join(' and ')} will be skipped`);
}
