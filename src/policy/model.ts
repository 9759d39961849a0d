// The one internal policy model every loader (Kyverno, ClusterImagePolicy, …)
// compiles into. Each loader states its engine's semantics here explicitly, so
// the engine never needs to know which format a rule came from.

import type { Workload } from '../manifests/types.js';

export type PolicyFormat = 'kyverno' | 'cip' | 'native' | 'notation' | 'tanzu' | 'argocd' | 'flux';

/** Where a piece of a policy was written: for explanations and exit-2 errors. */
export interface PolicySource {
  file: string;
  line: number;
}

/**
 * The namespace of a namespaced policy written without one: replaced by the namespace the run
 * applies objects to (`-n`, the hook's destination; else kubectl's `default`) before judging.
 */
export const APPLIED_NAMESPACE = '\0applied';

/** A policy document as loaded (one ClusterPolicy, one ClusterImagePolicy…). */
export interface Policy extends PolicySource {
  format: PolicyFormat;
  name: string;
  /** Namespaced policies (Kyverno `Policy`) apply only to workloads in this namespace. */
  namespace?: string;
  rules: PolicyRule[];
  /** Rules over other subjects than images: signed manifests (Kyverno `validate.manifests`). */
  manifestRules?: ManifestRule[];
  /** Signed commits at the revision verified (Argo CD AppProject, Flux GitRepository `spec.verify`). */
  commitRules?: CommitRule[];
  /** Said on stderr when the policy loads (a deprecated API version). */
  warnings?: string[];
}

/**
 * How image patterns are matched.
 * - kyverno: `*` crosses `/`, `?` one char, matched against kyvernoName() (docker.io form).
 * - cip: `*` stops at `/`, `**` crosses; matched against cipName() (index.docker.io form)
 *   with the raw-string fallback; `*` and `*\/*` legacy rewrites.
 * - tanzu: `*` matches any characters (`/`, `.`, `:` too), against the image as written.
 * - notation: a trust policy's registry scopes: the exact `registry/repository` (docker.io and
 *   `library/` as a reference without them is read), or a lone `*`.
 */
export type GlobFlavour = 'kyverno' | 'cip' | 'notation' | 'tanzu';

export interface ImageMatcher {
  flavour: GlobFlavour;
  include: string[];
  /** Matching images are `skip` (Kyverno skipImageReferences). */
  exclude: string[];
  /** Matching images are left to another rule: not judged here at all (Notation: an exact scope beats `*`). */
  deferTo?: string[];
}

/** What happens when a rule fails. */
export type RuleMode = 'enforce' | 'audit';

export interface ModeOverride {
  mode: RuleMode;
  /** Namespace patterns (`*`, `?`); absent: every namespace the selector admits. */
  namespaces?: string[];
  /** Where it is written, e.g. `spec.validationFailureActionOverrides[0]`. */
  path: string;
  /** A namespaceSelector is present: whether it admits a namespace cannot be known from manifests. */
  namespaceSelector?: true;
}

/**
 * Kyverno `validate.manifests` (k8s-manifest-sigstore): every object the rule matches must equal a
 * manifest signed by its attestors, fields in `ignoreFields` (and the built-in lists) excepted.
 * The attestors are the image rules' requirement tree; its key leaves are checked against the
 * signature sets in the object's annotations (or its manifest bundle image).
 */
export interface ManifestRule extends PolicySource {
  /** e.g. `rules[0].validate.manifests`. */
  path: string;
  ruleName?: string;
  resources: ResourceFilter;
  mode: RuleMode;
  modeOverrides?: ModeOverride[];
  onError: 'block' | 'allow';
  /** `annotationDomain` (default `cosign.sigstore.dev`): `<domain>/message`, `/signature`… */
  annotationDomain: string;
  /** The policy's `ignoreFields`, before the built-in ones. */
  ignoreFields: IgnoreFields[];
  /** `repository`: the manifest bundle image (an object's `<domain>/resourceBundleRef` wins). */
  repository?: string;
  /** `dryRun.enable`: needs a cluster; said, not used. */
  dryRun?: true;
  /** `attestors[]` ANDed (Kyverno refuses a manifests rule without attestors). */
  requirement: Requirement;
}

/**
 * A revision's signature, as the GitOps tool that fetches it checks it. Argo CD (AppProject
 * `sourceIntegrity.git.policies[].gpg`, or the legacy `signatureKeys` as one `head` policy for
 * every repository): GnuPG signatures by one of `keyIds` (the signing key's or its primary key's
 * long ID), `head` = the commit (or the annotated tag the revision names), `strict` = and every
 * ancestor down to signed `Argocd-gpg-seal:` commits. Flux (GitRepository `spec.verify`): any key
 * of a Secret (`.asc` OpenPGP, `.sshpub` SSH), `HEAD` = the commit, `Tag` = the tag object,
 * `TagAndHEAD` both.
 */
export interface CommitRule extends PolicySource {
  path: string;
  /** Which repositories: Argo CD URL globs (`!` excludes), or the one URL a GitRepository fetches. */
  repos: { globs: string[] } | { url: string };
  engine: 'argocd' | 'flux' | 'flags';
  mode: 'head' | 'strict' | 'HEAD' | 'Tag' | 'TagAndHEAD';
  /** Argo CD: allowed key IDs (16 hex; a 40-hex fingerprint stands for its last 16). */
  keyIds?: string[];
  /** Flux: the Secret holding the public keys (read from the repository, else --gpg-keys / --allowed-signers). */
  secret?: { namespace: string; name: string };
  /** Argo CD mode `none`: the repositories are claimed by this policy and nothing is verified. */
  none?: true;
}

/** k8s-manifest-sigstore ObjectFieldBinding: these field patterns, for objects matching one of `objects` (none = all). */
export interface IgnoreFields {
  fields: string[];
  objects: { group?: string; version?: string; kind?: string; name?: string; namespace?: string }[];
}

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
  /**
   * Kyverno `spec.validationFailureActionOverrides`, in order: the first whose namespaces match the
   * workload's sets the mode. A `namespaceSelector` needs the namespace's labels, which manifests do
   * not carry: such an override leaves the mode undecided there.
   */
  modeOverrides?: ModeOverride[];
  /** Whether an undecidable image (registry/network error) blocks: Kyverno failurePolicy, CIP always. */
  onError: 'block' | 'allow';
  digest: DigestPolicy;
  requirement: Requirement;
  /** CEL selection (ImageValidatingPolicy matchConditions, matchImageReferences expressions). */
  cel?: CelSelection;
  /** Kyverno `validate.deny`: checked over the verified attestations once the requirement passed. */
  deny?: DenyCheck;
  /** ClusterImagePolicy `spec.policy`: a program over the matching authorities, once one matched. */
  cipPolicy?: CipPolicy;
  /** Workloads in these namespaces are not checked: their images are `skip` (Tanzu exclude.resources.namespaces). */
  skipNamespaces?: string[];
  /** Kyverno `imageRegistryCredentials.secrets` as `namespace/name`: pull secrets read in cluster mode. */
  pullSecrets?: string[];
  /** The installation's verdict for images no other rule of the policy matches (TAP's allow_unmatched_images: false). */
  unmatchedDefault?: true;
  /** Kyverno imageExtractors: for objects of these kinds, images at these paths, judged by this rule only. */
  imageExtractors?: { kind: string; extractors: import('../manifests/path-extract.js').PathExtractor[] }[];
}

/**
 * policy-controller's CIP-level policy: every authority is judged, those that pass become
 * `authorityMatches.<name>` (signatures, attestations or static), and the program must accept that
 * JSON (pkg/webhook/validator.go ValidatePolicy).
 */
export interface CipPolicy {
  policy: PayloadPolicy;
  /** `includeSpec` / `includeObjectMeta` / `includeTypeMeta`: the workload's spec, metadata, {kind, apiVersion}, as policy-tester passes them. */
  include: { spec: boolean; objectMeta: boolean; typeMeta: boolean; /** `fetchConfigFile`: the image's config per platform. */ config: boolean };
  /** In spec order; `name` defaults to `authority-<i>` as policy-controller names them. */
  authorities: { name: string; requirement: Requirement }[];
}

/** Kyverno `validate: {message, deny: {conditions}}` of a verifyImages entry. */
export interface DenyCheck {
  conditions: ConditionBlock[];
  message?: string;
  line: number;
  /** Attestation names whose predicates the conditions read. */
  names: string[];
}

/** Selection a rule makes with code (CEL matchConditions, Kyverno preconditions); an error string means the rule applies and reports it. */
export interface CelSelection {
  /** matchConditions / preconditions over the workload's object (and the image, for Kyverno's image.* variables). */
  applies?(workload: Workload, image?: string): boolean | string;
  /** matchImageReferences: the image as written. */
  images?(image: string): boolean | string;
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
  | CertificateRequirement
  | AttestationRequirement
  | NotationRequirement
  | CelRequirement
  | InvalidRequirement
  | { kind: 'unsupported'; path: string; field: string };

/**
 * Trust material written in a rule that does not parse (a template placeholder left in, a key cut
 * short): the rule cannot verify anything, so each image it covers is \`error\` (blocked, whatever
 * the mode), as Kyverno fails only the images the rule matches; other rules are unaffected.
 */
/** In every InvalidRequirement problem: what the report's note and hint know a broken policy by. */
export const PLACEHOLDER_MARK = '— a placeholder?';

export interface InvalidRequirement {
  kind: 'invalid';
  path: string;
  file: string;
  line: number;
  /** What is wrong, e.g. "does not parse as a PEM public key — a placeholder? (no PEM block)". */
  problem: string;
}

/**
 * An ImageValidatingPolicy's validations (CEL): evaluated per workload and image by the engine,
 * which answers the verification functions they call. The program is compiled at load.
 */
export interface CelRequirement {
  kind: 'cel';
  path: string;
  line: number;
  program: import('./ivpol/program.js').IvpolProgram;
}

/** The leaves that say who signed: checked against signatures (or, inside an attestation, its envelope). */
export type SignerRequirement = KeyRequirement | CertificateRequirement;

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
  /** `layer`: Kyverno ImageValidatingPolicy reads them from the signature layer's OCI annotations instead. */
  annotationsOn?: 'layer';
  /** Alternate repository holding the signatures (Kyverno `repository`, CIP `source[].oci`). */
  signatureRepository?: string;
  /** Whether a Rekor SET must be present and valid. */
  tlog: 'require' | 'ignore';
  /** PEM of a private Rekor's key (Kyverno rekor.pubkey); else the trusted root's logs. */
  rekorPublicKeys?: string[];
  /**
   * Where the keys come from when not inline: `k8s://ns/name`, a Kyverno `secret{}` / CIP
   * `secretRef`, or a KMS URI. The engine resolves it into `keys` before verifying.
   */
  keyRef?: KeyReference;
  /** Only Sigstore bundles found as OCI referrers count, never legacy `.sig` tags (Kyverno type SigstoreBundle). */
  bundlesOnly?: boolean;
  /** Only legacy `.sig` tags count, never Sigstore bundles (Kyverno type Cosign, which reads no bundle): why, for the reason a deployer reads. */
  tagsOnly?: string;
  /**
   * Kyverno ImageValidatingPolicy: when the image has any Sigstore bundle, only bundles count (any
   * verified bundle, an attestation too: cosign.VerifyImageAttestations); otherwise only the `.sig` tag.
   */
  bundleDetection?: boolean;
}

export type KeyReference =
  | { type: 'k8s-secret'; namespace: string; name: string; /** Secret data key, default cosign.pub */ key?: string }
  | { type: 'kms'; uri: string };

/** One identity a certificate may carry. Strings are compared per `match`. */
export interface CertificateIdentity {
  issuer?: string;
  issuerRegExp?: string;
  subject?: string;
  subjectRegExp?: string;
  /**
   * kyverno: `subject`/`issuer` with `*`/`?` wildcards, regexps unanchored (Go regexp.MatchString);
   * cip: plain values exact, regexps anchored as policy-controller does;
   * cosign (ImageValidatingPolicy, cosign CheckOpts): plain values exact, regexps unanchored.
   */
  match: 'kyverno' | 'cip' | 'cosign';
}

/**
 * Signed with a certificate: Fulcio keyless (chain to the trusted root's CAs, or `roots`) or
 * bring-your-own PKI (Kyverno `certificates`, CIP `keyless.ca-cert`).
 */
export interface CertificateRequirement {
  kind: 'certificate';
  path: string;
  line: number;
  /** fulcio: CAs from the trusted root unless `roots`; pki: `roots` (cert chain) only. */
  source: 'fulcio' | 'pki';
  /** PEM CA certificates (root and intermediates) the leaf must chain to, when given. */
  roots?: string[];
  /** Kyverno `certificates.cert`: the signing certificate itself must be this one. */
  leafCertificate?: string;
  /** Any one must match; empty = any identity (certificates with a chain only). */
  identities: CertificateIdentity[];
  /** OID (dotted) or Kyverno name (githubWorkflowTrigger…) → required value. */
  extensions?: Record<string, string>;
  /** Embedded SCT checked against the CT log keys, unless ignoreSCT/insecureIgnoreSCT. */
  sct: 'require' | 'ignore';
  ctlogPublicKeys?: string[];
  tlog: 'require' | 'ignore';
  rekorPublicKeys?: string[];
  /** PEM chain of an RFC 3161 timestamp authority (Kyverno ctlog.tsaCertChain). */
  tsaCertChain?: string;
  /** A trusted_root.json text (policy- or config-provided) replacing the public-good root. */
  trustedRoot?: string;
  annotations: Record<string, string>;
  /** `layer`: Kyverno ImageValidatingPolicy reads them from the signature layer's OCI annotations instead. */
  annotationsOn?: 'layer';
  signatureRepository?: string;
  /** Only Sigstore bundles found as OCI referrers count (Kyverno type SigstoreBundle). */
  bundlesOnly?: boolean;
  /** Only legacy `.sig` tags count (Kyverno type Cosign): why, for the reason a deployer reads. */
  tagsOnly?: string;
  /** Kyverno ImageValidatingPolicy: any bundle present → only bundles count (see KeyRequirement). */
  bundleDetection?: boolean;
}

/** Kyverno condition operators (common_types.go), plus the deprecated Equal/NotEqual. */
export type ConditionOperator =
  | 'Equals' | 'NotEquals' | 'Equal' | 'NotEqual'
  | 'In' | 'AnyIn' | 'AllIn' | 'NotIn' | 'AnyNotIn' | 'AllNotIn'
  | 'GreaterThan' | 'GreaterThanOrEquals' | 'LessThan' | 'LessThanOrEquals'
  | 'DurationGreaterThan' | 'DurationGreaterThanOrEquals' | 'DurationLessThan' | 'DurationLessThanOrEquals';

export interface Condition {
  /** Usually a `{{ jmespath }}` string over the predicate; any JSON value allowed. */
  key: unknown;
  operator: ConditionOperator;
  value: unknown;
  message?: string;
  line: number;
}

/** Kyverno `conditions[]`: every block must hold; in a block, `all` must all hold and one of `any` (when given). */
export interface ConditionBlock {
  any?: Condition[];
  all?: Condition[];
}

/** In-toto attestations of one predicate type, signed by `signers`, whose statements satisfy the conditions. */
export interface AttestationRequirement {
  kind: 'attestation';
  path: string;
  line: number;
  /** Full predicate type URI (cosign short names already expanded by the loader). */
  predicateType: string;
  /** Who must have signed an attestation for it to count: a tree whose leaves are SignerRequirements. */
  signers: Requirement;
  /** kyverno: every verified statement of the type must satisfy the conditions; cip: one is enough. */
  statements: 'all' | 'any';
  conditions: ConditionBlock[];
  /** Kyverno attestation `name` (the predicate is available to conditions under it). */
  name?: string;
  signatureRepository?: string;
  /** Only Sigstore bundles found as OCI referrers count, never legacy `.att` tags (Kyverno type SigstoreBundle). */
  bundlesOnly?: boolean;
  /** Only legacy `.att` tags count, never attestation bundles (Kyverno type Cosign): why. */
  tagsOnly?: string;
  /**
   * Kyverno ImageValidatingPolicy with `ctlog.insecureIgnoreTlog`: cosign reports a legacy `.att`
   * attestation unverified without its log entry, and Kyverno (1.19) refuses it; bundles pass.
   */
  refuseUnloggedLayers?: boolean;
  /** policy-controller `attestations[].policy`: a statement counts only if it satisfies this program too. */
  policy?: PayloadPolicy;
}

/**
 * policy-controller `policy{type: cue|rego, data}`: a program a JSON document must satisfy, evaluated
 * by the real `cue` / `opa` binaries (policy/cip/payload-policy.ts); absent binary → unsupported.
 */
export interface PayloadPolicy {
  type: 'cue' | 'rego';
  source: string;
  /** Where the program is written, for reasons: `p.yaml:31`. */
  at: string;
}

/** What a Notation verification level does with each check (integrity is always enforced). */
export type NotationAction = 'enforce' | 'log' | 'skip';

/**
 * Signed with Notation (notation-go semantics): one trust policy statement — trust stores,
 * trusted identities, level and overrides — checked against the image's Notary Project
 * signatures (the first that passes wins), or, for Kyverno `attestations[]`, against the
 * signatures of the image's referrers of one artifact type.
 */
export interface NotationRequirement {
  kind: 'notation';
  path: string;
  line: number;
  /** Trust policy statement name (Kyverno: the attestor path). */
  statement: string;
  level: 'strict' | 'permissive' | 'audit';
  checks: { authenticity: NotationAction; authenticTimestamp: NotationAction; expiry: NotationAction; revocation: NotationAction };
  verifyTimestamp: 'always' | 'afterCertExpiry';
  /** PEM certificates of the statement's trust stores, by store type. */
  ca: string[];
  signingAuthority: string[];
  tsa: string[];
  hasTsaStore: boolean;
  /** `*`, or DNs (attribute → value) one of which the signing certificate's subject must contain. */
  identities: '*' | Record<string, string>[];
  /** Signatures tried at most (notation CLI default 100). */
  maxSignatures: number;
  /** Kyverno Notary `attestations[]`: referrers of this artifact type, Notation-signed, their payload under the conditions. */
  referrer?: { artifactType: string; conditions: ConditionBlock[]; name?: string };
  signatureRepository?: string;
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
/** Identity of a rule in a run (for uses only one rule judges). */
export function ruleKey(policy: Pick<Policy, 'file' | 'name'>, rule: Pick<PolicyRule, 'path'>): string {
  return `${policy.file}#${policy.name}#${rule.path}`;
}

export interface RuleSelection {
  policy: Policy;
  rule: PolicyRule;
  /** True when the image matched `skipImageReferences`/exclude: status skip. */
  skipped: boolean;
  /** Whether the rule applies could not be evaluated (Kyverno preconditions): the rule reports it as an error. */
  selectionError?: string;
  /** The mode in the workload's namespace (overrides applied); `undecided` when only the cluster could tell. */
  mode?: RuleMode | { undecided: string };
}

export type { Workload };
