// `helm template` the way Argo CD calls it, when helm is on PATH.

import { spawn } from 'node:child_process';
import type { AppSource } from './argocd-source.js';
import { SourceError } from './files.js';

export interface HelmTemplateOptions {
  chartDir: string;
  releaseName: string;
  namespace?: string;
  helm: NonNullable<AppSource['helm']>;
  /** Files holding `values` / `valuesObject`, passed after valueFiles (they win, as in Argo CD). */
  inlineValueFiles?: string[];
  env?: NodeJS.ProcessEnv;
}

/** The argument list: chart, release, namespace, values files, then parameters (which win). Pure. */
export function helmTemplateArgs(o: HelmTemplateOptions): string[] {
  const args = ['template', o.releaseName, o.chartDir, '--include-crds'];
  if (o.namespace) args.push('--namespace', o.namespace);
  for (const f of o.helm.valueFiles ?? []) args.push('--values', f);
  for (const f of o.inlineValueFiles ?? []) args.push('--values', f);
  for (const p of o.helm.parameters ?? []) args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${p.value}`);
  return args;
}

export async function helmTemplate(o: HelmTemplateOptions): Promise<string> {
  const args = helmTemplateArgs(o);
  return new Promise((resolve, reject) => {
    const child = spawn('helm', args, { cwd: o.chartDir, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new SourceError(`cannot render ${o.chartDir}: it is a Helm chart (Chart.yaml) and helm is not on PATH; install helm 3 or render it yourself (helm template … | kubectl verify-images -)`)
          : e,
      ),
    );
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new SourceError(`helm template failed for ${o.chartDir}: ${Buffer.concat(err).toString('utf8').trim() || `exit ${code}`}`));
    });
  });
}
