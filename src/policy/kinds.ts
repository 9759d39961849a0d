// Kubernetes kinds as policies name them: plural resources (CIP `match[]`,
// ImageValidatingPolicy resourceRules) and Kyverno's Pod autogen controllers.

/** Kyverno's default autogen controllers: a rule on Pod also judges these. */
export const POD_CONTROLLERS = [
  'DaemonSet',
  'Deployment',
  'Job',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'CronJob',
] as const;

const PLURALS: Record<string, string> = {
  pods: 'Pod',
  deployments: 'Deployment',
  daemonsets: 'DaemonSet',
  statefulsets: 'StatefulSet',
  replicasets: 'ReplicaSet',
  replicationcontrollers: 'ReplicationController',
  jobs: 'Job',
  cronjobs: 'CronJob',
};

/**
 * The kind selector (`group/version/Kind`) for a plural resource. Unknown plurals keep a
 * best-effort singular form so a CRD resource still names something, never everything.
 */
export function kindForResource(resource: string, group = '*', version = '*'): string {
  const plural = resource.toLowerCase();
  const kind =
    resource === '*'
      ? '*'
      : (PLURALS[plural] ??
        plural.replace(/ies$/, 'y').replace(/(s|x|ch|sh)es$/, '$1').replace(/s$/, '').replace(/^./, (c) => c.toUpperCase()));
  return `${group === '' ? '' : group}/${version}/${kind}`;
}
