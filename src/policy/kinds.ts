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

/** The built-in kinds that create pods: API group and plural resource. */
const BUILT_IN: readonly { kind: string; group: string; plural: string }[] = [
  { kind: 'Pod', group: '', plural: 'pods' },
  { kind: 'PodTemplate', group: '', plural: 'podtemplates' },
  { kind: 'ReplicationController', group: '', plural: 'replicationcontrollers' },
  { kind: 'Deployment', group: 'apps', plural: 'deployments' },
  { kind: 'ReplicaSet', group: 'apps', plural: 'replicasets' },
  { kind: 'StatefulSet', group: 'apps', plural: 'statefulsets' },
  { kind: 'DaemonSet', group: 'apps', plural: 'daemonsets' },
  { kind: 'Job', group: 'batch', plural: 'jobs' },
  { kind: 'CronJob', group: 'batch', plural: 'cronjobs' },
];

const PLURALS: Record<string, string> = Object.fromEntries(BUILT_IN.map((k) => [k.plural, k.kind]));

/** API group and plural of a built-in kind (`Deployment` → apps, deployments); undefined for others. */
export function resourceForKind(kind: string): { group: string; resource: string } | undefined {
  const k = BUILT_IN.find((b) => b.kind === kind);
  return k && { group: k.group, resource: k.plural };
}

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
