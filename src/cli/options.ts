// The flags, as data: yargs registers them (main.ts, verify.ts, cluster.ts) and the plain
// `verify` path parses them with yargs-parser alone (fast-verify.ts), so both read one table.

import type { Options } from 'yargs';

/** Global flags of every command. */
export const ROOT_OPTIONS = {
  policy: { alias: 'p', type: 'string', array: true, nargs: 1, describe: 'policy file or directory (repeatable: -p A -p B; one path each)' },
  config: { type: 'string', describe: 'config file (default: search for .verify-imagesrc.* up to the repository root)' },
  output: { alias: 'o', type: 'string', describe: 'output format: table|wide|json|yaml|sarif|junit|github|markdown|html|name' },
  concurrency: { type: 'number', describe: 'images verified at once (default 16)' },
  'cache-dir': { type: 'string', describe: 'verdict cache directory (default $XDG_CACHE_HOME/kubectl-verify-images)' },
  cache: { type: 'boolean', describe: 'use the verdict cache (--no-cache to disable)' },
  'publish-vsa': { type: 'boolean', describe: 'attach a signed SLSA Verification Summary Attestation to every image that passed (needs --vsa-key and push access)' },
  'vsa-key': { type: 'string', describe: 'key to sign VSAs: PEM private key, cosign key (COSIGN_PASSWORD) or k8s://ns/secret' },
  'vsa-format': { type: 'string', choices: ['legacy', 'bundle'], describe: 'how VSAs are attached: legacy .att image (default) or Sigstore bundle referrer' },
  'vsa-policy-uri': { type: 'string', describe: 'policy.uri written in VSAs (default: the policy paths)' },
  'cache-url': { type: 'string', describe: 'verdict store shared by a fleet: redis://HOST:PORT[/DB] or rediss://… (env VERIFY_IMAGES_CACHE_URL; needs VERIFY_IMAGES_CACHE_KEY)' },
  'insecure-registry': { type: 'string', array: true, nargs: 1, describe: 'registry host reached over plain HTTP' },
  'registry-ca': { type: 'string', describe: 'PEM file with extra CA certificates for registries' },
  'trusted-root': { type: 'string', describe: 'sigstore trusted_root.json (default: the public-good root shipped offline)' },
  'gpg-keys': { type: 'string', describe: 'OpenPGP public keys for commit signatures: a directory or file (armored or binary), or Argo CD\'s argocd-gpg-keys-cm ConfigMap; with --repo alone, the revision must be signed by one of them' },
  'allowed-signers': { type: 'string', describe: 'SSH allowed signers file (git\'s gpg.ssh.allowedSignersFile) for SSH commit signatures; with --repo alone, the revision must be signed by one of them' },
  color: { type: 'boolean', describe: 'colour the table (--no-color, or NO_COLOR, disables)' },
  offline: { type: 'boolean', describe: 'no network at all: verdicts from the verdict cache, keys and trust roots from local files; anything else is an error' },
  timeout: { type: 'string', describe: 'deadline for the whole run, e.g. 60s, 2m (default 60s; 0: none); images undecided then are errors' },
  'request-timeout': { type: 'string', describe: 'deadline for one registry exchange (default 10s)' },
  verbose: { alias: 'v', type: 'boolean', describe: 'print counts on stderr (and progress lines when stderr is not a terminal)' },
} as const satisfies Record<string, Options>;

/** Flags of `verify` (the default command) besides its `[paths..]`. */
export const VERIFY_OPTIONS = {
  filename: { alias: 'f', type: 'string', array: true, nargs: 1, describe: 'manifest file or directory (kubectl style)' },
  kustomize: { alias: 'k', type: 'string', array: true, nargs: 1, describe: 'kustomization directory to render and verify' },
  recursive: { alias: 'R', type: 'boolean', describe: 'read -f directories recursively, as kubectl apply -R -f does (without it: their top level only); PATH arguments are always read recursively' },
} as const satisfies Record<string, Options>;

/** kubectl's connection flags and the cluster-mode switches (global, registered by cluster.ts). */
export const CLUSTER_OPTIONS = {
  cluster: { type: 'boolean', describe: 'audit the workloads running in the cluster instead of manifest files' },
  'policies-from-cluster': { type: 'boolean', describe: 'with --cluster: also use the Kyverno ClusterPolicies/Policies and ClusterImagePolicies stored in the cluster' },
  kubeconfig: { type: 'string', describe: 'kubeconfig file (default: $KUBECONFIG files merged, else ~/.kube/config)' },
  context: { type: 'string', describe: 'kubeconfig context to use' },
  namespace: { alias: 'n', type: 'string', describe: "namespace to audit (default: the context's); for manifests, the namespace objects that name none are applied to (default: default)" },
  'all-namespaces': { alias: 'A', type: 'boolean', describe: 'audit every namespace' },
  // yargs reads --no-headers as headers=false.
  headers: { type: 'boolean', describe: 'print the table header (--no-headers: table/wide rows only, for scripts)' },
} as const satisfies Record<string, Options>;
