// Writing the edited files without damaging the work tree: every file is checked before any is
// written (a symlink is followed only to a target inside the repository, a read-only file is left
// alone unless --force), every new text goes to a temporary file beside its target that is
// fsynced before one rename per file, and a failure names exactly what changed.

import { access, chmod, constants, lstat, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../sources/files.js';
import { PinError } from './types.js';

export interface FileWrite {
  /** Absolute path as planned (possibly a symlink). */
  path: string;
  /** As shown to the user. */
  file: string;
  after: string;
}

export interface WriteOptions {
  /** The repository root: a symlink may lead to a file below it, nowhere else. */
  root: string;
  /** Rewrite read-only files too (`--force`). */
  force?: boolean;
}

const TEMP_MARK = '.verify-images-tmp-';

/** Throws PinError naming every file that cannot be written; nothing is written then. */
export async function writeFiles(files: readonly FileWrite[], opts: WriteOptions): Promise<void> {
  const realRoot = await realpath(opts.root).catch(() => path.resolve(opts.root));
  const planned: { target: string; file: string; after: string; mode: number }[] = [];
  const refused: string[] = [];
  for (const f of files) {
    const check = await checkTarget(f, realRoot, opts.force === true);
    if ('refused' in check) refused.push(`${f.file}: ${check.refused}`);
    else planned.push({ ...f, ...check });
  }
  if (refused.length > 0) {
    throw new PinError('PIN_WRITE_FAILED', `nothing written; these files cannot be rewritten:\n  ${refused.join('\n  ')}`);
  }

  // Every new text on disk first, beside its target: a failure here changes nothing.
  const temps: string[] = [];
  try {
    for (const p of planned) {
      await removeStaleTemps(path.dirname(p.target));
      try {
        temps.push(await writeTemp(p.target, p.after, p.mode));
      } catch (e) {
        throw new Error(`cannot write the new text of ${p.file} beside it: ${(e as Error).message}`);
      }
    }
  } catch (e) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw new PinError('PIN_WRITE_FAILED', `nothing written: ${(e as Error).message}`);
  }
  const done: string[] = [];
  for (const [i, p] of planned.entries()) {
    try {
      await rename(temps[i]!, p.target);
      done.push(p.file);
    } catch (e) {
      await Promise.all(temps.slice(i).map((t) => rm(t, { force: true })));
      const changed = done.length > 0 ? `rewritten: ${done.join(', ')}` : 'no file was changed';
      throw new PinError('PIN_WRITE_FAILED', `cannot write ${p.file}: ${(e as Error).message}; ${changed}; not rewritten: ${planned.slice(i).map((q) => q.file).join(', ')}`);
    }
  }
  for (const dir of new Set(planned.map((p) => path.dirname(p.target)))) await syncDirectory(dir);
}

async function checkTarget(f: FileWrite, realRoot: string, force: boolean): Promise<{ target: string; mode: number } | { refused: string }> {
  let target = f.path;
  try {
    if ((await lstat(f.path)).isSymbolicLink()) {
      target = await realpath(f.path);
      // Editing the link would replace it with a regular file and leave its target unpinned.
      if (!isInside(realRoot, target)) return { refused: `a symlink to ${target}, outside the repository` };
    }
    const info = await stat(target);
    if (!info.isFile()) return { refused: 'not a regular file' };
    if (!force && (info.mode & 0o222) === 0) return { refused: 'read-only (pass --force to rewrite it)' };
    await access(path.dirname(target), constants.W_OK).catch(() => {
      throw new Error(`its directory ${path.dirname(target)} is not writable`);
    });
    return { target, mode: info.mode & 0o7777 };
  } catch (e) {
    return { refused: (e as Error).message };
  }
}

/** `.<name>.verify-images-tmp-<pid>-<n>` beside the target, fsynced, with the target's mode. */
async function writeTemp(target: string, text: string, mode: number): Promise<string> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}${TEMP_MARK}${process.pid}-${Date.now().toString(36)}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, mode);
  } catch (e) {
    // A full disk leaves a partial (often empty) file: it is not left behind.
    await rm(temp, { force: true });
    throw e;
  }
  return temp;
}

/** A run that only shows the diff also clears what killed runs left beside the files it would edit. */
export async function removeStaleTempsBeside(files: readonly string[]): Promise<void> {
  for (const dir of new Set(files.map((f) => path.dirname(f)))) await removeStaleTemps(dir);
}

/** Temporary files left by a run that was killed (its process is gone): removed before writing beside them. */
async function removeStaleTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const at = name.indexOf(TEMP_MARK);
    if (!name.startsWith('.') || at < 0) continue;
    const pid = Number(name.slice(at + TEMP_MARK.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) await rm(path.join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The renames are durable only once the directory entry is on disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the data itself is synced.
  } finally {
    await handle.close();
  }
}
