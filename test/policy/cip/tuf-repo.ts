// Test-only TUF repository writer: real ed25519 signatures over TUF's canonical
// JSON (node:crypto + @sigstore/core's canonicalize), independent of the tuf-js
// code under test, and a tar.gz in policy-controller's `mirrorFS` layout.

import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { json } from '@sigstore/core';
import { c as tarCreate } from 'tar';

export interface TufKey {
  id: string;
  json: { keytype: 'ed25519'; scheme: 'ed25519'; keyval: { public: string } };
  privateKey: KeyObject;
}

export function tufKey(): TufKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const keyJson = { keytype: 'ed25519' as const, scheme: 'ed25519' as const, keyval: { public: raw.toString('hex') } };
  return { id: createHash('sha256').update(json.canonicalize(keyJson)).digest('hex'), json: keyJson, privateKey };
}

/** `{signed, signatures}` with one signature per key over the canonical form of `signed`. */
export function signMetadata(signed: object, keys: TufKey[]): Buffer {
  const bytes = Buffer.from(json.canonicalize(signed));
  const signatures = keys.map((k) => ({ keyid: k.id, sig: sign(null, bytes, k.privateKey).toString('hex') }));
  return Buffer.from(JSON.stringify({ signed, signatures }, null, 2));
}

export interface RepoOptions {
  /** Content of the trusted root target. */
  target: string;
  targetName?: string;
  consistentSnapshot?: boolean;
  /** Directory of targets in the repository (policy-controller `targets`). */
  targetsDir?: string;
  timestampExpires?: Date;
  /** Target bytes written to the repository instead of the ones hashed in targets.json. */
  servedTarget?: string;
  /** Sign timestamp.json with a key the root does not list. */
  rogueTimestampKey?: boolean;
  /** Add 2.root.json that moves the timestamp role to a new key. */
  rotateTimestampKey?: boolean;
  /** List the target in a delegated role `sigstore` instead of top-level targets. */
  delegate?: boolean;
}

export interface Repo {
  /** The initial trusted root.json (policy-controller `root`). */
  root: Buffer;
  /** Paths relative to the repository directory → bytes. */
  files: Map<string, Buffer>;
}

const SPEC = '1.0.31';
const inAYear = (): Date => new Date(Date.now() + 365 * 24 * 3600 * 1000);
const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function buildRepo(opts: RepoOptions): Repo {
  const consistent = opts.consistentSnapshot ?? true;
  const targetName = opts.targetName ?? 'trusted_root.json';
  const targetsDir = opts.targetsDir ?? 'targets';
  const expires = iso(inAYear());
  const [rootKey, timestampKey, snapshotKey, targetsKey, delegateKey, newTimestampKey] = Array.from({ length: 6 }, tufKey);
  const role = (k: TufKey): { keyids: string[]; threshold: number } => ({ keyids: [k!.id], threshold: 1 });
  const rootSigned = (version: number, ts: TufKey) => ({
    _type: 'root',
    spec_version: SPEC,
    version,
    expires,
    consistent_snapshot: consistent,
    keys: Object.fromEntries([rootKey!, ts, snapshotKey!, targetsKey!].map((k) => [k.id, k.json])),
    roles: { root: role(rootKey!), timestamp: role(ts), snapshot: role(snapshotKey!), targets: role(targetsKey!) },
  });
  const files = new Map<string, Buffer>();
  const root = signMetadata(rootSigned(1, timestampKey!), [rootKey!]);
  files.set('1.root.json', root);
  let tsKey = timestampKey!;
  if (opts.rotateTimestampKey) {
    tsKey = newTimestampKey!;
    files.set('2.root.json', signMetadata(rootSigned(2, tsKey), [rootKey!]));
  }
  files.set('root.json', files.get(opts.rotateTimestampKey ? '2.root.json' : '1.root.json')!);

  const hashed = Buffer.from(opts.target);
  const entry = { [targetName]: { length: hashed.length, hashes: { sha256: sha256(hashed), sha512: createHash('sha512').update(hashed).digest('hex') } } };
  const meta = (name: string, version: number): string => (consistent ? `${version}.${name}.json` : `${name}.json`);
  const snapshotMeta: Record<string, { version: number }> = { 'targets.json': { version: 1 } };
  const targets: Record<string, unknown> = { _type: 'targets', spec_version: SPEC, version: 1, expires, targets: opts.delegate ? {} : entry };
  if (opts.delegate) {
    targets.delegations = {
      keys: { [delegateKey!.id]: delegateKey!.json },
      roles: [{ name: 'sigstore', keyids: [delegateKey!.id], threshold: 1, terminating: true, paths: ['*.json'] }],
    };
    const delegated = { _type: 'targets', spec_version: SPEC, version: 1, expires, targets: entry };
    files.set(meta('sigstore', 1), signMetadata(delegated, [delegateKey!]));
    snapshotMeta['sigstore.json'] = { version: 1 };
  }
  files.set(meta('targets', 1), signMetadata(targets, [targetsKey!]));
  const snapshot = signMetadata({ _type: 'snapshot', spec_version: SPEC, version: 1, expires, meta: snapshotMeta }, [snapshotKey!]);
  files.set(meta('snapshot', 1), snapshot);
  const timestamp = {
    _type: 'timestamp',
    spec_version: SPEC,
    version: 1,
    expires: iso(opts.timestampExpires ?? inAYear()),
    meta: { 'snapshot.json': { version: 1, length: snapshot.length, hashes: { sha256: sha256(snapshot) } } },
  };
  files.set('timestamp.json', signMetadata(timestamp, [opts.rogueTimestampKey ? tufKey() : tsKey]));

  const served = Buffer.from(opts.servedTarget ?? opts.target);
  const { dir, base } = path.posix.parse(targetName);
  const targetFile = consistent ? path.posix.join(dir, `${sha256(hashed)}.${base}`) : targetName;
  files.set(path.posix.join(targetsDir, targetFile), served);
  return { root, files };
}

/** A tar.gz of `<dir>/repository/...`, as policy-controller's CompressFS writes it. */
export function mirrorTarball(dir: string, files: ReadonlyMap<string, Buffer>): Buffer {
  for (const [name, data] of files) {
    const file = path.join(dir, 'repository', name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
  }
  const pack = tarCreate({ gzip: true, sync: true, cwd: dir, portable: true }, ['repository']);
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  return Buffer.concat(chunks);
}

/** A TrustRoot document with `spec.repository`. */
export function trustRootYaml(name: string, root: Buffer, mirror: Buffer, extra = ''): string {
  return `apiVersion: policy.sigstore.dev/v1alpha1
kind: TrustRoot
metadata:
  name: ${name}
spec:
  repository:
    root: ${root.toString('base64')}
    mirrorFS: ${mirror.toString('base64')}
${extra}`;
}

/** A small valid trusted_root.json with one Rekor key (P-256), and that key's PEM. */
export function trustedRootJson(): { json: string; rekorPem: string } {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const root = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: 'https://rekor.example',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: der.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2020-01-01T00:00:00Z' } },
        logId: { keyId: createHash('sha256').update(der).digest('base64') },
      },
    ],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  return { json: JSON.stringify(root, null, 2), rekorPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}
