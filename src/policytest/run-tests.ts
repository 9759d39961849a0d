// `verify-images test`: finds the test files, runs each through the real engine against recorded
// registry fixtures (or, with --record, against the real registries while recording), and compares.

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { recordingRegistry, replayRegistry, startRecording, writeRecording, type RecordingSession, type WriteReport } from '../registry/fixtures.js';
import type { RegistryClient } from '../registry/types.js';
import { compare, type Check } from './compare.js';
import { KYVERNO_FILE, OWN_FILE, parseTestFile, TestFileError, type PolicyTest } from './test-file.js';

export interface TestReport {
  file: string;
  name: string;
  format?: PolicyTest['format'];
  checks: Check[];
  /** A broken test (file, policy or manifest error): exit 2. */
  error?: string;
  ms: number;
}

export interface RunTestsOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Against the real registries, writing what the verdicts needed into each test's fixtures. */
  record?: boolean;
  insecureRegistries?: string[];
  registryCa?: string;
  /** The registry recordings go through (tests inject one); default a client from the docker config. */
  liveRegistry?: RegistryClient;
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'fixtures']);

/** Test files under the given paths (files as given; directories recursively), sorted. */
export async function findTestFiles(paths: string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) await walk(p);
      else if (e.isFile() && (e.name === OWN_FILE || e.name.endsWith(`.${OWN_FILE}`) || e.name === KYVERNO_FILE)) out.push(p);
    }
  };
  for (const p of paths.length > 0 ? paths : ['.']) {
    const abs = path.resolve(cwd, p);
    if (!existsSync(abs)) throw new TestFileError(`${p}: no such file or directory`);
    if ((await readdir(abs).catch(() => undefined)) === undefined) out.push(abs);
    else await walk(abs);
  }
  return [...new Set(out)].sort();
}

export async function runTests(files: string[], o: RunTestsOptions): Promise<{ reports: TestReport[]; recorded: { dir: string; report: WriteReport }[] }> {
  const { run } = await import('../engine/run.js');
  const sessions = new Map<string, RecordingSession>();
  let live = o.liveRegistry;
  const reports: TestReport[] = [];
  for (const file of files) {
    const started = performance.now();
    const shown = path.relative(o.cwd, file) || file;
    let test: PolicyTest;
    try {
      test = parseTestFile(await readFile(file, 'utf8'), file, shown);
    } catch (err) {
      reports.push({ file: shown, name: path.basename(path.dirname(file)), checks: [], error: (err as Error).message, ms: 0 });
      continue;
    }
    let registry: RegistryClient;
    let session: RecordingSession | undefined;
    if (o.record) {
      session = sessions.get(test.fixtures) ?? startRecording(test.fixtures);
      sessions.set(test.fixtures, session);
      live ??= await (await import('../registry/from-settings.js')).registryClientFor({
        env: o.env,
        insecureRegistries: o.insecureRegistries ?? [],
        ...(o.registryCa && { registryCaFile: o.registryCa }),
      });
      registry = recordingRegistry(live, session);
    } else {
      registry = replayRegistry(test.fixtures);
    }
    const trustedRoot = path.join(test.fixtures, 'trusted_root.json');
    try {
      const out = await run({
        inputs: test.resources.map((r) => path.relative(path.dirname(file), r) || '.'),
        policyPaths: test.policies,
        cwd: path.dirname(file),
        unmatched: 'allow',
        concurrency: 8,
        cache: false,
        insecureRegistries: o.insecureRegistries ?? [],
        registry,
        env: o.env,
        timeoutMs: 120_000,
        ...(test.now && { now: test.now }),
        ...(!o.record && { keysOffline: true }),
        ...(!o.record && existsSync(trustedRoot) && { trustedRoot }),
      });
      if (session && out.trustedRootJson !== undefined) session.trustedRootJson = out.trustedRootJson;
      reports.push({ file: shown, name: test.name, format: test.format, checks: compare(test, out.result, out.rules), ms: Math.round(performance.now() - started) });
    } catch (err) {
      reports.push({ file: shown, name: test.name, format: test.format, checks: [], error: (err as Error).message, ms: Math.round(performance.now() - started) });
    }
  }
  const recorded = [...sessions.values()].map((s) => ({ dir: path.relative(o.cwd, s.dir) || s.dir, report: writeRecording(s) }));
  await (live as { close?: () => Promise<void> } | undefined)?.close?.();
  return { reports, recorded };
}
