// Chart directories among pin's inputs are rendered with `helm template` (as Argo CD would,
// overrides included); the rendered file replaces the chart in the inputs and remembers which
// chart, values files and parameters made it, so the pin can go back into the values.

import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isMap, parseDocument } from 'yaml';
import type { AppSource } from '../sources/argocd-source.js';
import type { HelmParameter, ValuesLayer } from './helm-values.js';
import { scalarSite } from './yaml-sites.js';

/** What rendered a chart: where its values came from. */
export interface HelmChart {
  /** Absolute chart directory. */
  dir: string;
  /** The values layers in Helm's order (values.yaml, valueFiles, then inline values). */
  layers: ValuesLayer[];
  parameters: HelmParameter[];
  appVersion?: string;
}

export interface ChartInputs {
  /** The inputs with every chart directory replaced by its rendered output. */
  inputs: string[];
  /** Absolute rendered file → the chart. */
  charts: Map<string, HelmChart>;
  cleanup(): Promise<void>;
}

export interface ChartRenderOptions {
  /** Helm settings from the command line (`--helm-values`, `--helm-set`); `.argocd-source*.yaml` are merged over them. */
  source?: AppSource;
  app?: { name?: string; namespace?: string };
  env?: NodeJS.ProcessEnv;
}

export async function renderChartInputs(inputs: readonly string[], cwd: string, opts: ChartRenderOptions = {}): Promise<ChartInputs> {
  const charts = new Map<string, HelmChart>();
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const c of cleanups) await c();
  };
  const out: string[] = [];
  try {
    for (const input of inputs) {
      const dir = input === '-' ? undefined : path.resolve(cwd, input);
      if (!dir || !(await isChart(dir))) {
        out.push(input);
        continue;
      }
      const { prepareApp } = await import('../sources/render.js');
      const app = await prepareApp({ root: dir, path: '.', app: opts.app, source: opts.source, env: opts.env });
      cleanups.push(() => app.cleanup());
      const rendered = path.resolve(app.inputs[0]!);
      charts.set(rendered, await chartOf(dir, app.source));
      out.push(rendered);
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { inputs: out, charts, cleanup };
}

async function isChart(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory() && existsSync(path.join(dir, 'Chart.yaml'));
  } catch {
    return false;
  }
}

/** The layers Helm merged for this render; values files it could not have read are left out. */
export async function chartOf(dir: string, source: AppSource): Promise<HelmChart> {
  const helm = source.helm ?? {};
  const layers: ValuesLayer[] = [];
  const add = async (file: string, label: string) => {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) layers.push({ file, label, text });
  };
  await add(path.join(dir, 'values.yaml'), 'values.yaml');
  // Argo CD resolves valueFiles against the chart directory.
  for (const f of helm.valueFiles ?? []) if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(f)) await add(path.resolve(dir, f), f);
  if (helm.values) layers.push({ label: 'the inline Helm values (helm.values)', text: helm.values });
  if (helm.valuesObject !== undefined) layers.push({ label: 'the inline Helm values (helm.valuesObject)', text: JSON.stringify(helm.valuesObject) });
  return { dir, layers, parameters: helm.parameters ?? [], appVersion: await appVersion(dir) };
}

/** Chart.yaml's appVersion: what `helm create`'s template renders for an empty tag. */
export async function appVersion(dir: string): Promise<string | undefined> {
  try {
    const text = await readFile(path.join(dir, 'Chart.yaml'), 'utf8');
    const doc = parseDocument(text);
    // As written: Helm reads appVersion as a string, so `1.10` stays "1.10".
    const v = isMap(doc.contents) ? scalarSite(text, doc.contents.get('appVersion', true))?.value : undefined;
    return v || undefined;
  } catch {
    return undefined;
  }
}
