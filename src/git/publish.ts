// `pin --pr`: pin in a worktree at the base branch, commit on a deterministic branch,
// push (replacing our previous push when a tag moved), then open or update the PR.

import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { PinOutput } from '../pin/pin.js';
import type { PullRequests } from './github.js';
import { commitMessage, prBody, prTitle } from './pr-body.js';
import { GitError } from './remote.js';
import { commit, fetchBranch, inWorktree, pushBranch, repoInfo, stagedTree, treeOf } from './worktree.js';

export const DEFAULT_PIN_BRANCH = 'verify-images/pin-digests';

export interface PublishOptions {
  /** Where the user ran us; inputs and policies are resolved from the same place in the worktree. */
  cwd: string;
  remote: string;
  branch: string;
  /** Default: the current branch. */
  base?: string;
  /**
   * Runs verification + pinning (with `write: true`) from `cwd` in the worktree; `move` maps an
   * absolute path in the user's checkout to the same path in the worktree.
   */
  pin: (cwd: string, move: (p: string) => string) => Promise<PinOutput>;
  /** Opened lazily, only when there is something to say to GitHub. */
  pullRequests: () => Promise<PullRequests>;
}

export type Action = 'created' | 'updated' | 'unchanged';

export interface PublishOutput {
  output: PinOutput;
  base: string;
  branch: string;
  /** What happened to the branch; `none` when there was nothing to pin. */
  push: 'created' | 'forced' | 'unchanged' | 'none';
  pr?: { action: Action; number: number; url: string };
}

export async function publishPins(opts: PublishOptions): Promise<PublishOutput> {
  const info = await repoInfo(opts.cwd, opts.remote);
  const base = opts.base ?? info.current;
  if (!base) throw new GitError('HEAD is detached: pass --base BRANCH');
  if (base === opts.branch) throw new GitError(`the pin branch "${opts.branch}" is the base branch: refusing to push to it`);
  const git = simpleGit(info.top);
  const baseCommit = await fetchBranch(git, opts.remote, base).catch((e: Error) => {
    throw new GitError(`cannot fetch ${base} from ${opts.remote}: ${e.message}`);
  });
  if (!baseCommit) throw new GitError(`the remote ${opts.remote} has no branch ${base}`);
  const sub = path.relative(info.top, await realpath(opts.cwd));

  return inWorktree(info.top, baseCommit, async (dir, wt) => {
    const move = (p: string) => {
      const rel = path.relative(info.top, p);
      return path.isAbsolute(p) && !rel.startsWith('..') && !path.isAbsolute(rel) ? path.join(dir, rel) : p;
    };
    const output = await opts.pin(path.join(dir, sub), move);
    const files = output.files.map((f) => path.relative(dir, f.path));
    if (files.length === 0) return { output, base, branch: opts.branch, push: 'none' as const };

    // Ask GitHub first: a bad token or repository fails before anything is pushed.
    const prs = await opts.pullRequests();
    const existing = await prs.find(opts.branch);
    const tree = await stagedTree(wt, files);
    const previous = await fetchBranch(wt, opts.remote, opts.branch);
    let push: PublishOutput['push'] = 'unchanged';
    if (!previous || (await treeOf(wt, previous)) !== tree) {
      await commit(wt, commitMessage(output.pin));
      await pushBranch(wt, opts.remote, opts.branch, previous);
      push = previous ? 'forced' : 'created';
    }

    const title = prTitle(output.pin);
    const body = prBody(output.pin);
    let pr: PublishOutput['pr'];
    if (!existing) {
      const created = await prs.create({ branch: opts.branch, base, title, body });
      pr = { action: 'created', number: created.number, url: created.url };
    } else if (existing.title !== title || existing.body !== body) {
      const updated = await prs.update(existing.number, { title, body });
      pr = { action: 'updated', number: updated.number, url: updated.url };
    } else {
      pr = { action: 'unchanged', number: existing.number, url: existing.url };
    }
    return { output, base, branch: opts.branch, push, pr };
  });
}
