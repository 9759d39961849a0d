// A throw-away GnuPG home holding exactly the public keys a rule trusts, each trusted
// ultimately: Argo CD's "simple trust model" (an imported key is trusted) and Flux's (any key of
// the Secret verifies). An SSH allowed-signers file beside it for SSH signatures.

import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { primaryKeys } from '../verify/commit/parse.js';

export interface PublicKeyFile {
  /** Where it came from, for messages: a file, `Secret ns/name key.asc`, a ConfigMap entry. */
  name: string;
  data: Buffer;
}

export interface Keyring {
  /** GNUPGHOME for git and gpg. */
  home: string;
  /** The allowed signers file (`gpg.ssh.allowedSignersFile`), when SSH keys were given. */
  allowedSigners?: string;
  /** Long key ID of every imported key and subkey → its primary fingerprint. */
  primaries: ReadonlyMap<string, string>;
  cleanup(): Promise<void>;
}

export class KeyringError extends Error {}

export async function createKeyring(pgp: readonly PublicKeyFile[], ssh: { allowedSigners?: string; authorizedKeys?: readonly PublicKeyFile[] } = {}): Promise<Keyring> {
  const home = await mkdtemp(path.join(tmpdir(), 'verify-images-gnupg-'));
  await chmod(home, 0o700);
  const cleanup = () => rm(home, { recursive: true, force: true });
  try {
    const gpg = (args: string[], input?: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const child = execFile('gpg', ['--batch', '--no-tty', '--homedir', home, ...args], { encoding: 'buffer', maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
          err ? reject(new KeyringError(String(stderr).trim().split('\n').at(-1) ?? err.message)) : resolve(String(stdout)),
        );
        child.stdin?.end(input);
      });
    for (const key of pgp) {
      try {
        await gpg(['--import'], key.data);
      } catch (err) {
        throw new KeyringError(`cannot import the OpenPGP public key ${key.name}: ${(err as Error).message}`);
      }
    }
    const colons = pgp.length > 0 ? await gpg(['--list-keys', '--with-colons']) : '';
    const primaries = primaryKeys(colons);
    const owners = [...new Set(primaries.values())].map((fpr) => `${fpr}:6:\n`).join('');
    if (owners) await gpg(['--import-ownertrust'], Buffer.from(owners));
    let allowedSigners = ssh.allowedSigners;
    if (!allowedSigners && ssh.authorizedKeys?.length) {
      // authorized_keys lines (Flux `.sshpub`) as allowed signers for any principal.
      const lines = ssh.authorizedKeys.flatMap((k) => k.data.toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => `* ${l.slice(Math.max(0, l.search(/(ssh-|ecdsa-|sk-)/)))}`));
      allowedSigners = path.join(home, 'allowed_signers');
      await writeFile(allowedSigners, `${lines.join('\n')}\n`);
    }
    return { home, ...(allowedSigners && { allowedSigners }), primaries, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}


/** `--gpg-keys`: a directory or file of OpenPGP public keys (armored or binary), or Argo CD's argocd-gpg-keys-cm ConfigMap. */
export async function readGpgKeys(where: string): Promise<PublicKeyFile[]> {
  let files: string[];
  try {
    files = (await stat(where)).isDirectory() ? (await readdir(where)).filter((f) => !f.startsWith('.')).map((f) => path.join(where, f)) : [where];
  } catch {
    throw new KeyringError(`--gpg-keys ${where}: no such file or directory`);
  }
  const out: PublicKeyFile[] = [];
  for (const file of files.sort()) {
    const data = await readFile(file);
    const text = data.toString('utf8');
    if (/\.(ya?ml|json)$/.test(file) && /kind:\s*ConfigMap|"kind":\s*"ConfigMap"/.test(text)) {
      for (const doc of parseAllDocuments(text)) {
        const cm = doc.toJS() as { kind?: string; data?: Record<string, string> } | null;
        if (cm?.kind !== 'ConfigMap') continue;
        for (const [id, armored] of Object.entries(cm.data ?? {})) out.push({ name: `${file} ${id}`, data: Buffer.from(armored) });
      }
    } else out.push({ name: file, data });
  }
  return out;
}
