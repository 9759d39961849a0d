// Writes the hook's Event and PolicyReport to the cluster with @kubernetes/client-node
// (imported lazily: it costs ~0.7 s). In a Pod the in-cluster ServiceAccount is used;
// elsewhere KUBECONFIG / ~/.kube/config, or an explicit kubeconfig file.

export interface KubeTarget {
  /** A kubeconfig file; default: in-cluster, then KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
}

const GROUP = 'wgpolicyk8s.io';
const VERSION = 'v1alpha2';
const PLURAL = 'policyreports';

export async function recordOutcome(target: KubeTarget, event: Record<string, any>, report?: Record<string, any>): Promise<string[]> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  if (target.kubeconfig) kc.loadFromFile(target.kubeconfig);
  else kc.loadFromDefault();
  const problems: string[] = [];
  const core = kc.makeApiClient(k8s.CoreV1Api);
  try {
    await core.createNamespacedEvent({ namespace: event.metadata.namespace, body: event as any });
  } catch (e) {
    problems.push(`cannot create the Event: ${describe(e)}`);
  }
  if (!report) return problems;
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, namespace: report.metadata.namespace as string, plural: PLURAL };
  try {
    await custom.createNamespacedCustomObject({ ...ref, body: report });
  } catch (e) {
    if (statusOf(e) !== 409) {
      problems.push(`cannot create the PolicyReport: ${describe(e)}`);
    } else {
      // One report per subject, replaced on every run.
      try {
        const existing = await custom.getNamespacedCustomObject({ ...ref, name: report.metadata.name });
        const body = { ...report, metadata: { ...report.metadata, resourceVersion: existing?.metadata?.resourceVersion } };
        await custom.replaceNamespacedCustomObject({ ...ref, name: report.metadata.name, body });
      } catch (e2) {
        problems.push(`cannot replace the PolicyReport: ${describe(e2)}`);
      }
    }
  }
  return problems;
}

function statusOf(e: unknown): number | undefined {
  const x = e as { code?: unknown; statusCode?: unknown };
  return typeof x.code === 'number' ? x.code : typeof x.statusCode === 'number' ? x.statusCode : undefined;
}

function describe(e: unknown): string {
  const code = statusOf(e);
  const msg = (e as Error).message?.split('\n')[0] ?? String(e);
  return code ? `HTTP ${code}: ${msg.slice(0, 200)}` : msg.slice(0, 200);
}
