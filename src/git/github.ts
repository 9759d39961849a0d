// The pull request on GitHub (or GitHub Enterprise): find ours by the hidden marker,
// create it, or update it. @octokit/rest is imported lazily (it is only needed for --pr).

import { GitError, type RepoSlug } from './remote.js';
import { PIN_MARKER } from './pr-body.js';

export interface PullRequest {
  number: number;
  url: string;
  title: string;
  body: string;
}

export interface PullRequests {
  /** The open PR from `branch` whose body carries the marker. */
  find(branch: string): Promise<PullRequest | undefined>;
  create(pr: { branch: string; base: string; title: string; body: string }): Promise<PullRequest>;
  update(number: number, pr: { title: string; body: string }): Promise<PullRequest>;
}

// Octokit logs failed requests to the console itself; errors reach the user through GitError.
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export const DEFAULT_GITHUB_API = 'https://api.github.com';

/** The token from GITHUB_TOKEN or GH_TOKEN; never printed. */
export function githubToken(env: NodeJS.ProcessEnv): string {
  const token = env.GITHUB_TOKEN || env.GH_TOKEN;
  if (!token) throw new GitError('--pr needs a GitHub token in GITHUB_TOKEN or GH_TOKEN');
  return token;
}

/** The token goes over TLS, or to this machine: never in the clear to another host. */
export function checkApiUrl(apiUrl: string): void {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new GitError(`--github-api-url ${apiUrl}: not a URL`);
  }
  const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return;
  throw new GitError(`--github-api-url ${url.origin}: the GitHub token is only sent over https (plain http only to this machine)`);
}

/** Error text from an API with every occurrence of the token (and of its base64 forms) cut out. */
export function redact(text: string, token: string): string {
  if (!token) return text;
  let out = text;
  for (const secret of [token, Buffer.from(token).toString('base64'), encodeURIComponent(token)]) {
    if (secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}

export async function githubPullRequests(slug: RepoSlug, token: string, apiUrl = DEFAULT_GITHUB_API): Promise<PullRequests> {
  checkApiUrl(apiUrl);
  const { Octokit } = await import('@octokit/rest');
  const octokit = new Octokit({ auth: token, baseUrl: apiUrl.replace(/\/+$/, ''), userAgent: 'kubectl-verify-images', log: quiet });
  const shape = (d: { number: number; html_url: string; title: string; body?: string | null }): PullRequest => ({
    number: d.number,
    url: d.html_url,
    title: d.title,
    body: d.body ?? '',
  });
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      // Octokit errors carry the request (with the Authorization header); keep only the status and message.
      const err = e as { status?: number; message?: string };
      throw new GitError(redact(`GitHub API: ${what} failed${err.status ? ` (HTTP ${err.status})` : ''}: ${err.message ?? String(e)}`, token));
    }
  };
  return {
    find: (branch) =>
      wrap('listing pull requests', async () => {
        const { data } = await octokit.rest.pulls.list({ ...slug, state: 'open', head: `${slug.owner}:${branch}`, per_page: 100 });
        const pr = data.find((p) => (p.body ?? '').includes(PIN_MARKER) && p.head.ref === branch);
        return pr ? shape(pr) : undefined;
      }),
    create: ({ branch, base, title, body }) =>
      wrap('creating the pull request', async () => shape((await octokit.rest.pulls.create({ ...slug, head: branch, base, title, body })).data)),
    update: (number, { title, body }) =>
      wrap('updating the pull request', async () => shape((await octokit.rest.pulls.update({ ...slug, pull_number: number, title, body })).data)),
  };
}
