// The reference tools (scripts/reference-tools.mjs: cosign, notation, crane installed with
// `go install` at pinned versions) and the registries the differential tests run on: Debian's
// distribution (no referrers API: the tag schema) and go-containerregistry's registry (`crane
// registry serve`, which serves the OCI 1.1 referrers API). Without Go the tests skip in one line;
// under CI=true a missing tool fails the file.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// @ts-expect-error: a plain .mjs script without types
import { noGo, toolPath } from '../../scripts/reference-tools.mjs';
import { freePort, startRegistry } from '../../src/testkit/registry-server.js';

/** The tool's path, or a skip message; throws under CI when it is missing. */
export function referenceTool(name: string, version?: string): { path: string } | { skip: string } {
  const bin = toolPath(name, version) as string;
  if (existsSync(bin)) return { path: bin };
  const why = (noGo() as string | undefined) ?? `${name} is not installed: run \`node scripts/reference-tools.mjs\` (npm test does it when Go is on PATH)`;
  if (process.env.CI === 'true') throw new Error(`CI must run the differential tests: ${why}`);
  return { skip: why };
}

export interface TestRegistryLike {
  host: string;
  /** `tag schema` (distribution 2.8) or `referrers API` (go-containerregistry). */
  flavour: 'tag schema' | 'referrers API';
  stop(): Promise<void>;
}

/** go-containerregistry's registry on a free 127.0.0.1 port, with the OCI 1.1 referrers API. */
export async function startReferrersRegistry(crane: string): Promise<TestRegistryLike> {
  const port = await freePort();
  const disk = mkdtempSync(path.join(os.tmpdir(), 'vi-crane-registry-'));
  const child = spawn(crane, ['registry', 'serve', '--address', `127.0.0.1:${port}`, '--disk', disk], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (child.exitCode !== null) throw new Error(`crane registry serve exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: `127.0.0.1:${port}`,
    flavour: 'referrers API',
    stop: async () => {
      child.kill();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Both registries: each case runs on the tag schema and on the referrers API. */
export async function bothRegistries(crane: string): Promise<TestRegistryLike[]> {
  const distribution = await startRegistry();
  return [{ host: distribution.host, flavour: 'tag schema', stop: () => distribution.stop() }, await startReferrersRegistry(crane)];
}

/** Runs a reference tool; its exit status is the verdict (0 pass). */
export function run(bin: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(bin, args, { encoding: 'utf8', cwd: opts.cwd, env: { ...process.env, ...opts.env }, input: opts.input ?? '', timeout: 60_000 });
}

/** Each pinned helm (3 for Argo CD, 4 for Flux) as a PATH directory, or why they cannot run here. */
export function helms(): { version: string; dir: string }[] | { skip: string } {
  const out: { version: string; dir: string }[] = [];
  for (const version of ['v3.21.4', 'v4.3.2']) {
    const tool = referenceTool('helm', version);
    if ('skip' in tool) return tool;
    out.push({ version, dir: path.dirname(tool.path) });
  }
  return out;
}

/** PATH with a reference tool's directory first (`cue`, `opa`, `helm` are looked up by name). */
export function pathWith(...dirs: string[]): string {
  return [...dirs, process.env.PATH ?? ''].join(path.delimiter);
}
