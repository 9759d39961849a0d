// The files a platform team applies: hooks/, the examples and the CI recipe. Every YAML parses
// and passes `kubectl apply --dry-run=client --validate=false` (real kubectl; its discovery
// requests go to the FAKE Kubernetes API server, since no cluster runs here). The Dockerfile
// cannot be built here (no container engine): we check what it copies and run its entrypoint.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { noKubectl } from '../helpers/tools.js';
import { parse, parseAllDocuments } from 'yaml';
import { type FakeKubeApi, startFakeKubeApi } from '../../src/testkit/fake-kube-api.js';

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const hasKubectl = !noKubectl;

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(full)));
    else if (/\.ya?ml$/.test(e.name)) out.push(full);
  }
  return out.sort();
}

const DIRS = ['hooks', 'examples/argocd-app', 'examples/flux-app', '.github/workflows'];
/** Files that are not Kubernetes objects: kustomize inputs, Argo CD overrides, the CI workflow, policy tests. */
const notObjects = (f: string) => /(^|\/)kustomization\.yaml$|\/\.argocd-source[^/]*\.yaml$|\.github\/|app-kustomization\.yaml$|(^|\/)(verify-images-test|kyverno-test)\.yaml$/.test(f);

t.test('every YAML file parses', async (t) => {
  for (const dir of DIRS) {
    const files = await yamlFiles(path.join(root, dir));
    t.ok(files.length > 0, `${dir} has YAML`);
    for (const f of files) {
      const docs = parseAllDocuments(await readFile(f, 'utf8'));
      t.same(docs.flatMap((d) => d.errors.map((e) => e.message)), [], path.relative(root, f));
    }
  }
});

t.test('kubectl apply --dry-run=client --validate=false accepts every object file', { skip: !hasKubectl && 'no kubectl' }, async (t) => {
  // With a token: kubectl asks for a username on a TLS cluster whose user has no credentials.
  const api: FakeKubeApi = await startFakeKubeApi({
    token: 'dry-run-token',
    resources: [
      { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true },
      { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
      { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', kind: 'Kustomization', plural: 'kustomizations', namespaced: true },
      { group: 'argoproj.io', version: 'v1alpha1', kind: 'Application', plural: 'applications', namespaced: true },
    ],
  });
  t.teardown(() => api.stop());
  const files = (await Promise.all(DIRS.map((d) => yamlFiles(path.join(root, d))))).flat().filter((f) => !notObjects(path.relative(root, f)));
  t.ok(files.length >= 10);
  for (const f of files) {
    // Asynchronously: the fake server answers from this very process.
    const r = await exec('kubectl', ['apply', '--dry-run=client', '--validate=false', '-f', f, '--kubeconfig', api.kubeconfig]).then(
      (ok) => ({ status: 0, ...ok }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ status: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
    );
    t.equal(r.status, 0, `${path.relative(root, f)}: ${r.stderr.trim()}`);
    t.match(r.stdout, /\(dry run\)/);
  }
  t.notOk(api.objects().some((o) => o.kind === 'Job'), 'a client dry run creates nothing');
});

t.test('the CMP plugin: discover + generate, and discovery finds .verify-images/ above the app', async (t) => {
  const cm = parse(await readFile(path.join(root, 'hooks/argocd/plugin.yaml'), 'utf8'));
  const plugin = parse(cm.data['plugin.yaml']);
  t.match(plugin, { apiVersion: 'argoproj.io/v1alpha1', kind: 'ConfigManagementPlugin', metadata: { name: 'verify-images' }, spec: { version: 'v1' } });
  t.same(plugin.spec.generate.command, ['kubectl-verify-images', 'hook', 'argocd-cmp']);
  const discover = plugin.spec.discover.find.command as string[];
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vi-discover-'));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  await mkdir(path.join(tmp, 'with/.verify-images'), { recursive: true });
  await mkdir(path.join(tmp, 'with/apps/a'), { recursive: true });
  await mkdir(path.join(tmp, 'without/apps/a'), { recursive: true });
  const found = spawnSync(discover[0]!, discover.slice(1), { cwd: path.join(tmp, 'with/apps/a'), encoding: 'utf8' });
  t.not(found.stdout.trim(), '', 'discovered: output is not empty');
  const none = spawnSync(discover[0]!, discover.slice(1), { cwd: path.join(tmp, 'without/apps/a'), encoding: 'utf8' });
  t.equal(none.stdout.trim(), '', 'not discovered: empty output');
});

t.test('the repo-server Component renders onto an argocd-repo-server Deployment', { skip: !hasKubectl && 'no kubectl' }, async (t) => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vi-component-'));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  await writeFile(
    path.join(tmp, 'repo-server.yaml'),
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: argocd-repo-server\nspec:\n  selector: {matchLabels: {app: r}}\n  template:\n    metadata: {labels: {app: r}}\n    spec:\n      containers:\n      - name: argocd-repo-server\n        image: quay.io/argoproj/argocd:v3.1.0\n      volumes:\n      - name: var-files\n        emptyDir: {}\n      - name: plugins\n        emptyDir: {}\n',
  );
  await writeFile(path.join(tmp, 'kustomization.yaml'), `resources: [repo-server.yaml]\ncomponents: [${path.relative(tmp, path.join(root, 'hooks/argocd'))}]\n`);
  const { stdout } = await exec('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', tmp]);
  const objs = parseAllDocuments(stdout).map((d) => d.toJS());
  const deploy = objs.find((o) => o.kind === 'Deployment');
  const names = deploy.spec.template.spec.containers.map((c: { name: string }) => c.name);
  t.same([...names].sort(), ['argocd-repo-server', 'verify-images'], 'the sidecar is added, the repo-server kept');
  const sidecar = deploy.spec.template.spec.containers.find((c: { name: string }) => c.name === 'verify-images');
  t.same(sidecar.command, ['/var/run/argocd/argocd-cmp-server']);
  t.equal(sidecar.securityContext.runAsUser, 999, 'Argo CD runs CMP sidecars as uid 999');
  t.ok(sidecar.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/home/argocd/cmp-server/config/plugin.yaml'));
  t.ok(sidecar.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/policies'), 'the policy mount');
  t.ok(objs.some((o) => o.kind === 'ConfigMap' && o.metadata.name === 'argocd-verify-images-cmp'));
});

t.test('the PreSync Job follows the contract', async (t) => {
  const objs = parseAllDocuments(await readFile(path.join(root, 'hooks/argocd/presync-job.yaml'), 'utf8')).map((d) => d.toJS());
  const job = objs.find((o) => o.kind === 'Job');
  t.equal(job.metadata.name, 'verify-images', 'a fixed name');
  t.notOk(job.metadata.generateName);
  t.match(job.metadata.annotations, { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/sync-wave': '-100' });
  t.equal(job.spec.backoffLimit, 0);
  t.ok(job.spec.activeDeadlineSeconds > 0);
  const pod = job.spec.template.spec;
  t.equal(pod.securityContext.runAsNonRoot, true);
  t.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
  t.same(pod.containers[0].args, ['hook', 'argocd-presync']);
  t.equal(pod.serviceAccountName, 'verify-images');
  for (const helper of objs.filter((o) => o.kind !== 'Job')) {
    t.equal(helper.metadata.annotations['argocd.argoproj.io/hook'], 'PreSync', `${helper.kind} exists before the Job`);
    t.ok(Number(helper.metadata.annotations['argocd.argoproj.io/sync-wave']) < -100);
  }
  const verbs = objs.filter((o) => o.kind === 'Role').flatMap((r) => r.rules.flatMap((rule: { verbs: string[] }) => rule.verbs));
  t.notOk(verbs.includes('*') || verbs.includes('delete') || verbs.includes('list'), 'least privilege');
});

t.test('Flux: pre-deploy waits and forces, the app depends on it for the same revision', async (t) => {
  const pre = parse(await readFile(path.join(root, 'hooks/flux/pre-deploy.yaml'), 'utf8'));
  t.match(pre.spec, { wait: true, force: true, timeout: '5m' });
  const app = parse(await readFile(path.join(root, 'hooks/flux/app.yaml'), 'utf8'));
  t.equal(app.spec.dependsOn[0].name, pre.metadata.name);
  t.match(app.spec.dependsOn[0].readyExpr, /dep\.status\.lastAppliedRevision == self\.status\.lastAttemptedRevision/);
});

t.test('Flux example: the Job changes with the app (hashed ConfigMap), so force re-runs it', { skip: !hasKubectl && 'no kubectl' }, async (t) => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'vi-flux-example-'));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  await cp(path.join(root, 'examples/flux-app'), tmp, { recursive: true });
  const jobVolume = async () => {
    const { stdout } = await exec('kubectl', ['kustomize', path.join(tmp, 'apps/shop')]);
    const job = parseAllDocuments(stdout).map((d) => d.toJS()).find((o) => o.kind === 'Job');
    return job.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'input').configMap.name as string;
  };
  const before = await jobVolume();
  t.match(before, /^shop-verify-input-[a-z0-9]+$/);
  const file = path.join(tmp, 'apps/shop/app/deployment.yaml');
  await writeFile(file, (await readFile(file, 'utf8')).replace('shop:1.0', 'shop:1.1'));
  t.not(await jobVolume(), before, 'an app change changes the Job spec');
});

t.test('hooks/Dockerfile: multi-stage, non-root, the tools, and every COPY source exists', async (t) => {
  const text = await readFile(path.join(root, 'hooks/Dockerfile'), 'utf8');
  t.ok((text.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
  t.match(text, /^USER 999/m, 'non-root');
  for (const tool of ['kubectl', 'kustomize', 'helm', 'git', 'gnupg', 'openssh-client']) t.match(text, tool);
  // ClusterImagePolicy cue/rego programs run with the binaries the tests pin (unsupported without them).
  // @ts-expect-error: a plain .mjs script without types
  const { REFERENCE_TOOLS } = (await import('../../scripts/reference-tools.mjs')) as { REFERENCE_TOOLS: { name: string; version: string; pkg: string }[] };
  // helm too: the image renders charts with the helm 3 the tests render with.
  t.match(text, new RegExp(`^ARG HELM_VERSION=${REFERENCE_TOOLS.find((x) => x.name === 'helm' && x.version.startsWith('v3'))!.version}$`, 'm'), 'helm at the tested version');
  for (const name of ['cue', 'opa']) {
    const pinned = REFERENCE_TOOLS.find((x) => x.name === name)!;
    t.match(text, new RegExp(`^ARG ${name.toUpperCase()}_VERSION=${pinned.version}$`, 'm'), `${name} at the version the tests pin`);
    t.match(text, `go install ${pinned.pkg}@\${${name.toUpperCase()}_VERSION}`);
  }
  t.match(text, /^COPY --from=evaluators \/out\/cue \/out\/opa \/usr\/local\/bin\/$/m, 'cue and opa on PATH in the final image');
  t.match(text, /ENTRYPOINT \["\/usr\/local\/bin\/verify-images-entrypoint"\]/);
  const copies = [...text.matchAll(/^COPY (?!--from)(.+)$/gm)].map((m) => m[1]!.trim().split(/\s+/).slice(0, -1)).flat();
  t.ok(copies.length >= 5);
  for (const src of copies) t.ok(existsSync(path.join(root, src)), `COPY ${src} exists`);
  // The launcher loads dist/bundle/ and dist/cli/help.json: only the whole build makes them.
  t.match(await readFile(path.join(root, 'plugin/kubectl-verify_images'), 'utf8'), "import('../dist/bundle/main.js')");
  t.match(text, /^RUN npm ci --ignore-scripts && npm run build && npm prune --omit=dev$/m, 'the build stage runs npm run build');
});

t.test('a build that ran tsc alone says how to finish it, instead of a module path', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-unbuilt-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await cp(path.join(root, 'plugin'), path.join(dir, 'plugin'), { recursive: true });
  await mkdir(path.join(dir, 'dist', 'cli'), { recursive: true });
  const run = spawnSync(process.execPath, [path.join(dir, 'plugin', 'kubectl-verify_images'), '--version'], { encoding: 'utf8', cwd: dir });
  t.equal(run.status, 2);
  t.equal(run.stdout, '');
  t.match(run.stderr, /^error: this installation is not built: .*dist[\\/]bundle is missing\. Run `npm run build` in .* \(tsc alone does not write it\)\.\n$/);
});

t.test('hooks/entrypoint.sh runs the CLI with a writable HOME and cache', async (t) => {
  const home = await mkdtemp(path.join(os.tmpdir(), 'vi-entry-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  // A stand-in CLI that reports what it was given, so the script is tested on its own.
  const bin = path.join(home, 'cli');
  await writeFile(bin, '#!/bin/sh\necho "args=$*"\necho "cache=$VERIFY_IMAGES_CACHE_DIR"\necho "safe=$GIT_CONFIG_KEY_0"\n', { mode: 0o755 });
  const r = spawnSync('sh', [path.join(root, 'hooks/entrypoint.sh'), 'hook', 'argocd-presync'], { env: { PATH: process.env.PATH, HOME: home, VERIFY_IMAGES_BIN: bin }, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, 'args=hook argocd-presync');
  t.match(r.stdout, `cache=${home}/.cache/kubectl-verify-images`);
  t.match(r.stdout, 'safe=safe.directory');
  t.ok(existsSync(path.join(home, '.cache/kubectl-verify-images')), 'the cache directory was created');
  const fail = spawnSync('sh', [path.join(root, 'hooks/entrypoint.sh')], { env: { PATH: process.env.PATH, HOME: home, VERIFY_IMAGES_BIN: '/bin/false' } });
  t.equal(fail.status, 1, "the CLI's exit code is the container's");
});
