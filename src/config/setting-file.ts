// A file a flag or an environment variable names (--registry-ca, --vsa-key, VERIFY_IMAGES_CACHE_CA):
// read whole, or a configuration error (exit 2) that names the setting and says why in words.

import { readFile } from 'node:fs/promises';
import { ConfigError } from './load.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file',
  EISDIR: 'it is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** `label` is how the user named it, e.g. `--registry-ca ca.pem` or `VERIFY_IMAGES_CACHE_CA=/etc/ca.pem`. */
export async function readSettingFile(label: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new ConfigError(`${label}: cannot read it (${REASONS[code] ?? (code || (err as Error).message)})`);
  }
}
