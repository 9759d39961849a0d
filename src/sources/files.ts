// Manifest text from files, directories (recursively), stdin and kustomizations.

import { existsSync, readFileSync, realpathSync, type Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { extractImages, objectKey } from '../manifests/extract.js';
import { parseManifests } from '../manifests/parse.js';
import type { ManifestObject, ObjectOrigin, SourceContext, SourcePosition } from '../manifests/types.js';
import type { Rendered } from './kustomize.js';
import { repoRoot } from '../config/load.js';

export class SourceError extends Error {
  readonly code = 'SOURCE_ERROR';
}

/** One text to parse. For rendered text, `file` is the kustomization directory as given. */
export interface SourceText extends SourceContext {
  file: string;
  text: string;
  /** The input (as given to readSources) this text was read for: "nothing to verify in …" names it. */
  input?: string;
}

export interface ReadSourcesOptions {
  stdin?: NodeJS.ReadableStream;
  /** Renders a kustomization directory; defaults to renderKustomize (the real kustomize). */
  kustomize?: (dir: string) => Promise<Rendered>;
  /** Told about what was left out on purpose. */
  onWarning?: (message: string) => void;
  /** A file of this input was already read for an earlier one (`-f a.yaml dir/`): not read again, but the input is not empty. */
  onRepeated?: (input: string) => void;
  /**
   * Inputs given with `-f` (as passed here): read as `kubectl apply -f` reads them, a directory's
   * top level only unless `recursive` (`-R`). Other paths are read recursively.
   */
  kubectl?: { inputs: ReadonlySet<string>; recursive: boolean };
}

export const STDIN_NAME = '<stdin>';
const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
/** Never manifests: git's own store; installed packages (PATH form only; `-R -f` reads what kubectl reads). */
const SKIPPED_DIRS = new Set(['.git']);
const SKIPPED_PATH_DIRS = new Set(['.git', 'node_modules']);

/**
 * Reads every input in order: a file as is, `-` from stdin (read once, however often it is
 * named), a directory as kubectl reads it (`*.yaml|*.yml|*.json`, sorted, hidden files and
 * directories included): recursively for a plain PATH and `-R -f`, its top level for `-f` alone.
 * A directory holding a kustomization is rendered with kustomize instead (a Helm chart, with
 * Chart.yaml, with `helm template`), and its subtree is not read again.
 * Symlinks below an input are followed while they stay inside the repository (the git root above
 * the input; outside git, the input itself); one that leaves it, or leads nowhere, is an input
 * error (exit 2), never skipped. A missing input, or a file that is not text, throws SourceError.
 */
export async function readSources(inputs: string[], opts: ReadSourcesOptions = {}): Promise<SourceText[]> {
  const reader = new Reader(opts);
  for (const input of inputs) await reader.input(input);
  return reader.out;
}

class Reader {
  readonly out: SourceText[] = [];
  private readonly seen = new Set<string>();
  private stdinRead = false;
  private current = '';

  constructor(private readonly opts: ReadSourcesOptions) {}

  async input(input: string): Promise<void> {
    this.current = input;
    if (input === '-') return this.stdin();
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new SourceError(`no such file or directory: ${input}`);
    }
    // The input itself was named by the user: followed wherever it points; below it, nothing leaves the repository.
    if (!info.isDirectory()) return this.file(input);
    const real = await realpath(input);
    const kubectl = this.opts.kubectl?.inputs.has(input);
    const walk: Walk = { root: input, bound: repoRoot(real), recurse: !kubectl || this.opts.kubectl!.recursive, skip: kubectl ? SKIPPED_DIRS : SKIPPED_PATH_DIRS };
    return this.directory(input, walk);
  }

  private push(text: SourceText): void {
    this.out.push({ ...text, input: this.current });
  }

  private async stdin(): Promise<void> {
    if (this.stdinRead) return this.opts.onRepeated?.(this.current);
    this.stdinRead = true;
    const stream = this.opts.stdin ?? process.stdin;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    this.push({ file: STDIN_NAME, text: decodeText(Buffer.concat(chunks), STDIN_NAME) });
  }

  private async file(file: string): Promise<void> {
    let bytes: Buffer;
    // Synchronously: nothing else runs yet, and a file costs one call instead of four trips to
    // the thread pool (open, stat, read, close) — measurable with a thousand small manifests.
    try {
      const real = realpathSync(file);
      if (this.seen.has(real)) return this.opts.onRepeated?.(this.current);
      this.seen.add(real);
      bytes = readFileSync(file);
    } catch (e) {
      throw new SourceError(`cannot read ${file}: ${(e as Error).message}`);
    }
    this.push({ file, text: decodeText(bytes, file) });
  }

  private async directory(dir: string, walk: Walk): Promise<void> {
    const real = await realpath(dir);
    if (this.seen.has(real)) return; // also stops symlink loops
    this.seen.add(real);
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      throw new SourceError(`cannot read directory ${dir}: ${(e as Error).message}`);
    }
    // Argo CD's detection order: a Helm chart first, then a kustomization, else plain files.
    const names = entries.map((e) => e.name);
    if (entries.some((e) => e.name === 'Chart.yaml' && !e.isDirectory())) return this.chart(dir, names);
    if (entries.some((e) => KUSTOMIZATION_FILES.includes(e.name) && !e.isDirectory())) {
      return this.kustomization(dir, walk.root, names);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      const manifest = MANIFEST_EXTENSIONS.has(path.extname(entry.name).toLowerCase());
      if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined);
        if (target === undefined) {
          // kubectl fails to open it: nothing of the directory is applied.
          if (manifest) throw new SourceError(`${full}: a symlink to nothing (its target does not exist)`);
          continue;
        }
        if (!isInside(walk.bound, target)) {
          const bound = existsSync(path.join(walk.bound, '.git')) ? `the repository ${walk.bound}` : `${walk.root} (not in a git repository, so links must stay inside the input)`;
          throw new SourceError(`${full}: a symlink to ${target}, outside ${bound}; refused, as Argo CD refuses such repositories (copy the file in, or point the link inside)`);
        }
        isDir = await isDirectory(target);
      }
      if (isDir) {
        if (walk.recurse && !walk.skip.has(entry.name)) await this.directory(full, walk);
      } else if (manifest) {
        await this.file(full);
      }
    }
  }

  /** Templates are not YAML: render the chart (`helm template`) with `.argocd-source.yaml`'s Helm settings, as Argo CD would. */
  private async chart(dir: string, names: string[]): Promise<void> {
    const { renderHelmDirectory } = await import('./render.js');
    const text = await renderHelmDirectory(dir, await this.overrides(dir, names));
    this.push({ file: dir, text, rendered: true });
  }

  /** Rendered with `.argocd-source.yaml`'s kustomize images on top, as Argo CD renders the app. */
  private async kustomization(dir: string, root: string, names: string[]): Promise<void> {
    const render = this.opts.kustomize ?? (await import('./kustomize.js')).renderKustomize;
    const images = (await this.overrides(dir, names)).kustomize?.images ?? [];
    let rendered: Rendered;
    if (images.length === 0) rendered = await render(dir);
    else {
      const { withKustomizeImages } = await import('./render.js');
      rendered = await withKustomizeImages(dir, images, render);
    }
    const origins = await traceOrigins(rendered, root);
    this.push({ file: dir, text: rendered.text, rendered: true, origins });
  }

  /**
   * The app-independent `.argocd-source.yaml` of a rendered directory (Argo CD merges it into every
   * app of that path); per-app files cannot be attributed without the app's name: said, not applied.
   */
  private async overrides(dir: string, names: string[]): Promise<import('./argocd-source.js').AppSource> {
    const { applyOverrideFiles } = await import('./argocd-source.js');
    for (const name of names.filter((n) => /^\.argocd-source-.+\.yaml$/.test(n)).sort()) {
      this.opts.onWarning?.(`${path.join(dir, name)} not applied: it overrides one Argo CD Application's source, and this mode does not know the app (use --repo/--path with --app NAME)`);
    }
    return (await applyOverrideFiles(dir, {}, {})).source;
  }
}

interface Walk {
  /** The input as the user gave it, for naming origin files the same way. */
  root: string;
  /** Symlinks below the input must stay inside this (real) directory. */
  bound: string;
  /** Below the input's top level (PATH, `-R -f`), or not (`-f DIR`). */
  recurse: boolean;
  skip: ReadonlySet<string>;
}


/** Whether `target` is `root` or below it (both real paths). */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Manifest bytes as text. A NUL byte or invalid UTF-8 means this is not a manifest (a PNG named
 * `.yaml`, a binary): an input error, never "0 images".
 */
export function decodeText(bytes: Uint8Array, file: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new SourceError(`${file}: not a text file (NUL byte at offset ${nul}); manifests are YAML or JSON text`);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new SourceError(`${file}: not UTF-8 text; manifests are YAML or JSON text`);
  }
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Turns kustomize's origin files into positions: the file named relative to the input as the
 * user gave it, the object's line there, and each image's line (matched by its JSON path).
 */
async function traceOrigins(rendered: Rendered, root: string): Promise<Map<string, ObjectOrigin>> {
  const realRoot = await realpath(root);
  const parsed = new Map<string, ManifestObject[] | undefined>();
  const origins = new Map<string, ObjectOrigin>();
  for (const [key, absFile] of rendered.origins) {
    const file = path.join(root, path.relative(realRoot, absFile));
    if (!parsed.has(absFile)) parsed.set(absFile, await parseQuietly(absFile, file));
    const [kind, , name] = splitKey(key);
    const obj = findObject(parsed.get(absFile) ?? [], kind, name);
    const origin: ObjectOrigin = obj
      ? { file, line: obj.line, column: obj.column, images: {} }
      : { file, line: 1, column: 1, images: {} };
    if (obj) {
      for (const use of extractImages(obj)) {
        const p: SourcePosition = { file, line: use.line, column: use.column };
        origin.images[use.path] = p;
      }
    }
    origins.set(key, origin);
  }
  return origins;
}

/** An origin file that cannot be read or parsed only costs precision, not the run. */
async function parseQuietly(absFile: string, file: string): Promise<ManifestObject[] | undefined> {
  try {
    return parseManifests(await readFile(absFile, 'utf8'), file);
  } catch {
    return undefined;
  }
}

function splitKey(key: string): [string, string, string] {
  const [kind = '', ns = '', name = ''] = key.split('/');
  return [kind, ns, name];
}

/** The source object a rendered one came from: same kind, and the same name or one that namePrefix/Suffix grew. */
function findObject(objects: ManifestObject[], kind: string, renderedName: string): ManifestObject | undefined {
  const sameKind = objects.filter((o) => o.object.kind === kind);
  const nameOf = (o: ManifestObject) => {
    const n = objectKey(o.object).split('/')[2];
    return n ?? '';
  };
  const exact = sameKind.find((o) => nameOf(o) === renderedName);
  if (exact) return exact;
  const grown = sameKind
    .filter((o) => nameOf(o) !== '' && renderedName.includes(nameOf(o)))
    .sort((a, b) => nameOf(b).length - nameOf(a).length);
  return grown[0] ?? (sameKind.length === 1 ? sameKind[0] : undefined);
}
