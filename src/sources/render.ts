// Render an application directory the way Argo CD would (docs/user-guide/tool_detection.md):
// Helm when Chart.yaml exists, Kustomize when a kustomization exists, plain directory otherwise,
// after merging the `.argocd-source*.yaml` overrides. The result is a list of inputs for
// readSources()/run() (so kustomize origins still point at source files) plus a cleanup.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { type AppSource, applyOverrideFiles, type KustomizeImage, parseKustomizeImage } from './argocd-source.js';
import { readSources, SourceError, type SourceText } from './files.js';
import { helmTemplate } from './helm.js';

export type Tool = 'kustomize' | 'helm' | 'directory';

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const DIRECTORY_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface RenderRequest {
  /** Repository root (the checkout). */
  root: string;
  /** Application path inside the repository (`spec.source.path`); default `.`. */
  path?: string;
  app?: { name?: string; namespace?: string };
  /** `spec.source` settings from the Application or the command line; override files are merged over them. */
  source?: AppSource;
  env?: NodeJS.ProcessEnv;
}

export interface PreparedApp {
  tool: Tool;
  appDir: string;
  /** What to read: a (wrapper) kustomization dir, the helm output file, or the directory's files. */
  inputs: string[];
  /** Override files that were applied. */
  overrides: string[];
  source: AppSource;
  cleanup(): Promise<void>;
}

/** Argo CD's detection order: Helm, then Kustomize, then Directory. */
export function detectTool(names: string[]): Tool {
  if (names.includes('Chart.yaml')) return 'helm';
  if (names.some((n) => KUSTOMIZATION_FILES.includes(n))) return 'kustomize';
  return 'directory';
}

export async function prepareApp(req: RenderRequest): Promise<PreparedApp> {
  const root = await realpath(req.root);
  const appDir = path.resolve(root, req.path ?? '.');
  const rel = path.relative(root, appDir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new SourceError(`--path ${req.path}: outside the repository`);
  if (!existsSync(appDir)) throw new SourceError(`--path ${req.path ?? '.'}: no such directory in the repository`);
  const { source, applied } = await applyOverrideFiles(appDir, req.source ?? {}, req.app ?? {});
  const tool = detectTool(await readdir(appDir));
  const temps: string[] = [];
  const cleanup = async () => {
    for (const dir of temps) await rm(dir, { recursive: true, force: true });
  };
  const temp = async () => {
    const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'verify-images-render-')));
    temps.push(dir);
    return dir;
  };
  try {
    let inputs: string[];
    if (tool === 'kustomize') {
      const images = (source.kustomize?.images ?? []).map(parseKustomizeImage);
      inputs = [images.length > 0 ? await kustomizeWrapper(await temp(), appDir, images) : appDir];
    } else if (tool === 'helm') {
      inputs = [await renderHelm(await temp(), appDir, source, req)];
    } else {
      inputs = await directoryFiles(appDir, source.directory ?? {});
    }
    return { tool, appDir, inputs, overrides: applied, source, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The manifests exactly as rendered, one YAML stream (what a CMP prints), and the sources it joins. */
export interface RenderedSources {
  text: string;
  /** Each input as read (kustomize output with its origins), so verdicts can name source files. */
  sources: SourceText[];
  /** What reading left out (a symlink leading outside the app). */
  warnings: string[];
}

export async function renderSources(inputs: string[]): Promise<RenderedSources> {
  const warnings: string[] = [];
  const sources = await readSources(inputs, { onWarning: (m) => warnings.push(m) });
  const text = sources
    .map((s) => (s.text.endsWith('\n') ? s.text : `${s.text}\n`))
    .map((t) => t.replace(/^---\s*\n/, ''))
    .join('---\n');
  return { text, sources, warnings };
}

export async function renderText(inputs: string[]): Promise<string> {
  return (await renderSources(inputs)).text;
}

/**
 * A kustomization with the app as its only resource and the overriding `images:`; kustomize
 * applies them on top, as `kustomize edit set image` in the app would, without touching it.
 */
export async function kustomizeWrapper(dir: string, appDir: string, images: KustomizeImage[], extra: Record<string, unknown> = {}): Promise<string> {
  const relative = path.relative(dir, appDir).split(path.sep).join('/');
  await writeFile(path.join(dir, 'kustomization.yaml'), stringify({ resources: [relative], ...extra, images }));
  return dir;
}

async function renderHelm(dir: string, appDir: string, source: AppSource, req: RenderRequest): Promise<string> {
  const helm = source.helm ?? {};
  const inline: string[] = [];
  if (helm.values) {
    inline.push(path.join(dir, 'values-inline.yaml'));
    await writeFile(inline.at(-1)!, helm.values);
  }
  if (helm.valuesObject !== undefined) {
    inline.push(path.join(dir, 'values-object.yaml'));
    await writeFile(inline.at(-1)!, stringify(helm.valuesObject));
  }
  const text = await helmTemplate({
    chartDir: appDir,
    releaseName: helm.releaseName ?? req.app?.name ?? path.basename(appDir),
    namespace: req.app?.namespace,
    helm,
    inlineValueFiles: inline,
    env: req.env,
  });
  const out = path.join(dir, `${path.basename(appDir)}.helm.yaml`);
  await writeFile(out, text);
  return out;
}

/** Argo CD directory apps: top level only unless `recurse`; include/exclude globs on the relative path. */
export async function directoryFiles(appDir: string, opts: NonNullable<AppSource['directory']>): Promise<string[]> {
  const { minimatch } = await import('minimatch');
  const match = (pattern: string | undefined, rel: string) => {
    if (!pattern) return false;
    // Argo CD accepts `{a,b}` lists; minimatch expands braces itself.
    return minimatch(rel, pattern, { dot: true }) || minimatch(path.basename(rel), pattern, { dot: true });
  };
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(appDir, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        if (opts.recurse && !entry.name.startsWith('.')) await walk(full);
        continue;
      }
      if (!DIRECTORY_EXTENSIONS.has(path.extname(entry.name).toLowerCase()) || entry.name.startsWith('.')) continue;
      if (opts.include && !match(opts.include, rel)) continue;
      if (match(opts.exclude, rel)) continue;
      out.push(full);
    }
  };
  await walk(appDir);
  return out;
}
