// Real git repositories for the GitOps tests: a bare "remote" and a work tree that commits into it.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TestRepo {
  /** The bare repository (what --repo points at). */
  bare: string;
  work: string;
  /** Writes files (null deletes), commits, pushes; returns the commit SHA. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
  tag(name: string, commit?: string): void;
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export async function makeRepo(t: { teardown: (fn: () => unknown) => void }): Promise<TestRepo> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-gitrepo-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const bare = path.join(dir, 'remote.git');
  const work = path.join(dir, 'work');
  git(dir, 'init', '-q', '--bare', '-b', 'main', bare);
  git(dir, 'init', '-q', '-b', 'main', work);
  git(work, 'remote', 'add', 'origin', bare);
  return {
    bare,
    work,
    async commit(files, message = 'change') {
      for (const [f, text] of Object.entries(files)) {
        const full = path.join(work, f);
        if (text === null) await rm(full, { force: true });
        else {
          await mkdir(path.dirname(full), { recursive: true });
          await writeFile(full, text);
        }
      }
      git(work, 'add', '-A');
      git(work, 'commit', '-q', '--allow-empty', '-m', message);
      git(work, 'push', '-q', 'origin', 'main');
      return git(work, 'rev-parse', 'HEAD');
    },
    tag(name, commit = 'HEAD') {
      git(work, 'tag', name, commit);
      git(work, 'push', '-q', 'origin', name);
    },
  };
}
