// A fixed canonical result covering every status (and hostile text), for the
// golden tests of every report format.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ImageResult, type Result, summarize } from '../../src/engine/result.js';

const D1 = 'sha256:1111111111111111111111111111111111111111111111111111111111111111';
const D2 = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';
const D3 = 'sha256:3333333333333333333333333333333333333333333333333333333333333333';

const kyverno = { policy: 'check-images', file: 'policies/kyverno.yaml', line: 12, rule: 'rules[0].verifyImages[0]' };
const cip = { policy: 'acme-keyless', file: 'policies/cip.yaml', line: 3, rule: 'spec.authorities[0]' };
const audit = { policy: 'audit-images', file: 'policies/audit.yaml', line: 7, rule: 'rules[0].verifyImages[0]' };

export const results: ImageResult[] = [
  {
    image: 'ghcr.io/acme/web:1.4',
    normalized: 'ghcr.io/acme/web:1.4',
    digest: D1,
    status: 'fail',
    policies: [
      { ...kyverno, mode: 'enforce', status: 'fail', onError: 'block', reasons: ['no signature verified with attestors[0].entries[0].keys: signature does not match'] },
    ],
    uses: [
      { file: 'apps/web.yaml', line: 21, kind: 'Deployment', namespace: 'prod', name: 'web', container: 'web' },
      { file: 'apps/web-canary.yaml', line: 18, kind: 'Deployment', namespace: 'prod', name: 'web-canary', container: 'web' },
    ],
  },
  {
    image: 'ghcr.io/acme/api@' + D2,
    normalized: 'ghcr.io/acme/api@' + D2,
    digest: D2,
    status: 'pass',
    policies: [
      { ...cip, mode: 'enforce', status: 'pass', onError: 'block', reasons: [], signers: ['https://github.com/acme/api/.github/workflows/release.yaml@refs/heads/main'] },
    ],
    uses: [{ file: 'apps/api.yaml', line: 30, kind: 'StatefulSet', namespace: 'prod', name: 'api', container: 'api' }],
  },
  {
    image: 'ghcr.io/acme/worker:2.0',
    normalized: 'ghcr.io/acme/worker:2.0',
    digest: D3,
    status: 'warn',
    policies: [{ ...audit, mode: 'audit', status: 'warn', onError: 'allow', reasons: ['no signatures found'] }],
    uses: [{ file: 'apps/worker.yaml', line: 15, kind: 'CronJob', namespace: 'batch', name: 'worker', container: 'main' }],
  },
  {
    image: 'quay.io/partner/agent:7',
    normalized: 'quay.io/partner/agent:7',
    status: 'error',
    policies: [
      { ...kyverno, mode: 'enforce', status: 'error', onError: 'block', reasons: ['registry quay.io: 503 Service Unavailable'] },
      { ...audit, mode: 'audit', status: 'error', onError: 'allow', reasons: ['registry quay.io: 503 Service Unavailable'] },
    ],
    uses: [{ file: 'apps/agent.yaml', line: 9, kind: 'DaemonSet', namespace: 'kube-system', name: 'agent', container: 'agent' }],
  },
  {
    image: 'busybox:1.36',
    normalized: 'docker.io/library/busybox:1.36',
    status: 'unmatched',
    policies: [],
    uses: [{ file: 'apps/debug.yaml', line: 4, kind: 'Pod', namespace: 'default', name: 'debug', container: 'sh' }],
  },
  {
    image: 'ghcr.io/acme/docs:latest',
    normalized: 'ghcr.io/acme/docs:latest',
    status: 'skip',
    policies: [{ ...kyverno, mode: 'enforce', status: 'skip', onError: 'block', reasons: ['excluded by rules[0].exclude'] }],
    uses: [{ file: 'apps/docs.yaml', line: 11, kind: 'Deployment', name: 'docs', container: 'docs' }],
  },
  {
    // Hostile text from a manifest: every format must escape it.
    image: 'bad image|<script>alert(1)</script>',
    normalized: 'bad image|<script>alert(1)</script>',
    status: 'error',
    policies: [],
    reasons: ['invalid reference: 100% wrong, see "docs": a,b\nsecond line <img src=x onerror=alert(2)> `tick` | pipe'],
    uses: [{ file: '<stdin>', line: 3, kind: 'Job', namespace: 'ci', name: 'x,y:z', container: 'c%1' }],
  },
];

export const result: Result = { summary: summarize(results), results, unmatched: 'allow' };

const here = path.dirname(fileURLToPath(import.meta.url));
export const goldenDir = path.join(here, 'golden');

/** Compare with test/report/golden/NAME; UPDATE_GOLDEN=1 rewrites the file instead. */
export async function golden(name: string, actual: string): Promise<string> {
  const file = path.join(goldenDir, name);
  if (process.env.UPDATE_GOLDEN === '1') {
    await writeFile(file, actual);
    return actual;
  }
  return readFile(file, 'utf8');
}
