// Reads the policy files named by --policy / the config / .verify-images/.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './load.js';

const POLICY_FILE = /\.(ya?ml|json)$/i;

export interface PolicyFiles {
  files: { file: string; text: string }[];
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
  const texts = await Promise.all(
    files.map(async (file) => ({
      file,
      text: await readFile(file, 'utf8').catch((e: Error) => {
        throw new ConfigError(`cannot read policy file ${file}: ${e.message}`);
      }),
    })),
  );
  return { files: texts, ignored };
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
