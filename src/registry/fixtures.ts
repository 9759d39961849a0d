// Recorded registry exchanges for `verify-images test`: what the verdicts needed, written once
// against the real registries (`--record`) and served back offline by the same RegistryClient
// interface, so tests run the real verification code.
//
// Layout of a fixtures directory (stable, reviewable diffs; small files):
//   registry.json        tags → digests, which manifests / referrers were asked for, what was absent
//   blobs/sha256/<hex>   manifests and blobs, content-addressed (checked again on replay)
//   trusted_root.json    the Sigstore trusted root the keyless checks used, when they did
// Only bodies are recorded: never a header, token or credential.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import path from 'node:path';
import { checkDigest, digestOf, isDigest } from './digest.js';
import { parseJson } from './referrers.js';
import type { Descriptor, FetchedManifest, RegistryClient, Repository } from './types.js';
import { RegistryError } from './types.js';

export const FIXTURE_VERSION = 1;

export interface FixtureIndex {
  version: number;
  /** `host/repo:tag` → the manifest descriptor it resolved to. */
  tags: Record<string, Descriptor>;
  /** `host/repo@digest` → the descriptor (resolves by digest). */
  descriptors: Record<string, Descriptor>;
  /** `host/repo:ref` or `host/repo@digest` → the manifest's digest and media type (bytes under blobs/). */
  manifests: Record<string, { digest: string; mediaType: string }>;
  /** Blobs read, by `host/repo@digest` (bytes under blobs/). */
  blobs: string[];
  /** `host/repo@digest[#artifactType]` → the referrers listed. */
  referrers: Record<string, Descriptor[]>;
  /** Manifests the registry did not have (`host/repo:ref`): replayed as 404. */
  absent: string[];
}

const name = (repo: Repository, ref: string) => `${repo.registry}/${repo.repository}${isDigest(ref) ? '@' : ':'}${ref}`;
const blobFile = (dir: string, digest: string) => path.join(dir, 'blobs', ...digest.split(':'));

export function emptyIndex(): FixtureIndex {
  return { version: FIXTURE_VERSION, tags: {}, descriptors: {}, manifests: {}, blobs: [], referrers: {}, absent: [] };
}

export function readIndex(dir: string): FixtureIndex | undefined {
  const file = path.join(dir, 'registry.json');
  if (!existsSync(file)) return undefined;
  const doc = JSON.parse(readFileSync(file, 'utf8')) as FixtureIndex;
  if (doc.version !== FIXTURE_VERSION) throw new Error(`${file}: fixture version ${doc.version} is not ${FIXTURE_VERSION} (record again)`);
  return { ...emptyIndex(), ...doc };
}

/** A registry served from fixtures: no network; a request they do not hold is "not recorded". */
export function replayRegistry(dir: string): RegistryClient {
  const index = readIndex(dir) ?? emptyIndex();
  const absent = new Set(index.absent);
  const blobs = new Set(index.blobs);
  const missing = (what: string) => new RegistryError('NOT_FOUND', `not recorded: ${what} (record the fixtures again: verify-images test --record)`);
  const bytes = (digest: string, what: string): Uint8Array => {
    const file = blobFile(dir, digest);
    if (!existsSync(file)) throw missing(`${what} (${digest})`);
    // An edited fixture is caught here, as an edited registry response would be.
    const body = readFileSync(file);
    try {
      checkDigest(body, digest, `fixture ${path.relative(process.cwd(), file) || file}`);
    } catch (err) {
      throw new RegistryError('DIGEST_MISMATCH', `${(err as Error).message}: the fixture was changed after it was recorded (record the fixtures again: verify-images test --record)`);
    }
    return body;
  };
  const manifest = async (repo: Repository, ref: string): Promise<FetchedManifest | null> => {
    const key = name(repo, ref);
    if (absent.has(key)) return null;
    const m = index.manifests[key];
    if (!m) throw missing(`manifest ${key}`);
    const body = bytes(m.digest, `manifest ${key}`);
    return { digest: m.digest, mediaType: m.mediaType, bytes: body, json: parseJson(body, `manifest ${key}`) };
  };
  return {
    async resolve(repo, ref) {
      const key = name(repo, ref);
      const d = isDigest(ref) ? index.descriptors[key] : index.tags[key];
      if (d) return d;
      if (absent.has(key)) throw new RegistryError('NOT_FOUND', `${key} not found`, { status: 404 });
      const m = index.manifests[key];
      if (m) return { mediaType: m.mediaType, digest: m.digest, size: bytes(m.digest, `manifest ${key}`).byteLength };
      throw missing(`${key}`);
    },
    manifest,
    async blob(repo, digest) {
      const key = `${repo.registry}/${repo.repository}@${digest}`;
      if (!blobs.has(key)) throw missing(`blob ${key}`);
      return bytes(digest, `blob ${key}`);
    },
    async referrers(repo, digest, artifactType) {
      const key = `${repo.registry}/${repo.repository}@${digest}${artifactType ? `#${artifactType}` : ''}`;
      const found = index.referrers[key];
      if (!found) throw missing(`referrers of ${key}`);
      return found;
    },
  };
}

/** A registry that records every answer of `inner` into `session` (shared by the tests of one fixtures directory). */
export function recordingRegistry(inner: RegistryClient, session: RecordingSession): RegistryClient {
  const { index } = session;
  return {
    async resolve(repo, ref) {
      try {
        const d = await inner.resolve(repo, ref);
        const plain = { mediaType: d.mediaType, digest: d.digest, size: d.size };
        if (isDigest(ref)) index.descriptors[name(repo, ref)] = plain;
        else index.tags[name(repo, ref)] = plain;
        return d;
      } catch (err) {
        if (err instanceof RegistryError && err.code === 'NOT_FOUND') session.absent.add(name(repo, ref));
        throw err;
      }
    },
    async manifest(repo, ref) {
      const m = await inner.manifest(repo, ref);
      if (!m) session.absent.add(name(repo, ref));
      else {
        index.manifests[name(repo, ref)] = { digest: m.digest, mediaType: m.mediaType };
        session.put(m.digest, m.bytes);
      }
      return m;
    },
    async blob(repo, digest) {
      const b = await inner.blob(repo, digest);
      session.blobs.add(`${repo.registry}/${repo.repository}@${digest}`);
      session.put(digest, b);
      return b;
    },
    async referrers(repo, digest, artifactType) {
      const list = await inner.referrers(repo, digest, artifactType);
      index.referrers[`${repo.registry}/${repo.repository}@${digest}${artifactType ? `#${artifactType}` : ''}`] = list;
      return list;
    },
  };
}

export interface RecordingSession {
  dir: string;
  index: FixtureIndex;
  absent: Set<string>;
  blobs: Set<string>;
  content: Map<string, Uint8Array>;
  trustedRootJson?: string;
  put(digest: string, bytes: Uint8Array): void;
}

export function startRecording(dir: string): RecordingSession {
  const content = new Map<string, Uint8Array>();
  return {
    dir,
    index: emptyIndex(),
    absent: new Set(),
    blobs: new Set(),
    content,
    put(digest, bytes) {
      if (digestOf(bytes, digest) === digest) content.set(digest, bytes);
    },
  };
}

export interface WriteReport {
  files: number;
  bytes: number;
  added: number;
  removed: number;
  unchanged: number;
}

/**
 * Writes the session: registry.json sorted (stable diffs), new blobs added, blobs no longer used
 * removed, unchanged ones untouched. Each file is written atomically.
 */
export function writeRecording(session: RecordingSession): WriteReport {
  const { dir } = session;
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  const index: FixtureIndex = {
    ...session.index,
    blobs: [...session.blobs].sort(),
    absent: [...session.absent].sort(),
  };
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const doc = {
    version: index.version,
    tags: sorted(index.tags),
    descriptors: sorted(index.descriptors),
    manifests: sorted(index.manifests),
    blobs: index.blobs,
    referrers: sorted(index.referrers),
    absent: index.absent,
  };
  atomicWrite(path.join(dir, 'registry.json'), `${JSON.stringify(doc, null, 1)}\n`);
  if (session.trustedRootJson !== undefined) atomicWrite(path.join(dir, 'trusted_root.json'), session.trustedRootJson);
  let added = 0;
  let unchanged = 0;
  for (const [digest, bytes] of session.content) {
    const file = blobFile(dir, digest);
    if (existsSync(file) && digestOf(readFileSync(file), digest) === digest) {
      unchanged++;
      continue;
    }
    mkdirSync(path.dirname(file), { recursive: true });
    atomicWrite(file, bytes);
    added++;
  }
  let removed = 0;
  for (const alg of existsSync(path.join(dir, 'blobs')) ? readdirSync(path.join(dir, 'blobs')) : []) {
    for (const hex of readdirSync(path.join(dir, 'blobs', alg))) {
      if (!session.content.has(`${alg}:${hex}`)) {
        rmSync(path.join(dir, 'blobs', alg, hex));
        removed++;
      }
    }
  }
  let files = 0;
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        files++;
        total += statSync(p).size;
      }
    }
  };
  walk(dir);
  return { files, bytes: total, added, removed, unchanged };
}

function atomicWrite(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
