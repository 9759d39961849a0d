// The CLI in-process, as the launcher runs it, with its output captured; and a
// throwaway repository to run it in. Shared by the CLI-level tests.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/verify.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kubectl verify-images ARGS` in `cwd`; env is exactly what is given (default: a private cache dir and cache key). */
export async function runCli(
  cwd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; stdin?: string; progress?: CliIO['progress'] } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    scriptName: 'kubectl verify-images',
    io: {
      cwd,
      env: opts.env ?? { XDG_CACHE_HOME: path.join(cwd, '.cache'), XDG_CONFIG_HOME: path.join(cwd, '.config') },
      isTTY: false,
      stdin: Readable.from([opts.stdin ?? '']),
      stdout: (s) => void (stdout += s),
      stderr: (s) => void (stderr += s),
      ...(opts.progress && { progress: opts.progress }),
    },
  });
  return { code, stdout, stderr };
}

/** A temporary directory with `files` (path → text), removed at teardown; `.git` makes it a repository root. */
export async function tempRepo(
  t: { teardown: (fn: () => unknown) => void },
  files: Record<string, string>,
  opts: { git?: boolean; prefix?: string } = {},
): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), opts.prefix ?? 'vi-repo-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  if (opts.git !== false) await mkdir(path.join(dir, '.git'));
  for (const [f, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), text);
  }
  return dir;
}

/** A ClusterImagePolicy that decides without a registry: `static: pass|fail` for images under `glob`. */
export function staticPolicy(name: string, glob: string, action: 'pass' | 'fail', message?: string): string {
  return `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: ${name}
spec:
  images:
    - glob: "${glob}"
  authorities:
    - static:
        action: ${action}
${message ? `        message: ${message}\n` : ''}`;
}

/** A Pod named `web` with one container per entry (name → image), the first image on line 8. */
export function pod(containers: Record<string, string>): string {
  const list = Object.entries(containers)
    .map(([name, image]) => `    - name: ${name}\n      image: ${image}\n`)
    .join('');
  return `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n${list}`;
}
