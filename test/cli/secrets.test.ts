// What we print never holds a secret or a fragment of one, and a refusal says where the
// credentials came from. Real registry behind htpasswd auth.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { checkApiUrl, redact } from '../../src/git/github.js';
import { generateKeyPair } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry, type TestRegistry } from '../../src/testkit/registry-server.js';
import { runCli, tempRepo } from '../helpers/cli.js';
import { deployment, kyverno } from '../helpers/engine.js';

let registry: TestRegistry;
const key = generateKeyPair('ecdsa-p256');
t.before(async () => {
  registry = await startRegistry({ htpasswd: { ci: 'right-password' } });
  await pushImage(registry.host, 'private/web', '1.0', { seed: 'secret-web', auth: { username: 'ci', password: 'right-password' } });
});
t.teardown(() => registry?.stop());

const FORMATS = ['table', 'wide', 'json', 'yaml', 'sarif', 'junit', 'github', 'markdown', 'html', 'name'];

async function privateApp(t: { teardown: (fn: () => unknown) => void }, dockerConfig: string | undefined) {
  const dir = await tempRepo(
    t,
    { 'p/policy.yaml': kyverno({ refs: [`${registry.host}/*`], keys: [key] }), 'apps/web.yaml': deployment('web', `${registry.host}/private/web:1.0`) },
    { prefix: 'vi-secrets-' },
  );
  const docker = path.join(dir, '.docker');
  await mkdir(docker);
  if (dockerConfig !== undefined) await writeFile(path.join(docker, 'config.json'), dockerConfig);
  const env = { XDG_CACHE_HOME: path.join(dir, '.cache'), XDG_CONFIG_HOME: path.join(dir, '.config'), DOCKER_CONFIG: docker };
  return { dir, env, configFile: path.join(docker, 'config.json') };
}

t.test('a malformed docker config is named with its line, and not a byte of it is printed, in any format', async (t) => {
  const broken = `{\n  "auths": {\n    "${registry.host}": {\n      "username": "ci",\n      "password": S3cretPassw0rd\n    }\n  }\n}\n`;
  const { dir, env, configFile } = await privateApp(t, broken);
  for (const format of FORMATS) {
    const r = await runCli(dir, ['apps', '-p', 'p', '-o', format, '--no-cache'], { env });
    t.equal(r.code, 3, `${format}: undecided, blocked`);
    const all = r.stdout + r.stderr;
    for (const fragment of ['S3cret', 'Passw0rd', 'cretPa', '"password"']) t.notMatch(all, fragment, `${format}: no "${fragment}"`);
    if (format === 'json') {
      t.match(JSON.parse(r.stdout).results[0].policies[0].reasons.join('\n'), `cannot parse docker config ${configFile}: line 5`);
    }
  }
});

t.test('401 says where the refused credentials came from, never their value', async (t) => {
  const wrong = JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('ci:wrong-password').toString('base64') } } });
  const { dir, env, configFile } = await privateApp(t, wrong);
  const r = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '--no-cache'], { env });
  t.equal(r.code, 3);
  const reasons = JSON.parse(r.stdout).results[0].policies[0].reasons.join('\n');
  t.match(reasons, `access denied (401) with the credentials from docker config ${configFile} (auths)`);
  t.notMatch(r.stdout + r.stderr, /wrong-password|Y2k6d3Jvbmc/);

  const none = await privateApp(t, undefined);
  const anon = await runCli(none.dir, ['apps', '-p', 'p', '-o', 'json', '--no-cache'], { env: none.env });
  t.match(JSON.parse(anon.stdout).results[0].policies[0].reasons.join('\n'), `access denied (401) anonymously: no credentials for ${registry.host} in docker config ${none.configFile}`);
  t.match(JSON.parse(anon.stdout).results[0].hints.join('\n'), /docker login, or a pull secret/);
});

t.test('a malformed kubeconfig (for a k8s:// key) is named with its line, its token never printed', async (t) => {
  const policy = kyverno({ refs: [`${registry.host}/*`], keys: [key] }).replace(/publicKeys: \|-\n(\s+-----BEGIN[\s\S]*?END PUBLIC KEY-----)/, 'publicKeys: "k8s://cosign-system/signing-key"');
  const dir = await tempRepo(t, { 'p/policy.yaml': policy, 'apps/web.yaml': deployment('web', `${registry.host}/private/web@sha256:${'1'.repeat(64)}`) }, { prefix: 'vi-secrets-' });
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(kubeconfig, `apiVersion: v1\nusers:\n- name: u\n  user:\n    token: SuperSecretToken123\n   bad: [indent\n`);
  const r = await runCli(dir, ['apps', '-p', 'p', '-o', 'json', '--no-cache'], { env: { XDG_CONFIG_HOME: path.join(dir, '.config'), KUBECONFIG: kubeconfig } });
  t.equal(r.code, 3);
  const reasons = JSON.parse(r.stdout).results[0].policies[0].reasons.join('\n');
  t.match(reasons, `cannot parse kubeconfig ${kubeconfig}: line 6`);
  t.notMatch(r.stdout + r.stderr, /SuperSecret|Token123|indent/);
});

t.test('GitHub: API error text is printed without the token; the token never goes over plain http to another host', async (t) => {
  const token = 'ghp_abcdefghijklmnop0123456789';
  t.equal(redact(`Bad credentials for ${token} (Basic ${Buffer.from(token).toString('base64')})`, token), 'Bad credentials for *** (Basic ***)');
  t.doesNotThrow(() => checkApiUrl('https://ghe.example.com/api/v3'));
  t.doesNotThrow(() => checkApiUrl('http://127.0.0.1:8080'));
  t.throws(() => checkApiUrl('http://ghe.example.com/api/v3'), { message: /only sent over https/ });
  const dir = await tempRepo(t, { 'p/policy.yaml': kyverno({ refs: ['x/*'], keys: [key] }), 'apps/a.yaml': deployment('a', 'x/y:1') }, { prefix: 'vi-secrets-' });
  const r = await runCli(dir, ['pin', 'apps', '-p', 'p', '--pr', '--github-repo', 'o/r', '--github-api-url', 'http://ghe.example.com/api/v3'], { env: { GITHUB_TOKEN: token, XDG_CONFIG_HOME: path.join(dir, '.config') } });
  t.equal(r.code, 2);
  t.match(r.stderr, /--github-api-url http:\/\/ghe\.example\.com: the GitHub token is only sent over https/);
  t.notMatch(r.stdout + r.stderr, token.slice(4, 12));
});

