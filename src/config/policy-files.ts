// Reads the policy files named by --policy / the config / .verify-images/.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './load.js';

const POLICY_FILE = /\.(ya?ml|json)$/i;

/** Notation trust store certificates beside a trust policy: `ca:name` → files (PEM or DER). */
export type TrustStoreFiles = Map<string, { file: string; bytes: Uint8Array }[]>;

export interface PolicyFiles {
  files: { file: string; text: string }[];
  /** For each Notation trust policy file: the trust stores laid out beside it (`truststore/x509/{ca,signingAuthority,tsa}/<name>/`). */
  trustStores: Map<string, TrustStoreFiles>;
  /** Files in policy directories that no loader reads by name (e.g. `policy.yaml.txt`): named when nothing loads. */
  ignored: string[];
}

/** Every `*.yaml|*.yml|*.json` under the given files and directories, in a stable order. */
export async function readPolicyFiles(paths: string[]): Promise<PolicyFiles> {
  const files: string[] = [];
  const ignored: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => {
      throw new ConfigError(`policy path ${p}: no such file or directory`);
    });
    if (info.isDirectory()) files.push(...(await walk(p, ignored)));
    else files.push(p);
  }
  // notation reads trustpolicy.oci.json when it exists, else trustpolicy.json; blob policies are for blobs.
  const chosen = files.filter((f) => {
    const base = path.basename(f).toLowerCase();
    if (base === 'trustpolicy.blob.json') return false;
    return !(base === 'trustpolicy.json' && files.some((g) => path.dirname(g) === path.dirname(f) && path.basename(g).toLowerCase() === 'trustpolicy.oci.json'));
  });
  const trustStores = new Map<string, TrustStoreFiles>();
  for (const f of chosen) if (isTrustPolicyFile(f)) trustStores.set(f, await readTrustStores(path.join(path.dirname(f), 'truststore', 'x509')));
  const texts = await Promise.all(
    chosen.map(async (file) => ({
      file,
      text: await readFile(file, 'utf8').catch((e: Error) => {
        throw new ConfigError(`cannot read policy file ${file}: ${e.message}`);
      }),
    })),
  );
  const storeFiles = new Set([...trustStores.values()].flatMap((m) => [...m.values()].flatMap((l) => l.map((x) => x.file))));
  return { files: texts, trustStores, ignored: ignored.filter((f) => !storeFiles.has(f)) };
}

export function isTrustPolicyFile(file: string): boolean {
  return /^trustpolicy(\.oci)?\.json$/i.test(path.basename(file));
}

const STORE_TYPES = ['ca', 'signingAuthority', 'tsa'];

/** notation's layout: `<type>/<name>/<certificate files>`; regular files only (no symlinks). */
async function readTrustStores(x509: string): Promise<TrustStoreFiles> {
  const stores: TrustStoreFiles = new Map();
  for (const type of STORE_TYPES) {
    const typeDir = path.join(x509, type);
    const names = await readdir(typeDir, { withFileTypes: true }).catch(() => []);
    for (const name of names) {
      if (!name.isDirectory()) continue;
      const dir = path.join(typeDir, name.name);
      const certs = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).sort((a, b) => a.name.localeCompare(b.name));
      stores.set(
        `${type}:${name.name}`,
        await Promise.all(certs.map(async (e) => ({ file: path.join(dir, e.name), bytes: await readFile(path.join(dir, e.name)) }))),
      );
    }
  }
  return stores;
}

async function walk(dir: string, ignored: string[]): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== '.git') out.push(...(await walk(full, ignored)));
    } else if (POLICY_FILE.test(e.name)) out.push(full);
    else ignored.push(full);
  }
  return out;
}
