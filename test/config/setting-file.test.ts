// Files named by flags and variables: an unreadable one is exit 2 naming the setting, in words.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { readSettingFile } from '../../src/config/setting-file.js';
import { pod, runCli, staticPolicy, tempRepo } from '../helpers/cli.js';

t.test('readSettingFile: the text, or a configuration error naming the setting and the reason', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-setting-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'ca.pem'), 'PEM');
  t.equal(await readSettingFile('--registry-ca ca.pem', path.join(dir, 'ca.pem')), 'PEM');
  await t.rejects(readSettingFile('--registry-ca nope.pem', path.join(dir, 'nope.pem')), { code: 'CONFIG_ERROR', message: '--registry-ca nope.pem: cannot read it (no such file)' });
  await t.rejects(readSettingFile('--registry-ca dir', dir), { code: 'CONFIG_ERROR', message: '--registry-ca dir: cannot read it (it is a directory, not a file)' });
});

t.test('--registry-ca and --vsa-key that cannot be read: exit 2 with the flag, never a raw ENOENT', async (t) => {
  const dir = await tempRepo(t, { 'p/policy.yaml': staticPolicy('deny', '**', 'fail', 'no'), 'pod.yaml': pod({ web: 'registry.internal/web:1' }) });
  for (const [args, want] of [
    [['--registry-ca', 'missing.pem'], /^error: --registry-ca missing\.pem: cannot read it \(no such file\)$/m],
    [['--publish-vsa', '--vsa-key', 'missing.key'], /^error: --vsa-key missing\.key: cannot read it \(no such file\)$/m],
  ] as const) {
    const r = await runCli(dir, ['pod.yaml', '-p', 'p', ...args]);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.stderr, want);
    t.notMatch(r.stderr, /ENOENT/);
  }
});
