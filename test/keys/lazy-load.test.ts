// Heavy clients load only when a policy uses their scheme: a child process records
// every module it resolves (module.register hook) while resolving one key. Uses the
// built dist/ (npm test builds it in pretest); the servers are FAKES (Vault, AWS KMS).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { startFakeAwsKms, startFakeVault } from '../../src/testkit/fake-kms.js';

const exec = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const resolveJs = path.join(root, 'dist/keys/resolve.js');
const runJs = path.join(root, 'dist/engine/run.js');
const skip = !existsSync(resolveJs) ? 'dist/ is not built (npm test builds it in pretest)' : false;

const HEAVY = ['@kubernetes/client-node', '@aws-sdk/client-kms', 'google-auth-library', '@azure/identity'];

/** Modules (package names under node_modules) loaded by a child that runs `body`. */
async function loadedPackages(t: { teardown: (fn: () => unknown) => void }, body: string, env: Record<string, string> = {}): Promise<Set<string>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kvi-lazy-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'loaded.txt');
  await writeFile(log, '');
  await writeFile(
    path.join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`,
  );
  await writeFile(
    path.join(dir, 'child.mjs'),
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\n${body}\n`,
  );
  await exec(process.execPath, [path.join(dir, 'child.mjs')], { env: { PATH: process.env.PATH, HOME: dir, ...env }, cwd: root });
  const urls = (await readFile(log, 'utf8')).split('\n');
  return new Set(HEAVY.filter((p) => urls.some((u) => u.includes(`/node_modules/${p}/`))));
}

t.test('importing the engine loads no cluster or cloud client', { skip }, async (t) => {
  const loaded = await loadedPackages(t, `await import(${JSON.stringify(pathToFileURL(runJs).href)});`);
  t.same([...loaded], []);
});

t.test('a hashivault:// key loads no SDK at all; an awskms:// key loads only the AWS SDK', { skip }, async (t) => {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  const vault = await startFakeVault({ token: 's.t', keys: { k: [key] } });
  const aws = await startFakeAwsKms({ keys: { 'alias/k': key } });
  t.teardown(() => Promise.all([vault.stop(), aws.stop()]));
  const resolveUrl = JSON.stringify(pathToFileURL(resolveJs).href);
  const viaVault = await loadedPackages(
    t,
    `const { resolveKeyReference } = await import(${resolveUrl});\nconst keys = await resolveKeyReference({ type: 'kms', uri: 'hashivault://k' });\nif (keys.length !== 1) process.exit(5);`,
    { VAULT_ADDR: vault.url, VAULT_TOKEN: 's.t' },
  );
  t.same([...viaVault], []);
  const viaAws = await loadedPackages(
    t,
    `const { resolveKeyReference } = await import(${resolveUrl});\nconst keys = await resolveKeyReference({ type: 'kms', uri: 'awskms:///alias/k' });\nif (keys.length !== 1) process.exit(5);`,
    { AWS_ENDPOINT_URL_KMS: aws.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'x' },
  );
  t.same([...viaAws], ['@aws-sdk/client-kms']);
});
