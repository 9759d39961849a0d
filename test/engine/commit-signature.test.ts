// Issue 24.3: the revision's signature, with real git and GnuPG (Debian's gnupg) and real SSH
// signing keys. Commits and tags are signed here by `git commit -S` / `git tag -s`; `verify
// --repo DIR --revision REV` judges them under an Argo CD AppProject (sourceIntegrity head and
// strict with a seal commit, legacy signatureKeys), a Flux GitRepository `spec.verify` (HEAD, Tag,
// TagAndHEAD; OpenPGP and SSH keys from a Secret in the repository) and the run's own
// --gpg-keys / --allowed-signers. Every blocked case says why.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';

const missing = ['/usr/bin/gpg', '/usr/bin/ssh-keygen'].find((b) => !existsSync(b));
if (missing) {
  // A gate's test must be able to fail: CI runs it, so CI installs them (scripts/ensure-test-packages.mjs).
  if (process.env.CI === 'true') throw new Error(`CI must run the commit signature tests: ${missing} is not installed (Debian packages gnupg and openssh-client)`);
  t.comment(`skipped: ${missing} is not installed (Debian packages gnupg and openssh-client; npm test installs them when run as root)`);
  t.pass('gnupg or openssh-client absent');
} else main();

function main(): void {
const root = mkdtempSync(path.join(os.tmpdir(), 'vi-commit-sig-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const signingHome = path.join(root, 'gnupg');
mkdirSync(signingHome, { mode: 0o700 });
const gpgEnv = { ...process.env, GNUPGHOME: signingHome };
const gpg = (args: string[]) => execFileSync('gpg', ['--batch', '--no-tty', ...args], { env: gpgEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A fresh ed25519 OpenPGP key with no passphrase: its long key ID (16 hex) and armored public key file. */
function gpgKey(name: string): { id: string; file: string } {
  gpg(['--passphrase', '', '--quick-gen-key', `${name} <${name}@example.com>`, 'ed25519', 'sign', 'never']);
  const id = /^pub:[^:]*:[^:]*:[^:]*:([0-9A-F]{16}):/m.exec(gpg(['--list-keys', '--with-colons', `${name}@example.com`]))![1]!;
  const file = path.join(root, `${name}.asc`);
  writeFileSync(file, gpg(['--armor', '--export', `${name}@example.com`]));
  return { id, file };
}
const alice = gpgKey('alice');
const mallory = gpgKey('mallory');
const sshKey = (name: string) => {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path.join(root, name)]);
  return { key: path.join(root, name), pub: readFileSync(path.join(root, `${name}.pub`), 'utf8').trim() };
};
const bobSsh = sshKey('bob-ssh');
const eveSsh = sshKey('eve-ssh');

// The repository: manifests and a policy that passes every image (the commit is what is judged).
const repo = path.join(root, 'repo');
mkdirSync(repo);
const git = (args: string[], env: NodeJS.ProcessEnv = {}) => execFileSync('git', args, { cwd: repo, env: { ...gpgEnv, GIT_AUTHOR_DATE: '2026-12-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-12-01T00:00:00Z', ...env }, encoding: 'utf8' }).trim();
git(['init', '-q', '-b', 'main']);
git(['config', 'user.name', 'Alice']);
git(['config', 'user.email', 'alice@example.com']);
mkdirSync(path.join(repo, 'apps'));
mkdirSync(path.join(repo, '.verify-images'));
writeFileSync(path.join(repo, 'apps/pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web, image: ghcr.io/acme/web:1.0}]\n');
writeFileSync(
  path.join(repo, '.verify-images/images.yaml'),
  'apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: any}\nspec:\n  images: [{glob: "**"}]\n  authorities: [{static: {action: pass}}]\n',
);
const commit = (message: string, how: 'unsigned' | { gpg: string } | { ssh: string }, extra: string[] = []) => {
  writeFileSync(path.join(repo, 'apps/note.txt'), `${message}\n`);
  git(['add', '-A']);
  const sign = how === 'unsigned' ? [] : 'gpg' in how ? ['-c', `user.signingkey=${how.gpg}`] : ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${how.ssh}`];
  execFileSync('git', [...sign, 'commit', '-q', ...(how === 'unsigned' ? [] : ['-S']), '-m', message, ...extra], { cwd: repo, env: gpgEnv });
  return git(['rev-parse', 'HEAD']);
};
const unsigned = commit('unsigned change', 'unsigned');
const byAlice = commit('alice signs', { gpg: alice.id });
const byMallory = commit('mallory signs', { gpg: mallory.id });
git(['tag', '-s', '-u', alice.id, '-m', 'release 1', 'v1-signed-tag-unsigned-commit', unsigned]);
git(['tag', '-a', '-m', 'release 2', 'v2-unsigned-tag', byAlice]);
git(['tag', '-s', '-u', alice.id, '-m', 'release 3', 'v3-signed', byAlice]);
const bySsh = commit('bob signs with ssh', { ssh: bobSsh.key });
const byEveSsh = commit('eve signs with ssh', { ssh: eveSsh.key });
// History for strict mode: a signed seal after the unsigned and mallory's commits, then alice's commit.
git(['checkout', '-q', '-b', 'sealed', byMallory]);
const seal = commit('seal: reviewed the history', { gpg: alice.id }, ['--trailer', 'Argocd-gpg-seal: reviewed by alice']);
const afterSeal = commit('alice after the seal', { gpg: alice.id });
git(['checkout', '-q', 'main']);
// A gitsign-shaped commit (an X.509 CMS signature in gpgsig): made by hand, as gitsign needs Fulcio and an OIDC login.
const byGitsign = execFileSync('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], {
  cwd: repo,
  input: `tree ${git(['rev-parse', `${byAlice}^{tree}`])}\nparent ${byAlice}\nauthor Alice <alice@example.com> 1764547200 +0000\ncommitter Alice <alice@example.com> 1764547200 +0000\ngpgsig -----BEGIN SIGNED MESSAGE-----\n MIIGbQYJKoZIhvcNAQcCoIIGXjCCBloCAQExDTALBglghkgBZQMEAgEwCwYJKoZI\n -----END SIGNED MESSAGE-----\n\nsigned by gitsign\n`,
  encoding: 'utf8',
}).trim();
git(['update-ref', 'refs/heads/gitsign', byGitsign]);

const keysDir = path.join(root, 'keys');
mkdirSync(keysDir);
writeFileSync(path.join(keysDir, 'alice.asc'), readFileSync(alice.file));
writeFileSync(path.join(keysDir, 'mallory.asc'), readFileSync(mallory.file));
// Argo CD's ConfigMap form of its keyring, with alice only.
const configMap = path.join(root, 'argocd-gpg-keys-cm.yaml');
writeFileSync(configMap, `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-gpg-keys-cm, namespace: argocd}\ndata:\n  ${alice.id}: |\n${readFileSync(alice.file, 'utf8').trim().replace(/^/gm, '    ')}\n`);
const allowedSigners = path.join(root, 'allowed_signers');
writeFileSync(allowedSigners, `bob@example.com ${bobSsh.pub}\n`);

const appProject = (gpgBlock: string) => `apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: shop, namespace: argocd}\nspec:\n${gpgBlock}`;
const sourceIntegrity = (mode: string, keys: string[]) => `  sourceIntegrity:\n    git:\n      policies:\n        - repos: [{url: "*"}]\n          gpg:\n            mode: ${mode}\n            keys: [${keys.map((k) => `"${k}"`).join(', ')}]\n`;
const gitRepository = (mode: string) => `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: shop, namespace: flux-system}\nspec:\n  url: ${repo}\n  interval: 1m\n  ref: {branch: main}\n  verify:\n    mode: ${mode}\n    secretRef: {name: shop-keys}\n`;
const keysSecret = `apiVersion: v1\nkind: Secret\nmetadata: {name: shop-keys, namespace: flux-system}\ntype: Opaque\nstringData:\n  alice.asc: |\n${readFileSync(alice.file, 'utf8').trim().replace(/^/gm, '    ')}\n  bob.sshpub: ${bobSsh.pub}\n`;

/** `verify --repo` at a revision with extra policy files: the commit subject's verdict. */
async function judge(revision: string, policies: Record<string, string>, flags: string[] = []) {
  const cwd = mkdtempSync(path.join(root, 'run-'));
  const args = ['verify', '--repo', repo, '--revision', revision, '-o', 'json', '--no-cache', '-p', path.join(repo, '.verify-images')];
  for (const [name, text] of Object.entries(policies)) {
    writeFileSync(path.join(cwd, name), text);
    args.push('-p', name);
  }
  const r = await runCli(cwd, [...args, ...flags]);
  const json = JSON.parse(r.stdout || '{"results":[]}') as { results: { kind?: string; status: string; policies: { policy: string; reasons: string[] }[] }[] };
  const c = json.results.find((x) => x.kind === 'commit');
  return { code: r.code, status: c?.status, reasons: c?.policies.flatMap((p) => p.reasons).join('\n') ?? '', stderr: r.stderr, policies: c?.policies.map((p) => p.policy) ?? [] };
}

t.test('Argo CD sourceIntegrity head: an allowed signer passes; unsigned, unallowed and unknown keys block with the reason', async (t) => {
  const policy = { 'project.yaml': appProject(sourceIntegrity('head', [alice.id])) };
  const ok = await judge(byAlice, policy, ['--gpg-keys', keysDir]);
  t.equal(ok.status, 'pass', ok.reasons + ok.stderr);
  t.equal(ok.code, 0);
  t.same(ok.policies, ['shop']);

  const bare = await judge(unsigned, policy, ['--gpg-keys', keysDir]);
  t.equal(bare.status, 'fail');
  t.match(bare.reasons, new RegExp(`commit ${unsigned.slice(0, 12)} by 'Alice <alice@example.com>': not signed`));
  t.equal(bare.code, 1);

  const other = await judge(byMallory, policy, ['--gpg-keys', keysDir]);
  t.equal(other.status, 'fail');
  t.match(other.reasons, `signed with a key the project does not allow (key_id=${mallory.id}; allowed: ${alice.id})`);

  // Mallory's key is not in Argo CD's keyring (the ConfigMap holds alice's only): the signature cannot be checked.
  const unknown = await judge(byMallory, policy, ['--gpg-keys', configMap]);
  t.equal(unknown.status, 'fail');
  t.match(unknown.reasons, /signature that cannot be checked: its public key is not among the keys trusted here/);

  const ssh = await judge(bySsh, policy, ['--gpg-keys', keysDir]);
  t.equal(ssh.status, 'fail');
  t.match(ssh.reasons, /signed with an SSH key, which Argo CD does not verify \(GnuPG only\)/);

  const noKeys = await judge(byAlice, policy);
  t.equal(noKeys.status, 'fail', 'no keyring at all: nothing verifies');
  t.match(noKeys.reasons, /no --gpg-keys given/);
});

t.test('Argo CD head on an annotated tag verifies the tag (as Argo CD does); strict also walks the history', async (t) => {
  const head = { 'project.yaml': appProject(sourceIntegrity('head', [alice.id])) };
  const signedTag = await judge('v1-signed-tag-unsigned-commit', head, ['--gpg-keys', keysDir]);
  t.equal(signedTag.status, 'pass', `head mode: the tag's signature is what Argo CD checks (${signedTag.reasons})`);
  const unsignedTag = await judge('v2-unsigned-tag', head, ['--gpg-keys', keysDir]);
  t.equal(unsignedTag.status, 'fail');
  t.match(unsignedTag.reasons, /tag v2-unsigned-tag by .*: not signed/);

  const strict = { 'project.yaml': appProject(sourceIntegrity('strict', [alice.id])) };
  const tagButHistory = await judge('v1-signed-tag-unsigned-commit', strict, ['--gpg-keys', keysDir]);
  t.equal(tagButHistory.status, 'fail', 'strict: the tag is signed, the commit under it is not');
  t.match(tagButHistory.reasons, new RegExp(`commit ${unsigned.slice(0, 12)} .*: not signed`));
  t.equal(tagButHistory.code, 1);

  const history = await judge(byAlice, strict, ['--gpg-keys', keysDir]);
  t.equal(history.status, 'fail', 'strict: an unsigned ancestor blocks');
  const sealed = await judge(afterSeal, strict, ['--gpg-keys', keysDir]);
  t.equal(sealed.status, 'pass', `a signed Argocd-gpg-seal commit stops the walk (${sealed.reasons})`);
  t.match(sealed.reasons, /2 signatures/);
  t.ok(seal);
});

t.test('Argo CD legacy signatureKeys (head, every repository), a fingerprint for a key ID, mode none, two matching policies', async (t) => {
  const fpr = /^fpr:{9}([0-9A-F]{40}):/m.exec(gpg(['--list-keys', '--with-colons', 'alice@example.com']))![1]!;
  const legacy = await judge(byAlice, { 'project.yaml': appProject(`  signatureKeys:\n    - keyID: ${fpr}\n`) }, ['--gpg-keys', keysDir]);
  t.equal(legacy.status, 'pass', legacy.reasons);
  const none = await judge(unsigned, { 'project.yaml': appProject(sourceIntegrity('none', [])) }, ['--gpg-keys', keysDir]);
  t.equal(none.status, 'pass');
  t.match(none.reasons, /gpg mode none/);
  const two = appProject(`  sourceIntegrity:\n    git:\n      policies:\n        - repos: [{url: "*"}]\n          gpg: {mode: head, keys: ["${alice.id}"]}\n        - repos: [{url: "${repo}"}]\n          gpg: {mode: strict, keys: ["${alice.id}"]}\n`);
  const ambiguous = await judge(byAlice, { 'project.yaml': two }, ['--gpg-keys', keysDir]);
  t.equal(ambiguous.status, 'error');
  t.match(ambiguous.reasons, /2 git source integrity policies of this project match/);
  t.equal(ambiguous.code, 3);
  const excluded = appProject(`  sourceIntegrity:\n    git:\n      policies:\n        - repos: [{url: "*"}, {url: "!${repo}"}]\n          gpg: {mode: head, keys: ["${alice.id}"]}\n`);
  const notCovered = await judge(unsigned, { 'project.yaml': excluded }, ['--gpg-keys', keysDir]);
  t.equal(notCovered.status, undefined, 'a repository a `!` glob excludes is not judged');
  const bad = await judge(byAlice, { 'project.yaml': appProject(sourceIntegrity('always', [alice.id])) });
  t.equal(bad.code, 2);
  t.match(bad.stderr, /project\.yaml:\d+: .*mode: must be none, head or strict, not always/);
});

t.test('Flux GitRepository spec.verify: keys from the Secret in the repository (OpenPGP .asc, SSH .sshpub)', async (t) => {
  const head = { 'source.yaml': gitRepository('HEAD'), 'keys.yaml': keysSecret };
  t.equal((await judge(byAlice, head)).status, 'pass');
  const ssh = await judge(bySsh, head);
  t.equal(ssh.status, 'pass', ssh.reasons);
  const eve = await judge(byEveSsh, head);
  t.equal(eve.status, 'fail', 'an SSH key outside the Secret');
  const mal = await judge(byMallory, head);
  t.equal(mal.status, 'fail');
  t.equal(mal.code, 1);

  const tagAndHead = { 'source.yaml': gitRepository('TagAndHEAD'), 'keys.yaml': keysSecret };
  const tagOnly = await judge('v1-signed-tag-unsigned-commit', tagAndHead);
  t.equal(tagOnly.status, 'fail', 'TagAndHEAD: the tag is signed, HEAD is not');
  t.match(tagOnly.reasons, new RegExp(`commit ${unsigned.slice(0, 12)} .*: not signed`));
  t.equal((await judge('v3-signed', tagAndHead)).status, 'pass');
  const tag = { 'source.yaml': gitRepository('Tag'), 'keys.yaml': keysSecret };
  t.equal((await judge('v1-signed-tag-unsigned-commit', tag)).status, 'pass', 'Tag: only the tag object');
  const branch = await judge('main', tag);
  t.equal(branch.status, 'fail');
  t.match(branch.reasons, /is not an annotated tag/);

  const missing = await judge(byAlice, { 'source.yaml': gitRepository('HEAD') });
  t.equal(missing.status, 'error', 'the Secret is nowhere: undecided, never a pass');
  t.match(missing.reasons, /Secret flux-system\/shop-keys .* is not in the repository/);
  t.equal(missing.code, 3);
  const fromFlag = await judge(byAlice, { 'source.yaml': gitRepository('HEAD') }, ['--gpg-keys', alice.file]);
  t.equal(fromFlag.status, 'pass');
  t.match(fromFlag.reasons, /--gpg-keys\/--allowed-signers stand for it/);
});

t.test('the run\'s own keys: --gpg-keys and --allowed-signers require the revision to be signed by one of them', async (t) => {
  t.equal((await judge(byAlice, {}, ['--gpg-keys', alice.file])).status, 'pass');
  const ssh = await judge(bySsh, {}, ['--allowed-signers', allowedSigners]);
  t.equal(ssh.status, 'pass', ssh.reasons);
  const eve = await judge(byEveSsh, {}, ['--allowed-signers', allowedSigners]);
  t.equal(eve.status, 'fail');
  const bare = await judge(unsigned, {}, ['--gpg-keys', alice.file]);
  t.equal(bare.status, 'fail');
  t.equal(bare.code, 1);
  t.equal((await judge(unsigned, {})).status, undefined, 'nobody asks: no commit subject');
  const gitsign = await judge(byGitsign, {}, ['--gpg-keys', alice.file]);
  t.equal(gitsign.status, 'fail');
  t.match(gitsign.reasons, /signed with an X\.509 certificate \(gitsign or S\/MIME\), which this tool does not verify yet/);
});

t.test('keys that are not there are a usage error at once (exit 2); keys without a revision are said to be unused', async (t) => {
  const cwd = mkdtempSync(path.join(root, 'flags-'));
  const gone = await runCli(cwd, ['verify', '--repo', repo, '--revision', byAlice, '-p', path.join(repo, '.verify-images'), '--gpg-keys', path.join(root, 'no-such-keys'), '--no-cache']);
  t.equal(gone.code, 2);
  t.match(gone.stderr, /--gpg-keys .*no-such-keys: no such file or directory/);
  const local = await runCli(cwd, ['verify', path.join(repo, 'apps'), '-p', path.join(repo, '.verify-images'), '--allowed-signers', allowedSigners, '--no-cache']);
  t.equal(local.code, 0);
  t.match(local.stderr, /--gpg-keys\/--allowed-signers ask for a signed revision, but a revision's signature is judged only when it is fetched/);
});

t.test('without a fetched revision the commit rules are said not to be checked', async (t) => {
  const cwd = mkdtempSync(path.join(root, 'local-'));
  writeFileSync(path.join(cwd, 'project.yaml'), appProject(sourceIntegrity('head', [alice.id])));
  const r = await runCli(cwd, ['verify', path.join(repo, 'apps'), '-p', 'project.yaml', '-p', path.join(repo, '.verify-images'), '--no-cache']);
  t.equal(r.code, 0);
  t.match(r.stderr, /the policies ask for signed commits, but a revision's signature is judged only when it is fetched/);
});
}
