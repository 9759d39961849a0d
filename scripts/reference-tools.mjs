// The reference tools the differential tests compare verdicts with, installed with the ordinary Go
// client by module path at pinned versions (`go install module/cmd/x@vX.Y.Z`) into
// node_modules/.reference-tools/<name>-<version>/ (ignored, and gone with `npm ci`: Go's module and
// build caches make the reinstall a relink). Nothing is downloaded any other way.
//
// `node scripts/reference-tools.mjs` installs what is missing; without Go it says so in one line
// (and fails under CI=true, which must never run without them).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The Go toolchain the tools build with (`GOTOOLCHAIN`): the newest the module proxy approves here. */
export const GO_TOOLCHAIN = 'go1.27.3';
export const TOOLS_DIR = path.join(root, 'node_modules', '.reference-tools');

/**
 * Pinned on 2026-12-07: the newest releases the Go module proxy serves here. cosign's newest served
 * v3 is v3.1.4 (v3.1.5/6 are not served); zot is not served at all (zotregistry.dev answers 403), so
 * the registry with the OCI 1.1 referrers API is go-containerregistry's (`crane registry serve`).
 */
export const REFERENCE_TOOLS = [
  { name: 'cosign', version: 'v3.1.4', pkg: 'github.com/sigstore/cosign/v3/cmd/cosign' },
  { name: 'cosign', version: 'v2.6.5', pkg: 'github.com/sigstore/cosign/v2/cmd/cosign' },
  // `go install …@v1.3.2` stops at the deprecation check: the proxy refuses notation's version list
  // (403). Pinned in a module of its own instead (go get …@v1.3.2, then go install): the same build.
  { name: 'notation', version: 'v1.3.2', pkg: 'github.com/notaryproject/notation/cmd/notation', inModule: true },
  { name: 'crane', version: 'v0.22.1', pkg: 'github.com/google/go-containerregistry/cmd/crane' },
  // Argo CD's repo-server runs helm 3 (`helm template`); newer Flux helm-controllers link helm 4: both majors.
  // GitOps tests render with both (test/helpers/reference.ts helmVersions).
  { name: 'helm', version: 'v3.21.4', pkg: 'helm.sh/helm/v3/cmd/helm' },
  { name: 'helm', version: 'v4.3.2', pkg: 'helm.sh/helm/v4/cmd/helm' },
  // Kyverno's CLI: its go.mod has a replace directive, which `go install pkg@version` refuses; built in
  // a module of its own carrying that same directive (from kyverno v1.19.1's go.mod), the release's build.
  {
    name: 'kubectl-kyverno',
    version: 'v1.19.1',
    pkg: 'github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno',
    inModule: true,
    replaces: ['k8s.io/pod-security-admission=github.com/kyverno/pod-security-admission@v0.0.0-20251031094455-46f20778634f'],
  },
  // policy-controller's `policy-tester` (cmd/tester): one ClusterImagePolicy against one image, as the webhook
  // judges it. Its go.mod has replace directives too: built the same way, with those directives.
  {
    name: 'policy-tester',
    bin: 'tester',
    version: 'v0.13.1',
    pkg: 'github.com/sigstore/policy-controller/cmd/tester',
    inModule: true,
    replaces: [
      'github.com/golang/glog=github.com/jdolitsky/glog@v0.0.0-20220729172235-78744e90d087',
      'k8s.io/code-generator=k8s.io/code-generator@v0.29.4',
      'k8s.io/kube-openapi=k8s.io/kube-openapi@v0.0.0-20231010175941-2dd684a91f00',
    ],
  },
  // sigstore/k8s-manifest-sigstore: signs and verifies YAML manifests (issue 24's reference).
  { name: 'kubectl-sigstore', version: 'v0.5.4', pkg: 'github.com/sigstore/k8s-manifest-sigstore/cmd/kubectl-sigstore' },
  // The evaluators of ClusterImagePolicy `policy{type: cue|rego}` (hooks/Dockerfile ships the same).
  { name: 'cue', version: 'v0.17.1', pkg: 'cuelang.org/go/cmd/cue' },
  { name: 'opa', version: 'v1.22.4', pkg: 'github.com/open-policy-agent/opa' },
];

/** Where a tool's binary is (installed or not). */
export function toolPath(name, version) {
  const tool = REFERENCE_TOOLS.find((t) => t.name === name && (version === undefined || t.version === version));
  if (!tool) throw new Error(`no reference tool ${name}${version ? `@${version}` : ''} is pinned`);
  return path.join(TOOLS_DIR, `${tool.name}-${tool.version}`, tool.bin ?? tool.name);
}

/** Why the reference tools cannot be had here, or undefined when Go is there. */
export function noGo() {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? 'Go is not on PATH: install Go (https://go.dev/dl) and run `node scripts/reference-tools.mjs` to enable the differential tests against cosign and notation' : undefined;
}

export function installReferenceTools({ log = (s) => process.stderr.write(`${s}\n`) } = {}) {
  const why = noGo();
  if (why) {
    if (process.env.CI === 'true') throw new Error(`reference tools: ${why}`);
    log(`reference tools: skipped (${why})`);
    return false;
  }
  for (const t of REFERENCE_TOOLS) {
    const bin = toolPath(t.name, t.version);
    if (existsSync(bin)) continue;
    mkdirSync(path.dirname(bin), { recursive: true });
    log(`reference tools: go install ${t.pkg}@${t.version} …`);
    const started = Date.now();
    // cosign v3.1 needs Go 1.27: the go command fetches that toolchain from the module proxy (once).
    const env = { ...process.env, GOBIN: path.dirname(bin), GOFLAGS: '-trimpath', CGO_ENABLED: '0', GOTOOLCHAIN: GO_TOOLCHAIN };
    // Quiet unless it fails (`go get` lists every module it adds).
    const go = (args, cwd) => {
      const r = spawnSync('go', args, { env, cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`go ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stderr ?? ''}`);
    };
    if (t.inModule) {
      const mod = path.join(TOOLS_DIR, `.module-${t.name}-${t.version}`);
      mkdirSync(mod, { recursive: true });
      if (!existsSync(path.join(mod, 'go.mod'))) go(['mod', 'init', `reference-tools/${t.name}`], mod);
      for (const r of t.replaces ?? []) go(['mod', 'edit', `-replace=${r}`], mod);
      go(['get', `${t.pkg}@${t.version}`], mod);
      go(['install', t.pkg], mod);
    } else {
      go(['install', `${t.pkg}@${t.version}`]);
    }
    log(`reference tools: ${t.name} ${t.version} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    installReferenceTools();
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
