import t, { type Test } from 'tap';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fromAuthEntry, helperServerUrl, loadCredentialStore, normalizeServer } from '../../src/registry/credentials.js';

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kvi-creds-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

t.test('server keys and Docker Hub aliases', async (t) => {
  for (const k of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/']) {
    t.equal(normalizeServer(k), 'index.docker.io', k);
  }
  t.equal(normalizeServer('https://ghcr.io'), 'ghcr.io');
  t.equal(normalizeServer('http://localhost:5000/v2/'), 'localhost:5000');
  t.equal(helperServerUrl('registry-1.docker.io'), 'https://index.docker.io/v1/');
  t.equal(helperServerUrl('ghcr.io'), 'ghcr.io');
});

t.test('auths entries', async (t) => {
  t.same(fromAuthEntry({ auth: Buffer.from('me:pa:ss').toString('base64') }), { username: 'me', password: 'pa:ss' });
  t.same(fromAuthEntry({ username: 'me', password: 'pw' }), { username: 'me', password: 'pw' });
  t.same(fromAuthEntry({ identitytoken: 'tok' }), { username: undefined, identityToken: 'tok' });
  t.equal(fromAuthEntry({}), undefined);
});

t.test('config.json from DOCKER_CONFIG, read once', async (t) => {
  const dir = await tempDir(t);
  await writeFile(
    path.join(dir, 'config.json'),
    JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') }, 'ghcr.io': { username: 'g', password: 'h' } } }),
  );
  const store = loadCredentialStore({ DOCKER_CONFIG: dir, PATH: process.env.PATH });
  t.match(await store.get('registry-1.docker.io'), { username: 'hub', password: 'pw', source: `docker config ${path.join(dir, 'config.json')} (auths)` });
  t.match(await store.get('ghcr.io'), { username: 'g', password: 'h' });
  t.equal(await store.get('quay.io'), undefined);
  await writeFile(path.join(dir, 'config.json'), '{}');
  t.same(await loadCredentialStore({ DOCKER_CONFIG: dir }).get('ghcr.io'), undefined, 'a new store re-reads');
  t.match(await store.get('ghcr.io'), { username: 'g', password: 'h' }, 'the old store read the file once');
  t.equal(await loadCredentialStore({ DOCKER_CONFIG: path.join(dir, 'missing') }).get('ghcr.io'), undefined, 'no file: anonymous');
});

/** Writes `docker-credential-test`, which logs its stdin and answers for one server. */
async function writeHelper(dir: string, server: string, answer: object): Promise<string> {
  const log = path.join(dir, 'helper.log');
  const script = path.join(dir, 'docker-credential-test');
  await writeFile(
    script,
    `#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
echo "$server" >> '${log}'
if [ "$server" = '${server}' ]; then echo '${JSON.stringify(answer)}'; exit 0; fi
echo "credentials not found in native keychain"; exit 1
`,
  );
  await chmod(script, 0o755);
  return log;
}

t.test('credHelpers and credsStore run docker-credential-<name> get', async (t) => {
  const dir = await tempDir(t);
  const log = await writeHelper(dir, 'reg.example:5000', { ServerURL: 'reg.example:5000', Username: 'helper-user', Secret: 'helper-secret' });
  const env = { DOCKER_CONFIG: dir, PATH: `${dir}:${process.env.PATH}` };
  await writeFile(path.join(dir, 'config.json'), JSON.stringify({ credHelpers: { 'reg.example:5000': 'test' }, auths: { 'other.example': { auth: Buffer.from('a:b').toString('base64') } } }));
  let store = loadCredentialStore(env);
  t.match(await store.get('reg.example:5000'), { username: 'helper-user', password: 'helper-secret' });
  t.match(await store.get('other.example'), { username: 'a', password: 'b' }, 'hosts without a helper use auths');
  t.equal((await readFile(log, 'utf8')).trim(), 'reg.example:5000', 'server URL on stdin; helper only for its host');

  await writeFile(path.join(dir, 'config.json'), JSON.stringify({ credsStore: 'test', auths: { 'reg.example:5000': {} } }));
  store = loadCredentialStore(env);
  t.match(await store.get('reg.example:5000'), { username: 'helper-user', password: 'helper-secret' });
  t.equal(await store.get('unknown.example'), undefined, 'helper says not found');
  t.equal(await store.get('unknown.example'), undefined);
  t.equal((await readFile(log, 'utf8')).trim().split('\n').length, 3, 'answers cached per host');
});

t.test('helper <token> username means identity token; missing helper means anonymous', async (t) => {
  const dir = await tempDir(t);
  await writeHelper(dir, 'https://index.docker.io/v1/', { Username: '<token>', Secret: 'refresh' });
  await writeFile(path.join(dir, 'config.json'), JSON.stringify({ credHelpers: { 'docker.io': 'test', 'ghcr.io': 'absent' } }));
  const store = loadCredentialStore({ DOCKER_CONFIG: dir, PATH: `${dir}:${process.env.PATH}` });
  t.match(await store.get('registry-1.docker.io'), { identityToken: 'refresh' });
  t.equal(await store.get('ghcr.io'), undefined);
});
