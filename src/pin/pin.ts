// `pin`: verify as `verify` does, then plan, apply and check the digest edits for the
// images that passed; write them only when asked.

import { readFile } from 'node:fs/promises';
import { displayPath, run, type RunOptions, type RunOutput } from '../engine/run.js';
import { applyPlan, type EditedFile } from './apply.js';
import type { AppSource } from '../sources/argocd-source.js';
import { traceStdin, traceUses } from './collect.js';
import { STDIN_NAME } from '../sources/files.js';
import { repoRoot } from '../config/load.js';
import { renderChartInputs } from './helm-charts.js';
import { type HelmMapping, planPins } from './plan.js';
import type { PinResult } from './types.js';
import { removeStaleTempsBeside, writeFiles } from './write.js';

export interface PinOptions extends RunOptions {
  /** Helm values image maps to pin (absolute values files). */
  helm?: HelmMapping[];
  /** How chart directories among the inputs are rendered: Helm values files and parameters, app name and namespace. */
  chart?: { source?: AppSource; app?: { name?: string; namespace?: string } };
  /** Edit the files in place (else only compute the edits). */
  write: boolean;
  /** Rewrite read-only files too. */
  force?: boolean;
  /** Edit signed manifests too (their signature no longer matches). */
  allowBreakingSignatures?: boolean;
}

export interface PinOutput extends RunOutput {
  pin: PinResult;
  /** The files that change, with their text before and after. */
  files: EditedFile[];
  /** Stdin with its digests pinned, when `-` was an input. */
  pinnedStdin?: string;
}

export async function pinImages(options: PinOptions): Promise<PinOutput> {
  const cwd = options.cwd ?? process.cwd();
  // A chart directory is verified as rendered; its values files are what gets pinned.
  const charts = await renderChartInputs(options.inputs, cwd, { ...options.chart, env: options.env });
  try {
    const out = await run({ ...options, inputs: charts.inputs });
    const uses = await traceUses(charts.inputs, cwd, charts.charts);
    if (out.stdin !== undefined) uses.push(...traceStdin(out.stdin));
    const plan = await planPins({
      result: out.result,
      uses,
      helm: options.helm,
      read: (file) => (file === STDIN_NAME ? Promise.resolve(out.stdin) : readIfPresent(file)),
      show: (file) => (file === STDIN_NAME ? file : displayPath(cwd, file)),
      ...(options.allowBreakingSignatures && { allowBreakingSignatures: true }),
    });
    const { files, pin } = applyPlan(plan);
    // Stdin has no file to write: its pinned text is handed back (printed by `pin - --write`).
    const stdin = out.stdin === undefined ? undefined : (files.find((f) => f.path === STDIN_NAME)?.after ?? out.stdin);
    const onDisk = files.filter((f) => f.path !== STDIN_NAME);
    if (options.write) await writeFiles(onDisk, { root: repoRoot(cwd), force: options.force });
    else await removeStaleTempsBeside(onDisk.map((f) => f.path));
    return { ...out, pin, files, ...(stdin !== undefined && { pinnedStdin: stdin }) };
  } finally {
    await charts.cleanup();
  }
}

/** The file's text, or undefined when it is absent (or a directory, or under a file). */
export async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    // Kustomization `resources:` name files and directories alike: probing a file as a directory is ENOTDIR.
    if (['ENOENT', 'EISDIR', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw e;
  }
}
