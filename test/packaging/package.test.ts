// `npm run package` end to end (slow: one file): builds the Node single executable
// for this machine, unpacks its archive the way krew does, and runs it through the
// REAL kubectl with no `node` on PATH, including a real verification against the
// REAL registry. Also checks the npm package stays lean.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { parse } from 'yaml';
import { generateKeyPair, signImage } from '../../src/testkit/cosign-signer.js';
import { pushImage } from '../../src/testkit/oci-push.js';
import { startRegistry } from '../../src/testkit/registry-server.js';
import { startFakeKubeApi } from '../../src/testkit/fake-kube-api.js';
import { type KrewPlugin, selects, validateKrewManifest } from './krew-rules.js';

const exec = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KREW = { linux: 'linux', darwin: 'darwin', win32: 'windows' }[process.platform as string];
const ARCH = { x64: 'amd64', arm64: 'arm64' }[process.arch as string];

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    if (existsSync(path.join(dir, cmd))) return realpathSync(path.join(dir, cmd));
  }
  return undefined;
}
const kubectlPath = which('kubectl');
const skip =
  process.platform !== 'linux' ? 'the packaging test builds and runs the linux binary' :
  !kubectlPath ? 'kubectl is not on PATH' :
  !existsSync(path.join(root, 'dist/cli/main.js')) ? 'dist/ is not built (npm test builds it in pretest)' : false;

t.test('npm run package builds a SEA binary that kubectl runs without node', { skip, timeout: 240_000 }, async (t) => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'vi-package-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  // --skip-tsc: dist/ is built by pretest; rebuilding it here would race other test files.
  await exec(process.execPath, [path.join(root, 'scripts/package.mjs'), '--out', out, '--skip-tsc'], { cwd: root, maxBuffer: 1 << 24 });

  const archiveName = `kubectl-verify-images_${KREW}_${ARCH}.tar.gz`;
  const archive = path.join(out, archiveName);
  const listing = (await exec('tar', ['-tzf', archive])).stdout.split('\n').filter(Boolean).sort();
  t.same(listing, ['LICENSE', 'kubectl-verify_images'], 'archive holds exactly the binary and LICENSE');

  // The generated manifest: valid for krew, this archive's sha256 filled in.
  const manifest = parse(await readFile(path.join(out, 'krew-manifest.yaml'), 'utf8')) as KrewPlugin;
  t.same(validateKrewManifest(manifest, 'verify-images'), []);
  const sha = createHash('sha256').update(await readFile(archive)).digest('hex');
  const platform = manifest.spec!.platforms!.find((p) => selects(p, `${KREW}/${ARCH}`))!;
  t.equal(platform.sha256, sha, 'sha256 of the built archive');
  t.ok(platform.uri!.endsWith(`/${archiveName}`));

  // Install like krew: unpack, then a PATH with kubectl and the plugin only — no node.
  const bin = path.join(out, 'bin');
  await mkdir(bin);
  await exec('tar', ['-xzf', archive, '-C', bin]);
  await symlink(kubectlPath!, path.join(bin, 'kubectl'));
  const env = { PATH: bin, HOME: out, XDG_CACHE_HOME: path.join(out, 'cache') };
  const kubectl = (args: string[], cwd = out) =>
    exec(path.join(bin, 'kubectl'), args, { env, cwd }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  await t.rejects(exec('sh', ['-c', 'command -v node'], { env }), 'node is not on the PATH the plugin runs with');

  const version = await kubectl(['verify-images', 'version']);
  t.equal(version.code, 0, version.stderr);
  t.match(version.stdout, /^kubectl-verify-images \d+\.\d+\.\d+\n/);
  t.notMatch(version.stderr, /ExperimentalWarning|single executable/i, 'no SEA warning');
  const help = await kubectl(['verify-images', '--help']);
  t.match(help.stdout, /^Usage: kubectl verify-images /, 'usage names the kubectl command');
  const plugins = await kubectl(['plugin', 'list']);
  t.match(plugins.stdout, path.join(bin, 'kubectl-verify_images'));

  // A real verification: a signed and an unsigned image in the real registry.
  const registry = await startRegistry();
  t.teardown(() => registry.stop());
  const key = generateKeyPair('ecdsa-p256');
  const signedDigest = await pushImage(registry.host, 'apps/signed', '1.0', { seed: 'pkg-signed' });
  await signImage({ registry: registry.host, repo: 'apps/signed', digest: signedDigest, key });
  await pushImage(registry.host, 'apps/unsigned', '1.0', { seed: 'pkg-unsigned' });
  const work = path.join(out, 'repo');
  await mkdir(path.join(work, 'policies'), { recursive: true });
  const pem = key.publicKeyPem.trim().split('\n').map((l) => `          ${l}`).join('\n');
  await writeFile(
    path.join(work, 'policies/cip.yaml'),
    `apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: ours\nspec:\n  images:\n    - glob: "${registry.host}/apps/**"\n  authorities:\n    - key:\n        data: |\n${pem}\n`,
  );
  const pod = (name: string, image: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n    - name: app\n      image: ${image}\n`;
  await writeFile(path.join(work, 'good.yaml'), pod('good', `${registry.host}/apps/signed:1.0`));
  await writeFile(path.join(work, 'bad.yaml'), pod('bad', `${registry.host}/apps/unsigned:1.0`));
  const good = await kubectl(['verify-images', 'good.yaml', '-p', 'policies', '-o', 'json', '--no-cache'], work);
  t.equal(good.code, 0, good.stderr);
  t.equal(JSON.parse(good.stdout).results[0].status, 'pass');
  t.equal(JSON.parse(good.stdout).results[0].digest, signedDigest);
  const bad = await kubectl(['verify-images', 'bad.yaml', '-p', 'policies', '-o', 'json', '--no-cache'], work);
  t.equal(bad.code, 1, 'an unsigned image fails the run');
  t.equal(JSON.parse(bad.stdout).results[0].status, 'fail');

  // The bundled client-node works too: --cluster against a FAKE API server (no real one runs here).
  const api = await startFakeKubeApi({
    objects: [
      { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'prod', name: 'good' }, spec: { containers: [{ name: 'app', image: `${registry.host}/apps/signed:1.0` }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'other', name: 'bad' }, spec: { containers: [{ name: 'app', image: `${registry.host}/apps/unsigned:1.0` }] } },
    ],
  });
  t.teardown(() => api.stop());
  const audit = await kubectl(['verify-images', '--cluster', '--kubeconfig', api.kubeconfig, '-n', 'prod', '-p', 'policies', '-o', 'json', '--no-cache'], work);
  t.equal(audit.code, 0, audit.stderr);
  t.notMatch(audit.stderr, /Warning|single-executable|dynamic import/, 'no SEA require/import warnings');
  t.same(JSON.parse(audit.stdout).results.map((r: { uses: { file: string }[]; status: string }) => [r.uses[0]!.file, r.status]), [['cluster:Pod/prod/good', 'pass']]);
});

t.test('the npm package is lean: compiled CLI, plugin entry, no sources, tests or release files', async (t) => {
  const { stdout } = await exec('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 1 << 24 });
  const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  t.ok(files.includes('plugin/kubectl-verify_images'));
  t.ok(files.includes('LICENSE'));
  t.same(files.filter((f) => /^(src|test|scripts|bench|dist-release|examples|dist\/testkit)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts'))), []);
});

t.test('heavy modules load only for the commands that need them', { skip: !existsSync(path.join(root, 'dist/cli/main.js')) && 'dist/ is not built' }, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-lazy-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const log = path.join(dir, 'loaded.txt');
  // A module.register() resolve hook that records every heavy package the CLI resolves.
  await writeFile(
    path.join(dir, 'hook.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/@kubernetes\\/client-node|@octokit|simple-git|@aws-sdk|@google-cloud|@azure/.test(r.url)) appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`,
  );
  await writeFile(path.join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hook.mjs')).href)});\n`);
  await mkdir(path.join(dir, 'pol'));
  await writeFile(path.join(dir, 'pol/p.yaml'), 'apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: s}\nspec:\n  images: [{glob: "registry.internal/**"}]\n  authorities: [{static: {action: pass}}]\n');
  await writeFile(path.join(dir, 'pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: registry.internal/a:1}]\n');
  const heavy = async (args: string[]) => {
    await rm(log, { force: true });
    const code = await exec(process.execPath, ['--import', pathToFileURL(path.join(dir, 'register.mjs')).href, path.join(root, 'plugin/kubectl-verify_images'), ...args], {
      cwd: dir,
      env: { ...process.env, XDG_CACHE_HOME: path.join(dir, 'cache') },
    }).then(() => 0, (e: { code?: number }) => e.code);
    t.equal(code, 0, `${args.join(' ')} succeeds`);
    return existsSync(log) ? [...new Set((await readFile(log, 'utf8')).split('\n').filter(Boolean).map((u) => u.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1]))] : [];
  };
  t.same(await heavy(['--version']), []);
  t.same(await heavy(['--help']), []);
  t.same(await heavy(['pod.yaml', '-p', 'pol', '--no-cache']), [], 'verifying files loads none of them');
  const api = await startFakeKubeApi({ objects: [] });
  t.teardown(() => api.stop());
  t.ok((await heavy(['--cluster', '--kubeconfig', api.kubeconfig, '-p', 'pol', '--no-cache'])).includes('@kubernetes/client-node'), 'the cluster audit loads client-node');
});
