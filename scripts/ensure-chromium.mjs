// Before the tests: make sure Debian's chromium is installed, once, for the
// headless check of `-o html` (test/report/html-browser.test.ts). Installs only
// when root and missing, under the apt lock other setup scripts share; otherwise
// the browser test skips with a message.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

if (existsSync(CHROMIUM)) {
  console.log(`chromium: ${CHROMIUM}`);
} else if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) {
  console.error('warning: chromium not found and not root; the headless -o html test will be skipped (apt-get install chromium)');
} else {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => execFileSync('flock', ['/tmp/apt.lock', 'apt-get', ...args], { env, stdio: 'ignore' });
  try {
    try {
      apt('install', '-y', '--no-install-recommends', 'chromium');
    } catch {
      apt('update');
      apt('install', '-y', '--no-install-recommends', 'chromium');
    }
    console.log(`chromium: installed ${CHROMIUM}`);
  } catch (err) {
    console.error(`warning: chromium could not be installed (${err.message}); the headless -o html test will be skipped`);
  }
}
