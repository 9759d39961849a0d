// Real git: a bare repository made here, fetched shallowly at revisions that are not checked out.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { checkoutRevision, redactUrl, remoteUrl } from '../../src/sources/git.js';
import { git, makeRepo } from '../hooks/git-fixture.js';

t.test('fetches a tag that is neither HEAD nor checked out, shallowly, and cleans up', async (t) => {
  const repo = await makeRepo(t);
  const v1 = await repo.commit({ 'app/deploy.yaml': 'version: one\n' }, 'one');
  repo.tag('v1');
  await repo.commit({ 'app/deploy.yaml': 'version: two\n' }, 'two');
  const co = await checkoutRevision({ repo: repo.bare, revision: 'v1' });
  t.teardown(() => co.cleanup());
  t.equal(co.commit, v1, 'the tagged commit');
  t.equal(await readFile(path.join(co.dir, 'app/deploy.yaml'), 'utf8'), 'version: one\n');
  t.equal(git(co.dir, 'rev-list', '--count', 'HEAD'), '1', 'depth 1: only that commit was fetched');
  t.ok(existsSync(path.join(co.dir, '.git')), 'a repository root, so .verify-images/ and config are found there');
  await co.cleanup();
  t.notOk(existsSync(co.dir), 'cleanup removes the work dir');
});

t.test('fetches an exact older commit by full and abbreviated SHA, and a branch', async (t) => {
  const repo = await makeRepo(t);
  const first = await repo.commit({ 'a.yaml': 'n: 1\n' }, 'one');
  const second = await repo.commit({ 'a.yaml': 'n: 2\n' }, 'two');
  for (const revision of [first, first.slice(0, 10)]) {
    const co = await checkoutRevision({ repo: repo.bare, revision });
    t.teardown(() => co.cleanup());
    t.equal(co.commit, first, `revision ${revision.length} chars`);
    t.equal(await readFile(path.join(co.dir, 'a.yaml'), 'utf8'), 'n: 1\n');
  }
  const head = await checkoutRevision({ repo: repo.bare, revision: 'main' });
  t.teardown(() => head.cleanup());
  t.equal(head.commit, second);
  const dflt = await checkoutRevision({ repo: repo.bare });
  t.teardown(() => dflt.cleanup());
  t.equal(dflt.commit, second, 'no revision: HEAD');
});

t.test('an unknown revision is a SOURCE_ERROR naming it', async (t) => {
  const repo = await makeRepo(t);
  await repo.commit({ 'a.yaml': 'n: 1\n' });
  await t.rejects(checkoutRevision({ repo: repo.bare, revision: 'no-such-tag' }), { code: 'SOURCE_ERROR', message: /no-such-tag/ });
});

t.test('credentials in a URL never appear in errors', async (t) => {
  t.equal(redactUrl('https://user:s3cret@git.example.com/x.git'), 'https://git.example.com/x.git');
  t.equal(redactUrl('fatal: unable to access https://tok@host/r/'), 'fatal: unable to access https://host/r/');
  t.equal(redactUrl('git@github.com:org/repo.git'), 'git@github.com:org/repo.git', 'scp-style has no secret');
  const err = await checkoutRevision({ repo: 'http://user:s3cret@127.0.0.1:9/repo.git', revision: 'main' }).catch((e: Error) => e);
  t.match(err, { code: 'SOURCE_ERROR' });
  t.notMatch((err as Error).message, /s3cret/, 'the token is not in the message');
  t.match((err as Error).message, /127\.0\.0\.1:9\/repo\.git/);
});

t.test('local paths become file:// URLs (so --depth works); URLs pass through', async (t) => {
  const repo = await makeRepo(t);
  t.match(remoteUrl(repo.bare), /^file:\/\//);
  t.equal(remoteUrl('https://example.com/r.git'), 'https://example.com/r.git');
  t.equal(remoteUrl('git@github.com:o/r.git'), 'git@github.com:o/r.git');
  t.throws(() => remoteUrl('/no/such/repo'), { code: 'SOURCE_ERROR' });
});
