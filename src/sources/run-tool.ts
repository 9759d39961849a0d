// Running an external tool (kustomize, helm, cue, opa): its output collected, its absence told
// apart from its failure, and a temporary directory for the files it reads.

import { spawn } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ToolRun {
  /** Exit code; null when the tool could not be started. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Not found on PATH (ENOENT). */
  missing?: true;
}

/** Never rejects: a tool that cannot start is `code: null` (and `missing` when it is not on PATH). */
export function runTool(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => resolve({ code: null, stdout: '', stderr: e.message, ...(e.code === 'ENOENT' && { missing: true as const }) }));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    if (child.stdin) {
      child.stdin.on('error', () => {}); // a tool that exits early closes its input
      child.stdin.end(opts.input);
    }
  });
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function inTempDir<T>(fn: (dir: string) => Promise<T>, prefix = 'verify-images-'): Promise<T> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), prefix)));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
