// Git work for `pin --pr`, done in a temporary worktree at the base commit: the user's
// working tree, index and current branch are never touched, whatever fails.

import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { GitError } from './remote.js';

export interface RepoInfo {
  /** Absolute top-level directory of the repository. */
  top: string;
  /** The branch checked out, undefined when HEAD is detached. */
  current?: string;
  remoteUrl?: string;
}

export async function repoInfo(cwd: string, remote: string): Promise<RepoInfo> {
  const git = simpleGit(cwd);
  let top: string;
  try {
    top = await realpath((await git.revparse(['--show-toplevel'])).trim());
  } catch {
    throw new GitError(`${cwd} is not inside a git repository`);
  }
  const head = (await git.raw(['rev-parse', '--abbrev-ref', 'HEAD']).catch(() => 'HEAD')).trim();
  const remoteUrl = (await git.raw(['remote', 'get-url', remote]).catch(() => '')).trim();
  return { top, ...(head !== 'HEAD' && { current: head }), ...(remoteUrl && { remoteUrl }) };
}

/** Fetches `ref` from the remote; returns its commit, or undefined when the remote has no such branch. */
export async function fetchBranch(git: SimpleGit, remote: string, branch: string): Promise<string | undefined> {
  const listed = (await git.raw(['ls-remote', remote, `refs/heads/${branch}`])).trim();
  if (!listed) return undefined;
  await git.raw(['fetch', '--no-tags', remote, `refs/heads/${branch}`]);
  return (await git.revparse(['FETCH_HEAD'])).trim();
}

/** Runs `fn` in a detached worktree at `commit`, and removes the worktree afterwards, success or not. */
export async function inWorktree<T>(top: string, commit: string, fn: (dir: string, git: SimpleGit) => Promise<T>): Promise<T> {
  const git = simpleGit(top);
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'verify-images-pin-')));
  await git.raw(['worktree', 'add', '--detach', dir, commit]);
  try {
    return await fn(dir, simpleGit(dir));
  } finally {
    await git.raw(['worktree', 'remove', '--force', dir]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await git.raw(['worktree', 'prune']).catch(() => undefined);
  }
}

/** Tree of the worktree with `files` staged. */
export async function stagedTree(git: SimpleGit, files: string[]): Promise<string> {
  await git.add(files);
  return (await git.raw(['write-tree'])).trim();
}

export async function treeOf(git: SimpleGit, commit: string): Promise<string> {
  return (await git.revparse([`${commit}^{tree}`])).trim();
}

/** Commits the index (an identity is supplied only when git has none configured). */
export async function commit(git: SimpleGit, message: string): Promise<string> {
  const configured = (await git.raw(['config', 'user.email']).catch(() => '')).trim();
  const identity = configured ? [] : ['-c', 'user.name=kubectl verify-images', '-c', 'user.email=verify-images@users.noreply.github.com'];
  await git.raw([...identity, 'commit', '--no-verify', '-q', '-m', message]);
  return (await git.revparse(['HEAD'])).trim();
}

/** Pushes HEAD to `branch`; replaces what is there only if it is still `expected` (our previous push). */
export async function pushBranch(git: SimpleGit, remote: string, branch: string, expected: string | undefined): Promise<void> {
  const lease = expected ? [`--force-with-lease=refs/heads/${branch}:${expected}`] : [];
  await git.raw(['push', '--no-verify', ...lease, remote, `HEAD:refs/heads/${branch}`]);
}
