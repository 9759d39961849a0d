// `helm template` the way Argo CD's repo-server calls it (util/helm/cmd.go), when helm is on PATH.

import type { AppSource } from './argocd-source.js';
import { SourceError } from './files.js';
import { runTool } from './run-tool.js';

export interface HelmTemplateOptions {
  chartDir: string;
  releaseName: string;
  namespace?: string;
  helm: NonNullable<AppSource['helm']>;
  /** Files holding `values` / `valuesObject`, passed after valueFiles (they win, as in Argo CD). */
  inlineValueFiles?: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Argo CD's argument list: chart, `--name-template`, namespace, kube version, parameters (helm
 * applies them over every values file), values files then inline values, API versions, CRDs
 * unless skipped. Pure.
 */
export function helmTemplateArgs(o: HelmTemplateOptions): string[] {
  const h = o.helm;
  const args = ['template', o.chartDir, '--name-template', o.releaseName];
  const namespace = h.namespace || o.namespace;
  if (namespace) args.push('--namespace', namespace);
  if (h.kubeVersion) args.push('--kube-version', h.kubeVersion);
  for (const p of h.parameters ?? []) args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${escapeSetValue(p.value)}`);
  for (const f of h.valueFiles ?? []) args.push('--values', f);
  for (const f of o.inlineValueFiles ?? []) args.push('--values', f);
  for (const v of h.apiVersions ?? []) args.push('--api-versions', v);
  if (!h.skipCrds) args.push('--include-crds');
  if (h.skipSchemaValidation) args.push('--skip-schema-validation');
  if (h.skipTests) args.push('--skip-tests');
  return args;
}

/** Argo CD's cleanSetParameters: a comma is a value's own (escaped) unless the value is a `{a,b}` list. */
export function escapeSetValue(value: string): string {
  if (value.startsWith('{') && value.endsWith('}')) return value;
  return value.replace(/(?<!\\),/g, '\\,');
}

export async function helmTemplate(o: HelmTemplateOptions): Promise<string> {
  const r = await runTool('helm', helmTemplateArgs(o), { cwd: o.chartDir, env: o.env ?? process.env });
  if (r.missing) throw new SourceError(`cannot render ${o.chartDir}: it is a Helm chart (Chart.yaml) and helm is not on PATH; install helm or render it yourself (helm template … | kubectl verify-images -)`);
  if (r.code !== 0) throw new SourceError(`helm template failed for ${o.chartDir}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return r.stdout;
}
