import t, { type Test } from 'tap';
import { createAuthenticator, parseWwwAuthenticate } from '../../src/registry/auth.js';
import type { HttpRequest, HttpResponse, Transport } from '../../src/registry/transport.js';
import type { CredentialStore } from '../../src/registry/types.js';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRegistryClient } from '../../src/registry/client.js';
import { loadCredentialStore } from '../../src/registry/credentials.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { realRegistry } from './registry-fixture.js';
import { startFake } from './fake-server.js';

t.test('WWW-Authenticate parsing', async (t) => {
  t.same(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } },
  ]);
  t.same(parseWwwAuthenticate('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  t.same(parseWwwAuthenticate('Basic realm="a, \\"b\\"", Bearer realm=https://x/t, service=s'), [
    { scheme: 'basic', params: { realm: 'a, "b"' } },
    { scheme: 'bearer', params: { realm: 'https://x/t', service: 's' } },
  ]);
  t.same(parseWwwAuthenticate(''), []);
});

/** A transport fake that records token requests and answers from a script. */
function tokenTransport(answer: (req: HttpRequest) => { status: number; json?: unknown }) {
  const seen: HttpRequest[] = [];
  const transport: Transport = {
    async send(req) {
      seen.push(req);
      const a = answer(req);
      const res: HttpResponse = { status: a.status, headers: {}, body: Buffer.from(JSON.stringify(a.json ?? {})), url: req.url };
      return res;
    },
    stats: () => ({ requests: seen.length, byHost: {} }),
    close: async () => {},
  };
  return { transport, seen };
}

const store = (cred: Awaited<ReturnType<CredentialStore['get']>>): CredentialStore => ({ get: async () => cred });
const CHALLENGE = 'Bearer realm="https://auth.example/token",service="reg.example",scope="repository:team/app:pull"';

t.test('bearer: token fetched with Basic credentials, cached until expiry', async (t) => {
  let clock = 1_000_000;
  const { transport, seen } = tokenTransport(() => ({ status: 200, json: { token: 'T1', expires_in: 60 } }));
  const auth = createAuthenticator({ transport, credentials: store({ username: 'u', password: 'p' }), now: () => clock });
  t.equal(auth.cached('reg.example', 'team/app'), undefined, 'anonymous first');
  t.equal(await auth.respond('reg.example', 'team/app', CHALLENGE), 'Bearer T1');
  const url = new URL(seen[0]!.url);
  t.equal(url.origin + url.pathname, 'https://auth.example/token');
  t.equal(url.searchParams.get('service'), 'reg.example');
  t.equal(url.searchParams.get('scope'), 'repository:team/app:pull');
  t.equal(seen[0]!.headers?.['authorization'], `Basic ${Buffer.from('u:p').toString('base64')}`);
  t.equal(auth.cached('reg.example', 'team/app'), 'Bearer T1');
  t.equal(auth.cached('reg.example', 'team/other'), undefined, 'cached per repository scope');
  clock += 60_000;
  t.equal(auth.cached('reg.example', 'team/app'), undefined, 'expired');
});

t.test('bearer: anonymous token, access_token field, default lifetime', async (t) => {
  let clock = 0;
  const { transport, seen } = tokenTransport(() => ({ status: 200, json: { access_token: 'A1' } }));
  const auth = createAuthenticator({ transport, now: () => clock });
  t.equal(await auth.respond('reg.example', 'team/app', CHALLENGE), 'Bearer A1');
  t.equal(seen[0]!.headers?.['authorization'], undefined);
  clock += 50_000;
  t.equal(auth.cached('reg.example', 'team/app'), 'Bearer A1', 'still valid within 60s default');
  clock += 10_000;
  t.equal(auth.cached('reg.example', 'team/app'), undefined);
});

t.test('bearer: identity token uses the OAuth2 refresh grant', async (t) => {
  const { transport, seen } = tokenTransport(() => ({ status: 200, json: { access_token: 'A2' } }));
  const auth = createAuthenticator({ transport, credentials: store({ identityToken: 'REFRESH-SECRET' }) });
  t.equal(await auth.respond('reg.example', 'team/app', CHALLENGE), 'Bearer A2');
  t.equal(seen[0]!.method, 'POST');
  const form = new URLSearchParams(String(seen[0]!.body));
  t.equal(form.get('grant_type'), 'refresh_token');
  t.equal(form.get('refresh_token'), 'REFRESH-SECRET');
  t.equal(form.get('scope'), 'repository:team/app:pull');
});

t.test('token endpoint refusal is AUTH and never leaks the password', async (t) => {
  const { transport } = tokenTransport(() => ({ status: 401 }));
  const auth = createAuthenticator({ transport, credentials: store({ username: 'u', password: 'hunter2' }) });
  const err = (await auth.respond('reg.example', 'team/app', CHALLENGE).catch((e: unknown) => e)) as Error & { code: string };
  t.equal(err.code, 'AUTH');
  t.notMatch(err.message, /hunter2/);
  t.notMatch(err.message, Buffer.from('u:hunter2').toString('base64'));
  const { transport: t2 } = tokenTransport(() => ({ status: 200, json: { nothing: true } }));
  await t.rejects(createAuthenticator({ transport: t2 }).respond('h', 'r', CHALLENGE), { code: 'AUTH' }, 'no token in answer');
  await t.rejects(createAuthenticator({ transport: t2 }).respond('h', 'r', 'Bearer service="x"'), { code: 'AUTH' }, 'no realm');
});

t.test('basic: only with credentials, remembered per host', async (t) => {
  const { transport, seen } = tokenTransport(() => ({ status: 500 }));
  t.equal(await createAuthenticator({ transport }).respond('h', 'r', 'Basic realm="x"'), undefined, 'no credentials: nothing to try');
  const auth = createAuthenticator({ transport, credentials: store({ username: 'u', password: 'p' }) });
  const header = await auth.respond('h', 'r', 'Basic realm="x"');
  t.equal(header, `Basic ${Buffer.from('u:p').toString('base64')}`);
  t.equal(auth.cached('h', 'other/repo'), header, 'sent proactively to the same host');
  t.equal(await auth.respond('h', 'r', 'Basic realm="x"', header), undefined, 'rejected credentials are not retried forever');
  t.equal(await auth.respond('h', 'r2', 'Basic realm="x"'), header, 'a concurrent first request (sent none) still gets them');
  t.equal(seen.length, 0, 'basic needs no token request');
});

// ---- end to end against the real registry ----

async function dockerConfig(t: Test, config: object, helper?: string): Promise<NodeJS.ProcessEnv> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kvi-auth-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  if (helper) {
    await writeFile(path.join(dir, 'docker-credential-test'), helper);
    await chmod(path.join(dir, 'docker-credential-test'), 0o755);
  }
  return { DOCKER_CONFIG: dir, PATH: `${dir}:${process.env.PATH}` };
}

t.test('htpasswd registry: Basic credentials from DOCKER_CONFIG and from a credential helper', async (t) => {
  const reg = await realRegistry(t, { htpasswd: { alice: 'wonderland-pw' } });
  if (!reg) return;
  const digest = await pushImage(reg.host, 'private/app', 'v1', { seed: 'basic', auth: { username: 'alice', password: 'wonderland-pw' } });
  const repo = { registry: reg.host, repository: 'private/app' };

  const anonymous = createRegistryClient();
  t.teardown(() => anonymous.close());
  await t.rejects(anonymous.resolve(repo, 'v1'), { code: 'AUTH', status: 401 }, 'no credentials');

  const env = await dockerConfig(t, { auths: { [`http://${reg.host}`]: { auth: Buffer.from('alice:wonderland-pw').toString('base64') } } });
  const client = createRegistryClient({ credentials: loadCredentialStore(env) });
  t.teardown(() => client.close());
  t.equal((await client.resolve(repo, 'v1')).digest, digest);
  t.equal((await client.manifest(repo, 'v1'))?.digest, digest);
  t.equal(client.stats().requests, 3, 'one 401, then Basic sent proactively');

  const wrongEnv = await dockerConfig(t, { auths: { [reg.host]: { username: 'alice', password: 'not-the-pw' } } });
  const wrong = createRegistryClient({ credentials: loadCredentialStore(wrongEnv) });
  t.teardown(() => wrong.close());
  const err = (await wrong.resolve(repo, 'v1').catch((e: unknown) => e)) as Error & { code: string };
  t.equal(err.code, 'AUTH');
  t.notMatch(err.message, /not-the-pw/, 'password not in the message');

  const helper = `#!/bin/sh
read -r server
[ "$server" = '${reg.host}' ] && echo '{"ServerURL":"${reg.host}","Username":"alice","Secret":"wonderland-pw"}' && exit 0
exit 1
`;
  const helperEnv = await dockerConfig(t, { credHelpers: { [reg.host]: 'test' } }, helper);
  const viaHelper = createRegistryClient({ credentials: loadCredentialStore(helperEnv) });
  t.teardown(() => viaHelper.close());
  t.equal((await viaHelper.resolve(repo, 'v1')).digest, digest, 'docker-credential-test on PATH');

  // Many first requests at once all get a 401 before Basic is remembered: each must retry with it.
  const concurrent = createRegistryClient({ credentials: loadCredentialStore(env) });
  t.teardown(() => concurrent.close());
  const all = await Promise.all(Array.from({ length: 8 }, () => concurrent.resolve(repo, 'v1')));
  t.same(new Set(all.map((d) => d.digest)), new Set([digest]), 'concurrent first requests all authenticate');
});

t.test('Bearer token flow (fake token server + fake bearer gate in front of the real registry)', async (t) => {
  const reg = await realRegistry(t);
  if (!reg) return;
  const digest = await pushImage(reg.host, 'team/tok', 'v1', { seed: 'bearer' });
  const tokenRequests: URL[] = [];
  const tokens = await startFake((req, res) => {
    const url = new URL(req.url ?? '', 'http://x');
    tokenRequests.push(url);
    const okCreds = req.headers.authorization === `Basic ${Buffer.from('bob:builder').toString('base64')}`;
    if (!okCreds || url.searchParams.get('scope') !== 'repository:team/tok:pull' || url.searchParams.get('service') !== 'fake-registry') {
      res.writeHead(401).end();
    } else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'sekret-token', expires_in: 300 }));
    return true;
  });
  t.teardown(() => tokens.close());
  const gate = await startFake((req, res) => {
    if (req.headers.authorization === 'Bearer sekret-token') return false; // proxied to the real registry
    res
      .writeHead(401, { 'www-authenticate': `Bearer realm="http://${tokens.host}/token",service="fake-registry",scope="repository:team/tok:pull"` })
      .end();
    return true;
  }, reg.host);
  t.teardown(() => gate.close());
  const repo = { registry: gate.host, repository: 'team/tok' };

  const client = createRegistryClient({ credentials: { get: async (host) => (host === gate.host ? { username: 'bob', password: 'builder' } : undefined) } });
  t.teardown(() => client.close());
  t.equal((await client.resolve(repo, 'v1')).digest, digest);
  t.equal((await client.manifest(repo, digest))?.digest, digest);
  t.equal(tokenRequests.length, 1, 'token cached for the repository');
  t.equal(gate.requests.length, 3, 'one anonymous 401, then two with the token');
  t.same(client.stats().byHost, { [gate.host]: 3, [tokens.host]: 1 });

  const noCreds = createRegistryClient();
  t.teardown(() => noCreds.close());
  await t.rejects(noCreds.resolve(repo, 'v1'), { code: 'AUTH' }, 'token endpoint refuses anonymous');
});
