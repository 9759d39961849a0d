// Test/demo/bench tooling: runs a real CNCF distribution registry (Debian's
// `docker-registry` 2.8 binary) on a free 127.0.0.1 port. Never used by the CLI.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StartRegistryOptions {
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { certificate: string; key: string };
  /** Basic auth with these users (username → password), via an htpasswd (bcrypt) file. */
  htpasswd?: Record<string, string>;
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`: use as `Repository.registry`. */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Filesystem storage root (for tests that tamper with stored blobs). */
  storageDir: string;
  /** Access-log lines: one per HTTP request the registry served. */
  accessLog(): string[];
  requestCount(): number;
  stop(): Promise<void>;
}

/** The registry binary is missing and could not be installed (tests may skip on this). */
export class RegistryUnavailableError extends Error {
  readonly code = 'REGISTRY_UNAVAILABLE';
}

const CANDIDATES = ['/usr/bin/docker-registry', '/usr/sbin/docker-registry'];

let installing: Promise<string> | undefined;

/** Path of the docker-registry binary, installing Debian's package when root and missing. */
export function findRegistryBinary(): Promise<string> {
  const found = whichRegistry();
  if (found) return Promise.resolve(found);
  return (installing ??= Promise.resolve().then(() => {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const hint = 'install the CNCF distribution registry: `apt-get install docker-registry` (Debian/Ubuntu) or put `docker-registry` on PATH';
    if (!isRoot) throw new RegistryUnavailableError(`docker-registry binary not found; ${hint}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'docker-registry'], { env, stdio: 'ignore' });
    try {
      try {
        install();
      } catch {
        execFileSync('apt-get', ['update'], { env, stdio: 'ignore' });
        install();
      }
    } catch (err) {
      throw new RegistryUnavailableError(`docker-registry could not be installed; ${hint}`, { cause: err });
    }
    const path = whichRegistry();
    if (!path) throw new RegistryUnavailableError(`docker-registry still missing after install; ${hint}`);
    return path;
  }));
}

function whichRegistry(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    if (existsSync(join(dir, 'docker-registry'))) return join(dir, 'docker-registry');
  }
  return CANDIDATES.find((p) => existsSync(p));
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const binary = await findRegistryBinary();
  const dir = await mkdtemp(join(tmpdir(), 'kvi-registry-'));
  const storageDir = join(dir, 'storage');
  await mkdir(storageDir);
  let authBlock = '';
  if (opts.htpasswd) {
    const path = join(dir, 'htpasswd');
    await writeFile(path, await htpasswdFile(opts.htpasswd));
    authBlock = `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${path}\n`;
  }
  let tlsBlock = '';
  if (opts.tls) {
    await writeFile(join(dir, 'tls.crt'), opts.tls.certificate);
    await writeFile(join(dir, 'tls.key'), opts.tls.key);
    tlsBlock = `  tls:\n    certificate: ${join(dir, 'tls.crt')}\n    key: ${join(dir, 'tls.key')}\n`;
  }
  // A free port can be taken between probe and bind; try a few.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const config = join(dir, 'config.yml');
    await writeFile(
      config,
      [
        'version: 0.1',
        'log:',
        '  level: warn',
        '  accesslog:',
        '    disabled: false',
        'storage:',
        '  filesystem:',
        `    rootdirectory: ${storageDir}`,
        '  delete:',
        '    enabled: true',
        '  maintenance:',
        '    uploadpurging:',
        '      enabled: false',
        'http:',
        `  addr: ${host}`,
        '',
      ].join('\n') + tlsBlock + authBlock,
    );
    const child = spawn(binary, ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    let stderr = '';
    collectLines(child, log, (line) => (stderr = (stderr + line + '\n').slice(-4000)));
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    try {
      // A TLS port answers a plain-HTTP probe with 400: enough to know it listens.
      await waitUntilUp(`http://${host}/v2/?${READINESS_PROBE}`, child, opts.tls ? [400] : []);
    } catch (err) {
      process.removeListener('exit', kill);
      child.kill('SIGKILL');
      if (attempt < 3 && /address already in use/.test(stderr)) continue;
      await rm(dir, { recursive: true, force: true });
      throw new Error(`docker-registry did not start: ${(err as Error).message}\n${stderr}`);
    }
    // Probe lines may still be arriving: recognise them by their marker rather than by count.
    const served = () => log.filter((line) => !line.includes(READINESS_PROBE));
    return {
      host,
      url: `${opts.tls ? 'https' : 'http'}://${host}`,
      storageDir,
      accessLog: served,
      requestCount: () => served().length,
      async stop() {
        process.removeListener('exit', kill);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}

/** distribution writes its access log (combined format) to stdout; app logs go to stderr. */
function collectLines(child: ChildProcess, access: string[], onStderr: (line: string) => void): void {
  let pending = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (/"[A-Z]+ \S+ HTTP\/[\d.]+"/.test(line)) access.push(line);
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line) onStderr(line);
  });
}

/** Marks the readiness probes in the access log, so they are never counted as requests. */
const READINESS_PROBE = 'kvi-readiness-probe';

async function waitUntilUp(url: string, child: ChildProcess, alsoUp: number[] = []): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401 || alsoUp.includes(res.status)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting for /v2/');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function htpasswdFile(users: Record<string, string>): Promise<string> {
  // bcryptjs is a devDependency: loaded only when a test asks for auth.
  const bcrypt = (await import('bcryptjs')).default;
  return Object.entries(users)
    .map(([user, password]) => `${user}:${bcrypt.hashSync(password, 6)}`)
    .join('\n') + '\n';
}
