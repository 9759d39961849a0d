// policy-controller `TrustRoot.spec.repository`: a TUF repository vendored into the
// policy as a gzipped tarball (`mirrorFS`), verified offline from the given root.
// Every check is tuf-js's own (its TrustedMetadataStore and MetaFile, the pieces its
// Updater verifies with); only the client workflow's reading order is written here,
// because policy loading is synchronous and the Updater is not.

import { createRequire } from 'node:module';
import { posix } from 'node:path';
import type { TargetFile, Targets } from '@tufjs/models';
import type { ReadEntry } from 'tar/read-entry';
import type { TrustedMetadataStore } from 'tuf-js/dist/store.js';

type Deps = {
  MetaFile: typeof import('@tufjs/models').MetaFile;
  Parser: typeof import('tar/parse').Parser;
  TrustedMetadataStore: typeof TrustedMetadataStore;
};
let deps: Deps | undefined;

// tuf-js and tar take ~30 ms to load and only `repository` TrustRoots need them, while
// policy loading is synchronous: loaded on first use. Literal require() calls let esbuild
// put them in the single-binary bundle; under native ESM, createRequire loads them.
function tufDeps(): Deps {
  if (deps) return deps;
  const req = typeof require === 'function' ? undefined : createRequire(import.meta.url);
  deps = {
    MetaFile: (req ? req('@tufjs/models') : require('@tufjs/models')).MetaFile,
    Parser: (req ? req('tar/parse') : require('tar/parse')).Parser,
    TrustedMetadataStore: (req ? req('tuf-js/dist/store.js') : require('tuf-js/dist/store.js')).TrustedMetadataStore,
  };
  return deps;
}

/** The files of a TUF repository: metadata at the top, targets in a directory. */
export type MirrorFiles = ReadonlyMap<string, Buffer>;

export type TufRepositoryErrorCode = 'MIRROR_UNREADABLE' | 'TUF_ROOT_INVALID' | 'TUF_VERIFY_FAILED' | 'TUF_FILE_MISSING';

export class TufRepositoryError extends Error {
  constructor(
    readonly code: TufRepositoryErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface TargetRequest {
  /** Directory of the targets inside the repository (`spec.repository.targets`). */
  targets: string;
  /** Target path to verify and return (`trustedRootTarget`). */
  target: string;
}

// policy-controller's DefaultTUFRepoPrefix: its CompressFS tars a directory named `repository`.
const PREFIX = '/repository/';
// go-tuf's defaults, the client policy-controller runs.
const MAX_ROOT_ROTATIONS = 32;
const MAX_DELEGATIONS = 32;

/**
 * The regular files of a `mirrorFS` tarball, by path with the `repository/` prefix
 * removed (as policy-controller's UncompressMemFS). Only gzip is accepted, as there.
 */
export function readMirror(tgz: Buffer): Map<string, Buffer> {
  if (tgz.length < 2 || tgz[0] !== 0x1f || tgz[1] !== 0x8b) {
    throw new TufRepositoryError('MIRROR_UNREADABLE', 'not a gzip-compressed tar archive');
  }
  const files = new Map<string, Buffer>();
  let failure: Error | undefined;
  let ended = false;
  // tar's Parser runs synchronously on a buffer; strict turns damaged entries into errors.
  const parser = new (tufDeps().Parser)({ strict: true });
  parser.on('entry', (entry: ReadEntry) => {
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () => {
      if (entry.type === 'File' || entry.type === 'OldFile') files.set(mirrorPath(entry.path), Buffer.concat(chunks));
    });
  });
  parser.on('error', (err: Error) => (failure ??= err));
  parser.on('end', () => (ended = true));
  try {
    parser.end(tgz);
  } catch (err) {
    failure ??= err as Error;
  }
  if (failure) throw new TufRepositoryError('MIRROR_UNREADABLE', `not a readable tar.gz: ${failure.message}`, { cause: failure });
  if (!ended) throw new TufRepositoryError('MIRROR_UNREADABLE', 'not a readable tar.gz: truncated');
  return files;
}

function mirrorPath(name: string): string {
  const p = posix.normalize(`/${name}`);
  return (p.startsWith(PREFIX) ? p.slice(PREFIX.length) : p).replace(/^\/+/, '');
}

/**
 * TUF client workflow over the mirror's files, starting from `rootJson`: root
 * rotations, timestamp, snapshot, targets with delegations, then the target's length
 * and hashes. Returns the verified target bytes; anything else is a TufRepositoryError.
 */
export function verifiedTarget(files: MirrorFiles, rootJson: Buffer, req: TargetRequest): Buffer {
  const store = step('TUF_ROOT_INVALID', 'the initial root', () => new (tufDeps().TrustedMetadataStore)(rootJson));
  // 5.3: every newer root present, each signed by the previous one and by itself.
  for (let v = store.root.signed.version + 1; v <= store.root.signed.version + MAX_ROOT_ROTATIONS; v++) {
    const data = files.get(`${v}.root.json`);
    if (!data) break;
    step('TUF_VERIFY_FAILED', `${v}.root.json`, () => store.updateRoot(data));
  }
  step('TUF_VERIFY_FAILED', 'timestamp.json', () => store.updateTimestamp(need(files, 'timestamp.json')));
  const consistent = store.root.signed.consistentSnapshot;
  const snapshotVersion = store.timestamp!.signed.snapshotMeta.version;
  const snapshotFile = consistent ? `${snapshotVersion}.snapshot.json` : 'snapshot.json';
  step('TUF_VERIFY_FAILED', snapshotFile, () => store.updateSnapshot(need(files, snapshotFile)));

  const info = findTarget(store, files, req.target);
  if (!info) throw new TufRepositoryError('TUF_FILE_MISSING', `target ${req.target} is not listed in the TUF targets metadata`);
  const file = posix.join(req.targets.replace(/^\/+|\/+$/g, '') || '.', consistent ? hashPrefixed(info) : info.path);
  const data = need(files, file);
  // 5.7.3: the same length and hash check as TargetFile.verify, on bytes in hand.
  step('TUF_VERIFY_FAILED', file, () => new (tufDeps().MetaFile)({ version: 1, length: info.length, hashes: info.hashes }).verify(data));
  return data;
}

/** 5.6.7: preorder depth-first walk of the delegations, as tuf-js's Updater. */
function findTarget(store: TrustedMetadataStore, files: MirrorFiles, target: string): TargetFile | undefined {
  const toVisit = [{ role: 'targets', parent: 'root' }];
  const visited = new Set<string>();
  while (visited.size <= MAX_DELEGATIONS && toVisit.length > 0) {
    const { role, parent } = toVisit.pop()!;
    if (visited.has(role)) continue;
    const targets = loadTargets(store, files, role, parent);
    const found = targets.targets[target];
    if (found) return found;
    visited.add(role);
    const children = [];
    for (const { role: child, terminating } of targets.delegations?.rolesForTarget(target) ?? []) {
      children.push({ role: child, parent: role });
      if (terminating) {
        toVisit.splice(0);
        break;
      }
    }
    toVisit.push(...children.reverse());
  }
  return undefined;
}

function loadTargets(store: TrustedMetadataStore, files: MirrorFiles, role: string, parent: string): Targets {
  const known = store.getRole(role);
  if (known) return known.signed;
  const meta = store.snapshot!.signed.meta[`${role}.json`];
  if (!meta) throw new TufRepositoryError('TUF_VERIFY_FAILED', `${role}.json is not listed in the snapshot`);
  const name = encodeURIComponent(role);
  const file = store.root.signed.consistentSnapshot ? `${meta.version}.${name}.json` : `${name}.json`;
  step('TUF_VERIFY_FAILED', file, () => store.updateDelegatedTargets(need(files, file), role, parent));
  return store.getRole(role)!.signed;
}

function hashPrefixed(info: TargetFile): string {
  const { dir, base } = posix.parse(info.path);
  const name = `${Object.values(info.hashes)[0]}.${base}`;
  return dir ? `${dir}/${name}` : name;
}

function need(files: MirrorFiles, file: string): Buffer {
  const data = files.get(file);
  if (!data) throw new TufRepositoryError('TUF_FILE_MISSING', `${file} is missing from the repository`);
  return data;
}

/** Runs one tuf-js check, naming the file it was about when it refuses. */
function step<T>(code: TufRepositoryErrorCode, what: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof TufRepositoryError) throw err;
    const e = err as Error;
    const kind = e.constructor.name !== 'Error' ? `${e.constructor.name}: ` : '';
    throw new TufRepositoryError(code, `TUF verification failed at ${what}: ${kind}${e.message}`, { cause: err });
  }
}
