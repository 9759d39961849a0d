// Docker-style credentials: config.json `auths`, `credHelpers`, `credsStore`.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseFailure } from '../config/parse-error.js';
import { RegistryError, type Credential, type CredentialStore } from './types.js';

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

const DOCKER_HUB = 'index.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
/** The server URL docker uses for Docker Hub in config files and helpers. */
const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

/** `https://index.docker.io/v1/` → `index.docker.io`; `https://ghcr.io` → `ghcr.io`; Hub aliases folded. */
export function normalizeServer(key: string): string {
  const host = key.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** The server URL to hand a credential helper for `host`. */
export function helperServerUrl(host: string): string {
  return normalizeServer(host) === DOCKER_HUB ? DOCKER_HUB_SERVER : host;
}

/** Credentials from one `auths` entry (pure). */
export function fromAuthEntry(entry: NonNullable<DockerConfig['auths']>[string]): Credential | undefined {
  if (entry.identitytoken) return { username: entry.username, identityToken: entry.identitytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}

/** Runs `docker-credential-<name> get` with the server URL on stdin. */
export function runCredentialHelper(name: string, serverUrl: string, env: NodeJS.ProcessEnv): Promise<Credential | undefined> {
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${name}`, ['get'], { env, timeout: 30_000 }, (err, stdout) => {
      // Helpers exit non-zero for "credentials not found"; a helper missing from PATH
      // (a laptop config copied into CI) is treated the same: try anonymous access.
      if (err) return resolve(undefined);
      try {
        const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!out.Secret) return resolve(undefined);
        // docker convention: Username "<token>" means Secret is an identity (refresh) token.
        resolve(out.Username === '<token>' ? { identityToken: out.Secret } : { username: out.Username, password: out.Secret });
      } catch {
        resolve(undefined);
      }
    });
    child.stdin?.end(serverUrl);
  });
}

/**
 * A CredentialStore over `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
 * The file is read lazily, once; helper answers are cached per host.
 */
export function loadCredentialStore(env: NodeJS.ProcessEnv = process.env): CredentialStore {
  const dir = env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker');
  let config: Promise<DockerConfig> | undefined;
  const answers = new Map<string, Promise<Credential | undefined>>();

  const file = join(dir, 'config.json');
  const readConfig = (): Promise<DockerConfig> =>
    (config ??= readFile(file, 'utf8').then(
      (text) => {
        try {
          return JSON.parse(text) as DockerConfig;
        } catch {
          throw new RegistryError('AUTH', parseFailure('docker config', file, text, true));
        }
      },
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return {};
        throw new RegistryError('AUTH', `cannot read docker config ${file}: ${err.code ?? err.message}`);
      },
    ));

  async function lookup(host: string): Promise<Credential | undefined> {
    const cfg = await readConfig();
    const wanted = normalizeServer(host);
    const helper = Object.entries(cfg.credHelpers ?? {}).find(([k]) => normalizeServer(k) === wanted)?.[1];
    const store = helper ?? cfg.credsStore;
    if (store) {
      const found = await runCredentialHelper(store, helperServerUrl(host), env);
      if (found) return { ...found, source: `credential helper docker-credential-${store} (from ${file})` };
    }
    const entry = Object.entries(cfg.auths ?? {}).find(([k]) => normalizeServer(k) === wanted)?.[1];
    const found = entry ? fromAuthEntry(entry) : undefined;
    return found && { ...found, source: `docker config ${file} (auths)` };
  }

  return {
    where: () => `docker config ${file}`,
    get(host: string) {
      const key = normalizeServer(host);
      let answer = answers.get(key);
      if (!answer) answers.set(key, (answer = lookup(host)));
      return answer;
    },
  };
}
