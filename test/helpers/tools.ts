// External tools the tests drive. A developer without kubectl gets skips that say so; CI (CI set)
// must run those tests, so there its absence fails the file instead of passing it unnoticed.
// The pretest (scripts/ensure-test-packages.mjs) installs Debian's kubectl when run as root.
import { spawnSync } from 'node:child_process';

/** Why kubectl tests skip here, or false when kubectl is on PATH. */
export const noKubectl: string | false = (() => {
  if (!spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).error) return false;
  if (process.env.CI) throw new Error('kubectl is not on PATH: CI must run the tests that drive it (apt-get install kubectl; npm test installs it when root)');
  return 'kubectl is not on PATH';
})();
