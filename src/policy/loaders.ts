// The static registry of policy formats (one folder each, same `load` shape) and
// the entry point that turns policy files into Policies.

import * as argocd from './argocd/load.js';
import * as cip from './cip/load.js';
import * as flux from './flux/load.js';
import { checkTrustRoot, isTrustRoot, trustRootName } from './cip/trust-root.js';
import { parsePolicyDocuments, type LoadContext, type PolicyDocument } from './document.js';
import * as ivpol from './ivpol/load.js';
import { loadCel } from './ivpol/cel-runtime.js';
import * as kyverno from './kyverno/load.js';
import { PolicyError, type InvalidRequirement, type Policy, type Requirement } from './model.js';
import * as notation from './notation/load.js';
import * as tanzu from './tanzu/load.js';

/** A format loader: the Policy a document holds, or null when the document is not its format. */
export interface PolicyLoader {
  load(doc: PolicyDocument, ctx: LoadContext): Policy | null;
}

/** Static on purpose: a bundled single binary can follow it; a test compares it with the folders. */
export const loaders: Readonly<Record<string, PolicyLoader>> = { kyverno, ivpol, cip, notation, tanzu, argocd, flux };

/**
 * Loads what some formats need before loadPolicies() can read them synchronously: the CEL engine
 * when an ImageValidatingPolicy is among the texts (start-up stays lean otherwise).
 */
export async function prepareLoaders(texts: readonly { text: string }[]): Promise<void> {
  if (texts.some((t) => t.text.includes('ImageValidatingPolicy'))) await loadCel();
}

/**
 * Every policy in the given files, in order. Documents of other kinds are ignored, unless they
 * look like a policy no loader reads (a `*Policy` kind of an unknown group or version, a
 * Notation `trustpolicy*.json` of an unknown version): that, and a malformed policy, throws
 * PolicyError (exit 2) naming the file and line.
 */
export function loadPolicies(
  texts: readonly { file: string; text: string }[],
  extra: Pick<LoadContext, 'trustStores'> = {},
): Policy[] {
  const docs = texts.flatMap(({ file, text }) => parsePolicyDocuments(text, file));
  // TrustRoots are found anywhere in the policy set before any policy refers to them.
  const trustRoots = new Map<string, PolicyDocument>();
  for (const doc of docs.filter(isTrustRoot)) {
    checkTrustRoot(doc);
    const name = trustRootName(doc);
    if (name) trustRoots.set(name, doc);
  }
  const ctx: LoadContext = { trustRoots, ...extra };
  const policies: Policy[] = [];
  for (const doc of docs) {
    const policy = loadOne(doc, ctx);
    if (policy) policies.push(policy);
    else if (!isTrustRoot(doc)) refuseUnknownPolicy(doc);
  }
  warnInvalid(policies);
  // Tanzu reads one policy (named image-policy): a second one would be a different cluster's.
  const tanzuPolicies = policies.filter((p) => p.format === 'tanzu');
  if (tanzuPolicies.length > 1) {
    const second = tanzuPolicies[1]!;
    throw new PolicyError(`a second Tanzu SCST-Sign ClusterImagePolicy (the first is ${tanzuPolicies[0]!.file}:${tanzuPolicies[0]!.line}): the webhook reads exactly one`, second);
  }
  return policies;
}

/** Trust material that does not parse is said once per place it is written (a warning), not once per image. */
function warnInvalid(policies: Policy[]): void {
  const said = new Set<string>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      const found = invalidLeaves(rule.requirement);
      if (rule.requirement.kind === 'cel') found.push(...[...rule.requirement.program.attestors.values()].flatMap((a) => (a.invalid ? [a.invalid] : [])));
      for (const leaf of found) {
        const where = `${leaf.file}:${leaf.line}`;
        if (said.has(where)) continue;
        said.add(where);
        (policy.warnings ??= []).push(`${where}: ${leaf.path}: ${leaf.problem}; images this rule covers are blocked (error), other images are not affected`);
      }
    }
  }
}

function invalidLeaves(req: Requirement): InvalidRequirement[] {
  if (req.kind === 'invalid') return [req];
  if (req.kind === 'all' || req.kind === 'any' || req.kind === 'count') return req.of.flatMap(invalidLeaves);
  if (req.kind === 'attestation') return invalidLeaves(req.signers);
  return [];
}

function loadOne(doc: PolicyDocument, ctx: LoadContext): Policy | null {
  for (const loader of Object.values(loaders)) {
    const policy = loader.load(doc, ctx);
    if (policy) return policy;
  }
  return null;
}

/**
 * Policy kinds that are not image policies: left alone in a policy folder. Any other `*Policy`
 * kind no loader took is refused, so a format this tool cannot read never passes silently.
 */
const OTHER_POLICIES = new Set([
  'networking.k8s.io/NetworkPolicy',
  'policy/PodSecurityPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'kyverno.io/CleanupPolicy',
  'kyverno.io/ClusterCleanupPolicy',
  'policies.kyverno.io/ValidatingPolicy',
  'policies.kyverno.io/NamespacedValidatingPolicy',
  'policies.kyverno.io/MutatingPolicy',
  'policies.kyverno.io/NamespacedMutatingPolicy',
  'policies.kyverno.io/GeneratingPolicy',
  'policies.kyverno.io/NamespacedGeneratingPolicy',
  'policies.kyverno.io/DeletingPolicy',
  'policies.kyverno.io/NamespacedDeletingPolicy',
]);

const SUPPORTED =
  'kyverno.io/v1|v2beta1 ClusterPolicy/Policy, policies.kyverno.io/v1|v1beta1|v1alpha1 (Namespaced)ImageValidatingPolicy, ' +
  'policy.sigstore.dev/v1alpha1|v1beta1 ClusterImagePolicy, signing.apps.tanzu.vmware.com/v1beta1 ClusterImagePolicy, Notation trustpolicy.json version 1.0';

function refuseUnknownPolicy(doc: PolicyDocument): void {
  const { apiVersion, kind } = doc.value;
  const at = { file: doc.file, line: doc.line };
  if (/(^|[\\/])trustpolicy[^\\/]*\.json$/i.test(doc.file)) {
    throw new PolicyError(`not a Notation trust policy this tool reads (it reads version "1.0" with trustPolicies[]); supported: ${SUPPORTED}`, at);
  }
  if (typeof kind !== 'string' || !/Policy$/.test(kind)) return;
  const group = typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (OTHER_POLICIES.has(`${group}/${kind}`)) return;
  throw new PolicyError(
    `${String(apiVersion)} ${kind}: a policy no loader reads; it would be ignored, so nothing is verified. ` +
      `Supported: ${SUPPORTED}. Move documents that are not image policies out of the policy path.`,
    at,
  );
}
