// Shared by the `pin` CLI tests: the CLI in-process, a signing policy, a git repository.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.js';
import type { TestKeyPair } from '../../src/testkit/cosign-signer.js';
import { kyverno } from '../helpers/engine.js';

const exec = promisify(execFile);

export async function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}, stdin = '') {
  return runCli(cwd, args, { env: { XDG_CACHE_HOME: path.join(os.tmpdir(), 'vi-pin-cache-unused'), ...env }, stdin });
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', args, { cwd });
  return stdout.trim();
}

export async function tempDir(t: { teardown: (fn: () => unknown) => void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [f, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, f)), { recursive: true });
    await writeFile(path.join(dir, f), text);
  }
}

/** A Kyverno policy requiring a signature by `key` for every image under `glob`. */
export function keyPolicy(glob: string, key: TestKeyPair): string {
  return kyverno({ name: 'signed-images', refs: [glob], keys: [key], kinds: ['Deployment'] });
}

export function deployment(name: string, images: string[]): string {
  const containers = images.map((image, i) => `        - name: c${i}   # container ${i}\n          image: ${image}\n`).join('');
  return `# ${name}: pinned by verify-images
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  template:
    spec:
      containers:
${containers}`;
}
