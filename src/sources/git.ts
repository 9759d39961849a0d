// A Git repository at one exact revision, fetched shallowly into a temporary work dir.
// Credentials are git's own (credential helpers, GIT_ASKPASS, SSH agent, GIT_SSH_COMMAND);
// URLs are shown with any userinfo removed, so a token in the URL is never printed.

import { existsSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SourceError } from './files.js';

export interface Checkout {
  /** Work tree root (holds `.git`, so the repository's config and `.verify-images/` are found there). */
  dir: string;
  /** The full commit SHA checked out. */
  commit: string;
  /** The repository as given, with credentials removed. */
  repo: string;
  /** The revision as asked (default HEAD). */
  revision: string;
  /** When the revision names an annotated tag: its object (as fetched) and name. */
  tag?: { object: string; name: string };
  /** Fetches the revision's whole history (a commit-signature walk over ancestors needs it). */
  deepen(): Promise<void>;
  /** Removes the work dir. */
  cleanup(): Promise<void>;
}

export interface CheckoutOptions {
  /** URL (https, ssh, file) or local path of a repository. */
  repo: string;
  /** Branch, tag, full or abbreviated commit SHA; default HEAD. */
  revision?: string;
  /** Where to create the temporary work dir (default: the OS temp dir). */
  tmpDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** `https://user:token@host/x` → `https://host/x`, wherever such URLs occur in the text. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');
}

/** A local path becomes a file:// URL, which is what lets `--depth` work for local repositories. */
export function remoteUrl(repo: string, cwd = process.cwd()): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\\]+@[^:]+:/.test(repo)) return repo;
  const local = path.resolve(cwd, repo);
  if (!existsSync(local)) throw new SourceError(`--repo ${repo}: not a URL and no such directory`);
  return pathToFileURL(local).href;
}

/**
 * Fetches exactly one commit (depth 1) into a new work dir and checks it out detached.
 * A name that the server cannot serve by itself (an abbreviated SHA) falls back to a full
 * fetch and `rev-parse`.
 */
export async function checkoutRevision(opts: CheckoutOptions): Promise<Checkout> {
  const { simpleGit } = await import('simple-git');
  const shown = redactUrl(opts.repo);
  const url = remoteUrl(opts.repo);
  const revision = opts.revision && opts.revision.length > 0 ? opts.revision : 'HEAD';
  const dir = await realpath(await mkdtemp(path.join(opts.tmpDir ?? tmpdir(), 'verify-images-git-')));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  // Never wait for a password on a terminal nobody watches (CMP sidecar, Job, CI).
  const env = gitEnvironment(opts.env ?? process.env);
  // simple-git guards git's environment; the variables we keep are the user's own git settings
  // (GIT_ASKPASS, GIT_SSH_COMMAND, GIT_CONFIG_*, …), which is how credentials reach git.
  const allowEnvironment = Object.keys(env).filter((k) => /^git_/i.test(k));
  const unsafe = {
    allowUnsafeAskPass: true,
    allowUnsafeSshCommand: true,
    allowUnsafeConfigEnvCount: true,
    allowUnsafeConfigPaths: true,
    allowUnsafeCredentialHelper: true,
    allowUnsafeGitProxy: true,
  };
  const git = simpleGit({ baseDir: dir, allowEnvironment, unsafe } as Parameters<typeof simpleGit>[0]).env(env);
  try {
    await git.init().addRemote('origin', url);
    try {
      await git.fetch(['--depth', '1', '--no-tags', 'origin', revision]);
    } catch (first) {
      if (!/^[0-9a-f]{4,39}$/i.test(revision)) throw first;
      await git.fetch(['--no-tags', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*']);
    }
    const target = /^[0-9a-f]{4,39}$/i.test(revision) && !(await hasFetchHead(git, revision)) ? revision : 'FETCH_HEAD';
    const commit = (await git.revparse([`${target}^{commit}`])).trim();
    await git.checkout(['--detach', '--quiet', commit]);
    // An annotated tag arrives as FETCH_HEAD's object: kept, so its own signature can be checked.
    const type = target === 'FETCH_HEAD' ? (await git.raw(['cat-file', '-t', 'FETCH_HEAD'])).trim() : 'commit';
    const tag = type === 'tag' ? { object: (await git.revparse(['FETCH_HEAD'])).trim(), name: revision.replace(/^refs\/tags\//, '') } : undefined;
    const deepen = async () => {
      if ((await git.revparse(['--is-shallow-repository'])).trim() !== 'true') return;
      await git.fetch(['--unshallow', '--no-tags', 'origin', target === 'FETCH_HEAD' ? revision : commit]);
    };
    return { dir, commit, repo: shown, revision, ...(tag && { tag }), deepen, cleanup };
  } catch (e) {
    await cleanup();
    const message = (e as Error).message.split(url).join(shown).split(opts.repo).join(shown);
    throw new SourceError(`cannot fetch ${shown} at ${revision}: ${redactUrl(message.trim())}`);
  }
}

/** Variables a fetch never needs (editors, pagers, diff tools) are dropped; the rest is kept. */
const NOT_FOR_FETCH = /^(editor|visual|pager|git_editor|git_pager|git_sequence_editor|git_external_diff|git_template_dir|git_exec_path|prefix)$/i;

export function gitEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !NOT_FOR_FETCH.test(k)) out[k] = v;
  out.GIT_TERMINAL_PROMPT = '0';
  return out;
}

async function hasFetchHead(git: import('simple-git').SimpleGit, revision: string): Promise<boolean> {
  try {
    const head = (await git.revparse(['FETCH_HEAD^{commit}'])).trim();
    return head.startsWith(revision.toLowerCase());
  } catch {
    return false;
  }
}
