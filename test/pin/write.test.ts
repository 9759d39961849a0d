// pin --write never damages the work tree: symlinks, read-only files, all-or-nothing, stale temps.
import { spawnSync } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { writeFiles } from '../../src/pin/write.js';

async function repo(t: { teardown: (fn: () => unknown) => void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-pin-write-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'repo'));
  return { root: path.join(dir, 'repo'), outside: dir };
}

t.test('replaces the file, keeps its mode, leaves no temporary file', async (t) => {
  const { root } = await repo(t);
  const file = path.join(root, 'a.yaml');
  await writeFile(file, 'old\n');
  await chmod(file, 0o640);
  await writeFiles([{ path: file, file: 'a.yaml', after: 'new\n' }], { root });
  t.equal(await readFile(file, 'utf8'), 'new\n');
  t.equal((await stat(file)).mode & 0o777, 0o640);
  t.same(await readdir(root), ['a.yaml']);
});

t.test('a symlink into the repository: its target is edited, the link stays a link', async (t) => {
  const { root } = await repo(t);
  await mkdir(path.join(root, 'base'));
  await writeFile(path.join(root, 'base', 'web.yaml'), 'old\n');
  await symlink('base/web.yaml', path.join(root, 'link.yaml'));
  await writeFiles([{ path: path.join(root, 'link.yaml'), file: 'link.yaml', after: 'new\n' }], { root });
  t.ok((await lstat(path.join(root, 'link.yaml'))).isSymbolicLink(), 'still a symlink');
  t.equal(await readlink(path.join(root, 'link.yaml')), 'base/web.yaml');
  t.equal(await readFile(path.join(root, 'base', 'web.yaml'), 'utf8'), 'new\n', 'the target is pinned');
});

t.test('a symlink out of the repository is refused, and then nothing is written', async (t) => {
  const { root, outside } = await repo(t);
  await writeFile(path.join(outside, 'shared.yaml'), 'old\n');
  await symlink(path.join(outside, 'shared.yaml'), path.join(root, 'link.yaml'));
  await writeFile(path.join(root, 'a.yaml'), 'old\n');
  await t.rejects(
    writeFiles(
      [
        { path: path.join(root, 'a.yaml'), file: 'a.yaml', after: 'new\n' },
        { path: path.join(root, 'link.yaml'), file: 'link.yaml', after: 'new\n' },
      ],
      { root },
    ),
    { code: 'PIN_WRITE_FAILED', message: /nothing written[\s\S]*link\.yaml: a symlink to .*shared\.yaml, outside the repository/ },
  );
  t.equal(await readFile(path.join(outside, 'shared.yaml'), 'utf8'), 'old\n');
  t.equal(await readFile(path.join(root, 'a.yaml'), 'utf8'), 'old\n', 'the file before it was not written either');
  t.ok((await lstat(path.join(root, 'link.yaml'))).isSymbolicLink());
});

t.test('read-only files are refused unless forced; forced, they keep their mode', async (t) => {
  const { root } = await repo(t);
  const file = path.join(root, 'ro.yaml');
  await writeFile(file, 'old\n');
  await chmod(file, 0o444);
  await t.rejects(writeFiles([{ path: file, file: 'ro.yaml', after: 'new\n' }], { root }), { message: /ro\.yaml: read-only \(pass --force/ });
  t.equal(await readFile(file, 'utf8'), 'old\n');
  await writeFiles([{ path: file, file: 'ro.yaml', after: 'new\n' }], { root, force: true });
  t.equal(await readFile(file, 'utf8'), 'new\n');
  t.equal((await stat(file)).mode & 0o777, 0o444);
});

t.test('a failure on a later file leaves the earlier ones untouched', async (t) => {
  const { root } = await repo(t);
  await writeFile(path.join(root, 'a.yaml'), 'old\n');
  await mkdir(path.join(root, 'b.yaml'));
  await t.rejects(
    writeFiles(
      [
        { path: path.join(root, 'a.yaml'), file: 'a.yaml', after: 'new\n' },
        { path: path.join(root, 'b.yaml'), file: 'b.yaml', after: 'new\n' },
        { path: path.join(root, 'gone.yaml'), file: 'gone.yaml', after: 'new\n' },
      ],
      { root },
    ),
    { message: /b\.yaml: not a regular file[\s\S]*gone\.yaml: ENOENT/ },
  );
  t.equal(await readFile(path.join(root, 'a.yaml'), 'utf8'), 'old\n');
  t.same((await readdir(root)).sort(), ['a.yaml', 'b.yaml'], 'no temporary file left');
});

t.test('temporary files of a killed run are removed by the next write beside them', async (t) => {
  const { root } = await repo(t);
  await writeFile(path.join(root, 'a.yaml'), 'old\n');
  // A pid that existed and is gone: a finished child's.
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  const stale = `.a.yaml.verify-images-tmp-${dead}-abc`;
  await writeFile(path.join(root, stale), 'half');
  const live = `.b.yaml.verify-images-tmp-${process.ppid}-abc`;
  await writeFile(path.join(root, live), 'someone else is writing');
  await writeFiles([{ path: path.join(root, 'a.yaml'), file: 'a.yaml', after: 'new\n' }], { root });
  t.same((await readdir(root)).sort(), [live, 'a.yaml'].sort(), 'the dead run’s file is gone, a live one stays');
});
