// The one internal policy model every loader (Kyverno, ClusterImagePolicy, …)
// compiles into. Each loader states its engine's semantics here explicitly, so
// the engine never needs to know which format a rule came from.

import type { Workload } from '../manifests/types.js';

export type PolicyFormat = 'kyverno' | 'cip' | 'native' | 'notation';

/** Where a piece of a policy was written: for explanations and exit-2 errors. */
export interface PolicySource {
  file: string;
  line: number;
}

/** A policy document as loaded (one ClusterPolicy, one ClusterImagePolicy…). */
export interface Policy extends PolicySource {
  format: PolicyFormat;
  name: string;
  /** Namespaced policies (Kyverno `Policy`) apply only to workloads in this namespace. */
  namespace?: string;
  rules: PolicyRule[];
}

/**
 * How image patterns are matched.
 * - kyverno: `*` crosses `/`, `?` one char, matched against kyvernoName() (docker.io form).
 * - cip: `*` stops at `/`, `**` crosses; matched against cipName() (index.docker.io form)
 *   with the raw-string fallback; `*` and `*\/*` legacy rewrites.
 */
export type GlobFlavour = 'kyverno' | 'cip';

export interface ImageMatcher {
  flavour: GlobFlavour;
  include: string[];
  exclude: string[];
}

/** What happens when a rule fails. */
export type RuleMode = 'enforce' | 'audit';

/** A single verification rule: one Kyverno verifyImages entry, one CIP. */
export interface PolicyRule extends PolicySource {
  /** Path inside the policy, e.g. `rules[0].verifyImages[0]` or `spec`. */
  path: string;
  /** Kyverno rule name, when there is one. */
  ruleName?: string;
  images: ImageMatcher;
  /** Which workloads the rule judges; absent = all. Pure data evaluated by appliesTo(). */
  resources?: ResourceFilter;
  mode: RuleMode;
  /** Whether an undecidable image (registry/network error) blocks: Kyverno failurePolicy, CIP always. */
  onError: 'block' | 'allow';
  digest: DigestPolicy;
  requirement: Requirement;
}

/** Kyverno's three digest switches (CIP: mutate=true, verify=true, required=true). */
export interface DigestPolicy {
  mutateDigest: boolean;
  verifyDigest: boolean;
  required: boolean;
}

/** Resource filters, normalised from Kyverno match/exclude or CIP match[]. */
export interface ResourceFilter {
  /** Any of these must match (Kyverno `match.any`, or a single `match.all` turned into one clause). */
  match: ResourceClause[][];
  /** A workload matching any of these is excluded. */
  exclude: ResourceClause[][];
}

/** All fields present must match (AND). */
export interface ResourceClause {
  /** Kinds, with autogen already applied (Pod → controllers). `*` allowed. */
  kinds?: string[];
  namespaces?: string[];
  /** Name patterns with wildcards. */
  names?: string[];
  selector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  /** Annotations that must be present, values with wildcards (Kyverno `resources.annotations`). */
  annotations?: Record<string, string>;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** The verification tree of a rule. Leaves are checked against the registry; inner nodes combine. */
export type Requirement =
  | { kind: 'all'; path: string; of: Requirement[] } // Kyverno attestors[] AND
  | { kind: 'any'; path: string; of: Requirement[] } // CIP authorities OR
  | { kind: 'count'; path: string; min: number; of: Requirement[] } // Kyverno entries + count
  | { kind: 'static'; path: string; action: 'pass' | 'fail'; message?: string }
  | KeyRequirement
  | { kind: 'unsupported'; path: string; field: string };

/** Signed with one of these public keys (cosign legacy `.sig` today). */
export interface KeyRequirement {
  kind: 'key';
  path: string;
  line: number;
  /** PEM `PUBLIC KEY` (SPKI) texts; any one verifying is enough for this leaf. */
  keys: string[];
  /** Digest used for ECDSA/RSA signatures: sha224|sha256|sha384|sha512. */
  hashAlgorithm: 'sha224' | 'sha256' | 'sha384' | 'sha512';
  /** Key/values that must appear in the payload's `optional` annotations. */
  annotations: Record<string, string>;
  /** Alternate repository holding the signatures (Kyverno `repository`, CIP `source[].oci`). */
  signatureRepository?: string;
  /** Whether a Rekor SET must be present and valid. */
  tlog: 'require' | 'ignore';
  /** PEM of a private Rekor's key (Kyverno rekor.pubkey); else the trusted root's logs. */
  rekorPublicKeys?: string[];
}

/** A policy file that cannot be loaded: exit 2 naming the file and line. */
export class PolicyError extends Error {
  readonly code = 'POLICY_ERROR';
  constructor(
    message: string,
    readonly source: PolicySource,
  ) {
    super(`${source.file}:${source.line}: ${message}`);
  }
}

/** A rule that applies to an image in a workload, or skipped it on purpose. */
export interface RuleSelection {
  policy: Policy;
  rule: PolicyRule;
  /** True when the image matched `skipImageReferences`/exclude: status skip. */
  skipped: boolean;
}

export type { Workload };
