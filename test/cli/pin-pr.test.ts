// `pin --pr` end to end: the REAL registry, REAL git (a bare remote made here), and a FAKE
// GitHub API (src/testkit/fake-github.ts) that records every call: create on the first
// run, update on the second (after the tag moved), nothing on the third.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { startFakeGitHub, type FakeGitHub } from '../../src/testkit/fake-github.js';
import { pushImage, pushIndex } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { cli, deployment, git, keyPolicy, tempDir, writeFiles } from './pin-helpers.js';

const TOKEN = 'fake-token-7f3a9c';
let registry: TestRegistry;
let github: FakeGitHub;
const key = generateKeyPair('ecdsa-p256');

t.before(async () => {
  registry = await startRegistry();
  github = await startFakeGitHub({ token: TOKEN, owner: 'acme', repo: 'shop' });
});
t.teardown(async () => {
  await github?.stop();
  await registry?.stop();
});

/** A repository with a bare `origin`, main pushed; returns both paths. */
async function repository(t: Parameters<typeof tempDir>[0], repoName: string) {
  const root = await tempDir(t, 'vi-pin-pr-');
  const remote = path.join(root, 'remote.git');
  const work = path.join(root, 'work');
  await git(root, 'init', '-q', '--bare', '-b', 'main', remote);
  await git(root, 'init', '-q', '-b', 'main', work);
  await git(work, 'config', 'user.name', 'Test');
  await git(work, 'config', 'user.email', 'test@example.com');
  const manifest = deployment('shop', [`${registry.host}/${repoName}/web:1.0`, `'${registry.host}/${repoName}/bad:2.0'`]);
  await writeFiles(work, {
    'apps/shop.yaml': manifest,
    'apps/notes.yaml': '# not a manifest\n',
    '.verify-images/signed.yaml': keyPolicy(`${registry.host}/${repoName}/*`, key),
  });
  await git(work, 'add', '-A');
  await git(work, 'commit', '-q', '-m', 'initial');
  await git(work, 'remote', 'add', 'origin', remote);
  await git(work, 'push', '-q', 'origin', 'main');
  return { work, remote, manifest };
}

const args = (...extra: string[]) => ['pin', 'apps', '--pr', '--github-repo', 'acme/shop', '--github-api-url', github.url, '--no-cache', ...extra];
const env = { GITHUB_TOKEN: TOKEN };

t.test('pin --pr: create, then force-update after the tag moved, then nothing', async (t) => {
  const web1 = await pushIndex(registry.host, 'e2e/web', '1.0', { seed: 'web-1' });
  await signImage({ registry: registry.host, repo: 'e2e/web', digest: web1, key });
  await pushImage(registry.host, 'e2e/bad', '2.0', { seed: 'bad' });
  const { work, remote, manifest } = await repository(t, 'e2e');
  // An uncommitted edit of the user's: it must survive every run untouched.
  await writeFile(path.join(work, 'apps/notes.yaml'), '# work in progress\n');
  const status = await git(work, 'status', '--porcelain');
  const branchFile = async () => git(remote, 'show', 'verify-images/pin-digests:apps/shop.yaml');
  const before = github.calls.length;

  // 1: the branch is pushed, the PR created.
  const first = await cli(work, args(), env);
  t.equal(first.code, 1, 'exit code as verify: the unsigned image fails');
  t.match(first.stdout, /branch verify-images\/pin-digests \(from main\): pushed/);
  t.match(first.stdout, /pull request #1 created/);
  t.equal(await branchFile(), manifest.replace('web:1.0\n', `web:1.0@${web1}\n`).trimEnd(), 'the branch holds the pinned file, only the verified image changed');
  t.equal(await git(remote, 'rev-parse', 'verify-images/pin-digests~1'), await git(remote, 'rev-parse', 'main'), 'one commit on top of main');
  t.match(await git(remote, 'log', '-1', '--format=%B', 'verify-images/pin-digests'), /^chore\(images\): pin 1 verified image digest\n\n[^]*e2e\/web:1\.0 → sha256:/);
  t.same(github.writes().map((c) => c.method), ['POST']);
  const created = github.writes()[0]!.body!;
  t.match(created, { head: 'verify-images/pin-digests', base: 'main', title: 'chore(images): pin 1 verified image digest' });
  t.match(String(created.body), /<!-- verify-images:pin -->/);
  t.match(String(created.body), new RegExp(`\\| \`${registry.host}/e2e/web:1\\.0\` \\| apps/shop\\.yaml:11 \\| .* \\| signed-images; signed by `));
  t.match(String(created.body), /Not pinned[^]*e2e\/bad:2\.0/);

  // The user's checkout is exactly as it was.
  t.equal(await git(work, 'status', '--porcelain'), status);
  t.equal(await git(work, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
  t.equal(await readFile(path.join(work, 'apps/shop.yaml'), 'utf8'), manifest);
  t.equal((await git(work, 'worktree', 'list')).split('\n').length, 1, 'the temporary worktree is gone');

  // 2: the tag moved to a new (signed) build: force-update the branch and the PR.
  const web2 = await pushIndex(registry.host, 'e2e/web', '1.0', { seed: 'web-2' });
  await signImage({ registry: registry.host, repo: 'e2e/web', digest: web2, key });
  const second = await cli(work, args(), env);
  t.match(second.stdout, /force-updated/);
  t.match(second.stdout, /pull request #1 updated/);
  t.equal(await branchFile(), manifest.replace('web:1.0\n', `web:1.0@${web2}\n`).trimEnd());
  t.equal(await git(remote, 'rev-parse', 'verify-images/pin-digests~1'), await git(remote, 'rev-parse', 'main'), 'still one commit on top of main');
  t.same(github.writes().map((c) => c.method), ['POST', 'PATCH']);
  t.match(String(github.writes()[1]!.body!.body), web2);
  const head2 = await git(remote, 'rev-parse', 'verify-images/pin-digests');

  // 3: nothing new: no commit, no push, no API write.
  const third = await cli(work, args(), env);
  t.match(third.stdout, /: unchanged\n/);
  t.match(third.stdout, /pull request #1 unchanged/);
  t.equal(await git(remote, 'rev-parse', 'verify-images/pin-digests'), head2, 'no new commit');
  t.same(github.writes().map((c) => c.method), ['POST', 'PATCH'], 'no API write on the third run');
  t.equal(await git(remote, 'rev-parse', 'main'), await git(work, 'rev-parse', 'main'), 'main was never pushed to');

  for (const r of [first, second, third]) t.notMatch(r.stdout + r.stderr, TOKEN, 'the token is never printed');
  t.equal(await git(work, 'status', '--porcelain'), status, 'working tree unchanged after all runs');
  t.ok(github.calls.length > before);
});

t.test('refuses to push to the base branch; a GitHub failure leaves the working tree as it was', async (t) => {
  const d = await pushIndex(registry.host, 'e2e2/web', '1.0', { seed: 'web-x' });
  await signImage({ registry: registry.host, repo: 'e2e2/web', digest: d, key });
  await pushImage(registry.host, 'e2e2/bad', '2.0', { seed: 'bad-x' });
  const { work, remote } = await repository(t, 'e2e2');
  const mainBefore = await git(remote, 'rev-parse', 'main');

  const same = await cli(work, args('--branch', 'main'), env);
  t.equal(same.code, 2);
  t.match(same.stderr, /is the base branch: refusing to push/);
  t.equal(await git(remote, 'rev-parse', 'main'), mainBefore);

  const noToken = await cli(work, args(), {});
  t.equal(noToken.code, 2);
  t.match(noToken.stderr, /GITHUB_TOKEN or GH_TOKEN/);

  const writes = github.writes().length;
  const badToken = await cli(work, args('--branch', 'pin/other'), { GH_TOKEN: 'wrong-token' });
  t.equal(badToken.code, 2);
  t.match(badToken.stderr, /GitHub API: .*HTTP 401/);
  t.notMatch(badToken.stderr, /wrong-token/);
  t.equal(github.writes().length, writes, 'nothing written to GitHub');
  t.equal(await git(remote, 'branch', '--list', 'pin/other'), '', 'nothing pushed when GitHub refuses the token');
  t.equal(await git(work, 'status', '--porcelain'), '', 'working tree clean');
  t.equal((await git(work, 'worktree', 'list')).split('\n').length, 1, 'no worktree left behind');
  t.equal(await git(work, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
});
