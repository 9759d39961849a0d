// Render an application directory the way Argo CD would (docs/user-guide/tool_detection.md):
// Helm when Chart.yaml exists, Kustomize when a kustomization exists, plain directory otherwise,
// after merging the `.argocd-source*.yaml` overrides. The result is a list of inputs for
// readSources()/run() (so kustomize origins still point at source files) plus a cleanup.

import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { type AppSource, applyOverrideFiles, type KustomizeImage, parseKustomizeImage } from './argocd-source.js';
import { isInside, readSources, SourceError, type SourceText } from './files.js';
import { helmTemplate } from './helm.js';
import { inTempDir } from './run-tool.js';

export type Tool = 'kustomize' | 'helm' | 'directory';

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export interface RenderRequest {
  /** Repository root (the checkout). */
  root: string;
  /** Application path inside the repository (`spec.source.path`); default `.`. */
  path?: string;
  app?: { name?: string; namespace?: string };
  /** `spec.source` settings from the Application or the command line; override files are merged over them. */
  source?: AppSource;
  env?: NodeJS.ProcessEnv;
  /** Told what was left out (a dangling symlink). */
  onWarning?: (message: string) => void;
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
  await checkOutOfBoundsSymlinks(root);
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
      inputs = await directoryFiles(appDir, source.directory ?? {}, root, req.onWarning);
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

/** A kustomization rendered with extra `images:` (Argo CD's kustomize override), through a wrapper removed afterwards. */
export async function withKustomizeImages<T>(dir: string, images: string[], render: (dir: string) => Promise<T>): Promise<T> {
  return inTempDir((wrapper) => kustomizeWrapper(wrapper, dir, images.map(parseKustomizeImage)).then(render));
}

/** A chart directory named as a PATH: `helm template` with the override file's Helm settings. */
export async function renderHelmDirectory(dir: string, source: AppSource): Promise<string> {
  return inTempDir((temp) => helmText(temp, dir, source, { root: dir }));
}

/** The app rendered to a file in `dir` (read as an input, so verdicts name it). */
async function renderHelm(dir: string, appDir: string, source: AppSource, req: RenderRequest): Promise<string> {
  const out = path.join(dir, `${path.basename(appDir)}.helm.yaml`);
  await writeFile(out, await helmText(dir, appDir, source, req));
  return out;
}

/** `helm template` with the source's Helm settings; inline values are written to files in `dir`. */
async function helmText(dir: string, appDir: string, source: AppSource, req: RenderRequest): Promise<string> {
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
  return helmTemplate({
    chartDir: appDir,
    releaseName: helm.releaseName ?? req.app?.name ?? path.basename(appDir),
    namespace: req.app?.namespace,
    helm,
    inlineValueFiles: inline,
    env: req.env,
  });
}

/**
 * Argo CD directory apps, as its repo-server's findManifests walks them: the app directory's top
 * level, every subdirectory too with `recurse` (hidden ones included: the walk has no dot rule),
 * files named `*.yaml|*.yml|*.json|*.jsonnet` (case as written; dot-files included), `exclude`
 * then `include` globs on the path relative to the app. A symlinked file is read when it stays
 * inside the repository (files.Inbound), refused otherwise; a dangling one is left out, as Argo CD
 * logs and ignores it; a symlinked directory is not descended (filepath.Walk does not follow it).
 * Jsonnet is not rendered here: refused, never skipped (Argo CD would apply what it renders).
 */
export async function directoryFiles(appDir: string, opts: NonNullable<AppSource['directory']>, repoRoot = appDir, onWarning?: (m: string) => void): Promise<string[]> {
  const match = (pattern: string | undefined, rel: string) => pattern !== undefined && pattern !== '' && argoGlob(pattern).test(rel);
  const realRoot = await realpath(repoRoot);
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(appDir, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        if (opts.recurse) await walk(full);
        continue;
      }
      if (!ARGOCD_MANIFEST.test(entry.name)) continue;
      if (match(opts.exclude, rel)) continue;
      if (opts.include && !match(opts.include, rel)) continue;
      if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined);
        if (target === undefined) {
          onWarning?.(`ignored ${rel}: a symlink to nothing (Argo CD ignores it too)`);
          continue;
        }
        if (!isInside(realRoot, target)) throw new SourceError(`${rel}: illegal filepath in symlink (${target} is outside the repository), as Argo CD refuses it`);
      }
      if (entry.name.endsWith('.jsonnet')) {
        throw new SourceError(`${rel}: Argo CD renders Jsonnet files of a directory app, and this tool does not; render it to YAML or JSON (or exclude it with --exclude) so what is applied is verified`);
      }
      out.push(full);
    }
  };
  await walk(appDir);
  return out;
}

/** Argo CD's manifest file pattern (reposerver manifestFile): case-sensitive. */
const ARGOCD_MANIFEST = /^.*\.(yaml|yml|json|jsonnet)$/;

/**
 * Argo CD's `glob.Match` (gobwas/glob compiled without separators): `*` and `**` match any run,
 * `/` included; `?` one character; `[…]`/`[!…]` classes; `{a,b}` alternatives; `\` escapes.
 */
export function argoGlob(pattern: string): RegExp {
  let re = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end);
        re += body.startsWith('!') ? `[^${body.slice(1).replace(/[\\\]^]/g, '\\$&')}]` : `[${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end;
      }
    } else if (c === '{') {
      depth++;
      re += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      re += ')';
    } else if (c === ',' && depth > 0) re += '|';
    else re += escapeRe(c);
  }
  return new RegExp(`^${re}${')'.repeat(depth)}$`, 's');
}

const escapeRe = (c: string) => c.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');

/**
 * Argo CD refuses a repository holding a symlink that leads out of it (CheckOutOfBoundsSymlinks,
 * before any rendering): an absolute target, or a relative one that climbs above the root at any
 * step. Checked lexically, so a dangling link counts too; directories are not followed.
 */
export async function checkOutOfBoundsSymlinks(root: string): Promise<void> {
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isSymbolicLink()) {
        const target = await readlink(full);
        const rel = path.relative(root, full).split(path.sep).join('/');
        let current = dir;
        const out = path.isAbsolute(target) || target.split('/').some((part) => !isInside(root, (current = path.join(current, part))));
        if (out) throw new SourceError(`repository contains out-of-bounds symlinks. file: ${rel} (-> ${target}); Argo CD refuses to render it`);
      }
    }
  };
  await walk(root);
}
