// The registry client as the user's settings describe it: insecure hosts, an extra CA file, the
// docker config's credentials (unless others are given). One place for verify, `--publish-vsa` and
// `test --record`.

import { readSettingFile } from '../config/setting-file.js';
import { createRegistryClient, type RegistryOptions, type StatsRegistryClient } from './client.js';
import { loadCredentialStore } from './credentials.js';

export interface RegistrySettings extends Omit<RegistryOptions, 'registryCa'> {
  /** A PEM file of extra CA certificates (`--registry-ca`). */
  registryCaFile?: string;
  env: NodeJS.ProcessEnv;
}

export async function registryClientFor({ registryCaFile, env, ...opts }: RegistrySettings): Promise<StatsRegistryClient> {
  return createRegistryClient({
    ...opts,
    ...(registryCaFile && { registryCa: await readSettingFile(`--registry-ca ${registryCaFile}`, registryCaFile) }),
    credentials: opts.credentials ?? loadCredentialStore(env),
  });
}
