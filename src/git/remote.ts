// owner/name of a GitHub repository from a remote URL (https, ssh, scp-like). Pure.

export interface RepoSlug {
  owner: string;
  repo: string;
}

export class GitError extends Error {
  readonly code = 'GIT_ERROR';
}

/** `https://github.com/o/r.git`, `git@github.com:o/r.git`, `ssh://git@ghe.example/o/r` → {o, r}; undefined for local paths. */
export function slugFromRemoteUrl(url: string): RepoSlug | undefined {
  const trimmed = url.trim().replace(/\/+$/, '').replace(/\.git$/, '');
  let pathPart: string | undefined;
  const scp = /^[^/@:]+@[^/:]+:(.+)$/.exec(trimmed);
  if (scp) pathPart = scp[1];
  else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    try {
      const u = new URL(trimmed);
      if (u.protocol === 'file:') return undefined;
      pathPart = u.pathname;
    } catch {
      return undefined;
    }
  }
  if (!pathPart) return undefined;
  const parts = pathPart.split('/').filter(Boolean);
  if (parts.length < 2) return undefined;
  const [owner, repo] = parts.slice(-2) as [string, string];
  return { owner, repo };
}

/** `--repo owner/name`. */
export function parseSlug(text: string): RepoSlug {
  const m = /^([\w.-]+)\/([\w.-]+)$/.exec(text.trim());
  if (!m) throw new GitError(`--repo must be owner/name, got ${JSON.stringify(text)}`);
  return { owner: m[1]!, repo: m[2]! };
}
