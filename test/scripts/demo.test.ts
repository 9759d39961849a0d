// `npm run demo` end to end: a real registry, signed and unsigned images, one pass and one block.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

t.test('the demo shows a pass and a block and reports the blocking exit code', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'demo.mjs')], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1' },
  });
  t.match(stdout, /^PASS\s+127\.0\.0\.1:\d+\/demo\/web:1\.0\s+sha256:/m);
  t.match(stdout, /^FAIL\s+127\.0\.0\.1:\d+\/demo\/worker:1\.0\s+sha256:/m);
  t.match(stdout, /no signatures found/);
  t.match(stdout, /exit code 1/);
});
