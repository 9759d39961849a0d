// Installs missing Debian packages once (under a lock, so parallel callers never race on apt).
// Only when root on Linux; otherwise says what is missing and why, and the caller goes on.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** `packages`: {binary, pkg, why}. Returns the ones present afterwards. */
export function ensurePackages(packages) {
  const missing = packages.filter((p) => !existsSync(p.binary));
  for (const p of packages) if (!missing.includes(p)) console.log(`${p.pkg}: ${p.binary}`);
  if (missing.length === 0) return packages;
  const names = missing.map((p) => p.pkg);
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) {
    for (const p of missing) console.error(`warning: ${p.pkg} not found and not root; ${p.why} will be skipped (apt-get install ${p.pkg})`);
    return packages.filter((p) => !missing.includes(p));
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
  } catch {
    // One package this machine's sources lack must not keep the others out: one at a time.
    for (const p of missing) {
      try {
        apt('install', '-y', '--no-install-recommends', p.pkg);
        console.log(`installed: ${p.pkg}`);
      } catch (err) {
        console.error(`warning: ${p.pkg} could not be installed (${err.message}); ${p.why} will be skipped`);
      }
    }
  }
  return packages.filter((p) => existsSync(p.binary));
}
