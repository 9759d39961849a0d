// kubectl conventions and the live-cluster audit:
//   --kubeconfig, --context, -n/--namespace, -A/--all-namespaces (as kubectl reads them),
//   --cluster (verify the images of the workloads running in the cluster),
//   --policies-from-cluster (use the Kyverno / ClusterImagePolicy objects stored there).
// The verify handler hands over to clusterHandler() when --cluster is set.
// client-node is imported only inside the handler.

import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { RegisterCommand } from './commands.js';
import { CLUSTER_OPTIONS } from './options.js';
import { type CliIO, engineOptions, formatterFor, toOptions, UsageError, type VerifyFlags } from './verify.js';

export interface ClusterFlags extends VerifyFlags {
  cluster?: boolean;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  policiesFromCluster?: boolean;
  /** false with --no-headers */
  headers?: boolean;
}

/** Global options: kubectl's connection flags and the cluster mode switches. */
export const registerCluster: RegisterCommand = (cli: Argv) =>
  cli
    .options(CLUSTER_OPTIONS)
    .group(['cluster', 'policies-from-cluster', 'kubeconfig', 'context', 'namespace', 'all-namespaces'], 'Cluster (kubectl flags):')
    .example('$0 --cluster -n prod', 'verify the images running in namespace prod against .verify-images/')
    .example('$0 --cluster -A --policies-from-cluster', 'audit every namespace against the policies installed in the cluster');

/** Runs a cluster audit; the exit code follows the verify contract (0/1/3). */
export async function clusterHandler(argv: ArgumentsCamelCase<ClusterFlags>, io: CliIO): Promise<number> {
  const inputs = [...(argv.paths ?? []), ...(argv.filename ?? []), ...(argv.kustomize ?? [])];
  if (inputs.length > 0) throw new UsageError('--cluster reads workloads from the cluster: do not pass manifest paths');
  if ((argv as { offline?: boolean }).offline) throw new UsageError('--cluster reads the live cluster: it cannot run --offline');
  if (argv.namespace && argv.allNamespaces) throw new UsageError('-n/--namespace and -A/--all-namespaces cannot be used together');

  const { loadConfig, policyPaths } = await import('../config/load.js');
  const { config } = await loadConfig(io.cwd, argv.config);
  const options = toOptions(argv, config, io.env, io.isTTY);
  const formatter = await formatterFor(options.output);

  const { readKubeconfig, selectTarget, toClientConfig } = await import('../config/kubeconfig.js');
  const target = selectTarget(await readKubeconfig(argv, io.env), argv);
  const { ClusterReader, readClusterPolicies, readClusterUses, readPolicySecrets } = await import('../sources/cluster.js');
  const reader = new ClusterReader(await toClientConfig(target));

  // Policies: the repository's (unless there are none and the cluster's are asked for), then the cluster's.
  let paths: string[] = [];
  try {
    paths = policyPaths(io.cwd, options.policyFlags, config);
  } catch (err) {
    if (!argv.policiesFromCluster || (err as { code?: string }).code !== 'CONFIG_ERROR') throw err;
  }
  const { loadPolicyPaths } = await import('../engine/run.js');
  const { loadPolicies, prepareLoaders } = await import('../policy/loaders.js');
  const loadClusterPolicySet = async (texts: { file: string; text: string }[]) => {
    await prepareLoaders(texts);
    return loadPolicies(texts);
  };
  const policies = [
    ...(await loadPolicyPaths(paths, io.cwd)),
    ...(argv.policiesFromCluster ? await loadClusterPolicySet(await readClusterPolicies(reader, target.namespace)) : []),
  ];

  const { uses, workloads, pullSecrets, warnings } = await readClusterUses(reader, target.namespace);
  // Kyverno imageRegistryCredentials.secrets: what Kyverno itself pulls with, so they come before the workloads' own.
  pullSecrets.unshift(...(await readPolicySecrets(reader, policies, (m) => warnings.push(m))));
  for (const w of new Set(warnings)) io.stderr(`warning: ${w}\n`);

  const { loadCredentialStore } = await import('../registry/credentials.js');
  const { chainCredentialStores, pullSecretCredentialStore } = await import('../registry/pull-secrets.js');
  const { run } = await import('../engine/run.js');
  const { exitCode } = await import('../engine/result.js');
  const { startProgress } = await import('../report/progress.js');
  const images = new Set(uses.map((u) => u.image)).size;
  const progress = startProgress(io.progress, { label: () => `verifying ${images} images from ${workloads} workloads` });
  const { result } = await run({
    ...engineOptions(options, argv, io),
    inputs: [],
    uses,
    policyPaths: [],
    policies,
    // Pull secrets first (what the kubelet would use), then the user's docker config.
    credentials: chainCredentialStores(pullSecretCredentialStore(pullSecrets), loadCredentialStore(io.env)),
  }).finally(() => progress.stop());
  io.stdout(formatter(result, { color: options.color, noHeaders: argv.headers === false }));
  if (argv.verbose) {
    const where = target.namespace === undefined ? 'all namespaces' : `namespace ${target.namespace}`;
    io.stderr(`verify-images: context ${target.context}, ${where}: ${workloads} workloads, ${uses.length} image uses, ${policies.length} policies, ${pullSecrets.length} pull secrets\n`);
  }
  return exitCode(result);
}
