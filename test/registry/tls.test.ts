// HTTPS registries: the real registry serving TLS with a private CA, reached by the
// certificate's name (a `resolve` override maps it to 127.0.0.1, like curl --resolve).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createRegistryClient } from '../../src/registry/client.js';
import { RegistryError } from '../../src/registry/types.js';
import { startRegistry } from '../../src/testkit/registry-server.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-tls-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test registry CA');
ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=registry.test');
await writeFile(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:registry.test\nextendedKeyUsage=serverAuth\n');
ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf');
const ca = await readFile(path.join(dir, 'ca.crt'), 'utf8');

const registry = await startRegistry({
  tls: { certificate: await readFile(path.join(dir, 'server.crt'), 'utf8'), key: await readFile(path.join(dir, 'server.key'), 'utf8') },
});
t.teardown(() => registry.stop());
const port = registry.host.split(':')[1];
const repo = { registry: `registry.test:${port}`, repository: 'nothing/here' };
const resolve = { 'registry.test': '127.0.0.1' };

t.test('--registry-ca: TLS verified with the extra CA', async (t) => {
  const client = createRegistryClient({ registryCa: ca, resolve, retries: 0 });
  t.teardown(() => client.close());
  // Reaching "not found" proves the TLS handshake and the API call succeeded.
  await t.rejects(client.resolve(repo, '1.0'), { code: 'NOT_FOUND' });
});

t.test('without the CA the certificate is refused (an error, never plain HTTP)', async (t) => {
  const client = createRegistryClient({ resolve, retries: 0 });
  t.teardown(() => client.close());
  const err = await client.resolve(repo, '1.0').catch((e: unknown) => e);
  t.type(err, RegistryError);
  t.equal((err as RegistryError).code, 'NETWORK');
  t.match((err as Error).message, /--registry-ca/, 'the message says what to do');
  t.equal(client.stats().requests, 1, 'no retry over plain HTTP');
});

t.test('--insecure-registry skips verification', async (t) => {
  const client = createRegistryClient({ insecureRegistries: [`registry.test:${port}`], resolve, retries: 0 });
  t.teardown(() => client.close());
  await t.rejects(client.resolve(repo, '1.0'), { code: 'NOT_FOUND' });
});
