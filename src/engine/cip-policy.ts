// policy-controller's ClusterImagePolicy-level `spec.policy`: every authority is judged, the ones
// that pass become `authorityMatches.<name>` as policy-controller reports them (static,
// signatures, or attestations by name), the workload and config files are added when asked, and
// the program (cue/opa) must accept that JSON (pkg/webhook/validator.go ValidatePolicy). The input
// is built by pure functions; running the program is the only I/O.

import type { Workload } from '../manifests/types.js';
import { evaluate, keyLeaves, type Leaf, type LeafOutcome, type Outcome } from '../policy/evaluate.js';
import type { CipPolicy } from '../policy/model.js';
import { checkPayloadPolicy } from './policy-program.js';

/**
 * `{authorityMatches}` from the leaves' outcomes, or why it cannot be known: an authority this
 * tool cannot evaluate would be in policy-controller's matches, so the program's input is unknown.
 */
export function authorityMatches(cip: CipPolicy, leafOutcome: (leaf: Leaf) => LeafOutcome): { matches: Record<string, unknown> } | { undecided: string } {
  const matches: Record<string, unknown> = {};
  for (const a of cip.authorities) {
    const o = evaluate(a.requirement, leafOutcome);
    if (o.unsupported) return { undecided: `authority ${a.name} cannot be evaluated here, so which authorities match (the program's input) is unknown: ${o.reasons.join('; ')}` };
    if (o.status !== 'pass') continue;
    const leaves = keyLeaves(a.requirement);
    if (leaves.length === 0) matches[a.name] = { static: true };
    else if (leaves.every((l) => l.kind === 'attestation')) {
      const byName: Record<string, unknown[]> = {};
      for (const l of leaves) if (l.kind === 'attestation') (byName[l.name ?? l.predicateType] ??= []).push(...(leafOutcome(l).matches ?? []));
      matches[a.name] = { attestations: byName };
    } else matches[a.name] = { signatures: leaves.flatMap((l) => leafOutcome(l).matches ?? []) };
  }
  return { matches };
}

/**
 * What policy-tester's --resource adds: the object's `spec` and `metadata`, `{kind, apiVersion}`;
 * a string when the object lacks what the policy asks for (policy-tester refuses such a resource).
 */
export function workloadInput(include: CipPolicy['include'], w: Workload): Record<string, unknown> | string {
  const o = w.object;
  const what = `${w.kind}${w.name ? `/${w.name}` : ''}`;
  if (!o) return `${what}: the object was not kept for the policy's includeSpec/includeObjectMeta/includeTypeMeta`;
  if (include.spec && o['spec'] === undefined) return `${what} has no spec for includeSpec`;
  if (include.objectMeta && o['metadata'] === undefined) return `${what} has no metadata for includeObjectMeta`;
  return {
    ...(include.spec && { spec: o['spec'] }),
    ...(include.objectMeta && { metadata: o['metadata'] }),
    ...(include.typeMeta && { typemeta: { kind: w.kind, apiVersion: w.apiVersion } }),
  };
}

/** The rule's outcome once its authorities passed: the program decides (a failure or a Rego warning fails; no evaluator is undecided). */
export async function cipPolicyOutcome(
  cip: CipPolicy,
  outcomes: Map<Leaf, LeafOutcome>,
  passed: Outcome,
  env: NodeJS.ProcessEnv | undefined,
  workloads: Workload[],
  configs: () => Promise<Record<string, unknown>>,
): Promise<Outcome> {
  const known = authorityMatches(cip, (leaf) => outcomes.get(leaf) ?? { status: 'error', reasons: ['not checked'] });
  if ('undecided' in known) return { status: 'error', unsupported: true, reasons: [`policy: ${known.undecided}`] };
  const { include } = cip;
  let config: Record<string, unknown> | undefined;
  if (include.config) {
    try {
      config = await configs();
    } catch (err) {
      // policy-controller denies when a config cannot be had; here it is undecided, never passed.
      return { status: 'error', reasons: [`policy: cannot fetch the image's config files for fetchConfigFile: ${(err as Error).message}`] };
    }
  }
  const base = { authorityMatches: known.matches, ...(config && { config }) };
  // With the workload in its input the program runs once per workload using the image (policy-tester's --resource).
  const perWorkload = include.spec || include.objectMeta || include.typeMeta;
  if (perWorkload && workloads.length === 0) return { status: 'error', reasons: ['policy: no workload to give the program (includeSpec/includeObjectMeta/includeTypeMeta)'] };
  const inputs: { where: string; input: Record<string, unknown> }[] = [];
  for (const w of perWorkload ? workloads : []) {
    const added = workloadInput(include, w);
    // Without it CUE would add the field the program asks for, and pass: never judged that way.
    if (typeof added === 'string') return { status: 'error', reasons: [`policy: ${added}`] };
    inputs.push({ where: `${w.kind}${w.name ? `/${w.name}` : ''}: `, input: { ...base, ...added } });
  }
  if (!perWorkload) inputs.push({ where: '', input: base });
  const failures: string[] = [];
  for (const { where, input } of inputs) {
    const check = await checkPayloadPolicy(cip.policy, JSON.stringify(input), 'ClusterImagePolicy', env);
    if (check.ok) continue;
    if (check.unsupported || check.error) return { status: 'error', reasons: [`policy: ${where}${check.reason}`], ...(check.unsupported && { unsupported: true as const }) };
    failures.push(`policy: ${where}${check.reason}`);
  }
  if (failures.length > 0) return { status: 'fail', reasons: failures };
  const names = Object.keys(known.matches);
  return { ...passed, reasons: [...passed.reasons, `policy: the ${cip.policy.type} program accepts the matching authorities (${names.join(', ')})`] };
}
