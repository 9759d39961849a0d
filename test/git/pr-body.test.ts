import t from 'tap';
import { commitMessage, PIN_MARKER, prBody, prTitle } from '../../src/git/pr-body.js';
import type { PinResult } from '../../src/pin/types.js';

const D = `sha256:${'a'.repeat(64)}`;
const pin: PinResult = {
  changes: {
    'apps/web.yaml': [
      {
        image: 'ghcr.io/acme/web:1.0',
        digest: D,
        file: 'apps/web.yaml',
        line: 11,
        target: 'manifest',
        use: 'Deployment prod/web (web)',
        from: 'ghcr.io/acme/web:1.0',
        to: `ghcr.io/acme/web:1.0@${D}`,
        verification: { policies: ['signed-images'], signers: ['ECDSA key sha256:9af7'] },
      },
    ],
    'values.yaml': [
      {
        image: 'ghcr.io/acme/api:2|x',
        digest: D,
        file: 'values.yaml',
        line: 4,
        target: 'helm',
        use: 'image',
        from: '',
        to: D,
        verification: { policies: ['a', 'b'], signers: [] },
      },
    ],
  },
  skipped: [{ image: 'ghcr.io/acme/bad:1', status: 'fail', reason: 'fail: no signatures found', file: 'apps/web.yaml', line: 13 }],
};

t.test('title and conventional commit message list the images', async (t) => {
  t.equal(prTitle(pin), 'chore(images): pin 2 verified image digests');
  const msg = commitMessage(pin);
  t.match(msg, /^chore\(images\): pin 2 verified image digests\n\n/);
  t.match(msg, `- ghcr.io/acme/web:1.0 → ${D} (apps/web.yaml:11)`);
  t.match(msg, `- ghcr.io/acme/api:2|x → ${D} (values.yaml:4)`);
});

t.test('the body carries the hidden marker, one table row per change, and what was not pinned', async (t) => {
  const body = prBody(pin);
  t.ok(body.startsWith(`${PIN_MARKER}\n`));
  t.match(body, '| image | file:line | from | to | verification |');
  t.match(body, `| \`ghcr.io/acme/web:1.0\` | apps/web.yaml:11 | \`ghcr.io/acme/web:1.0\` | \`ghcr.io/acme/web:1.0@${D}\` | signed-images; signed by ECDSA key sha256:9af7 |`);
  t.match(body, `| \`ghcr.io/acme/api:2\\|x\` | values.yaml:4 | (empty) | \`${D}\` | a, b |`, 'pipes are escaped');
  t.match(body, /<summary>Not pinned<\/summary>[^]*`ghcr.io\/acme\/bad:1` \(apps\/web.yaml:13\): fail: no signatures found/);
  t.equal(prBody(pin), body, 'deterministic: a rerun compares equal');
});
