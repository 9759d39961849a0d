// Test/bench tooling: runs a real `redis-server` (Debian's package, installed by
// scripts/ensure-test-packages.mjs) on a free 127.0.0.1 port, no persistence. Never used by the CLI.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from './registry-server.js';

export interface TestRedis {
  /** `redis://127.0.0.1:PORT` (`rediss://` with TLS; with the password when one was asked for). */
  url: string;
  port: number;
  /** Stops the server (tests of a store that goes away mid-run). */
  stop(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  readonly code = 'REDIS_UNAVAILABLE';
}

const CANDIDATES = ['/usr/bin/redis-server', '/usr/sbin/redis-server'];

export async function startRedis(opts: { password?: string; tls?: { certFile: string; keyFile: string; caFile: string } } = {}): Promise<TestRedis> {
  const binary = CANDIDATES.find((p) => existsSync(p));
  if (!binary) throw new RedisUnavailableError('redis-server not found (apt-get install redis-server; npm test installs it when root)');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'];
    // TLS only: the plain port is closed, so a client that does not speak TLS gets nowhere.
    if (opts.tls) args.push('--port', '0', '--tls-port', String(port), '--tls-cert-file', opts.tls.certFile, '--tls-key-file', opts.tls.keyFile, '--tls-ca-cert-file', opts.tls.caFile, '--tls-auth-clients', 'no');
    else args.push('--port', String(port));
    if (opts.password) args.push('--requirepass', opts.password);
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output = (output + c).slice(-4000)));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output = (output + c).slice(-4000)));
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    try {
      await waitForPort(port, () => child.exitCode !== null);
    } catch (err) {
      process.removeListener('exit', kill);
      child.kill('SIGKILL');
      if (attempt < 3 && /already in use/i.test(output)) continue;
      throw new Error(`redis-server did not start: ${(err as Error).message}\n${output}`);
    }
    const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
    return {
      url: `${opts.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
      port,
      async stop() {
        process.removeListener('exit', kill);
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      },
    };
  }
}

async function waitForPort(port: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error('exited');
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error('timed out waiting for the port');
}
