// Judges every distinct image reference against the rules that select it:
// resolve the digest once, check each requirement leaf once (cache first),
// then let the pure evaluator combine the leaves per rule.

import pLimit from 'p-limit';
import type { VerdictCache } from '../cache/verdict-cache.js';
import { parseReference, registryHost, type ImageRef } from '../images/reference.js';
import type { ImageUse } from '../manifests/types.js';
import { digestDecision } from '../policy/digest.js';
import { evaluate, keyLeaves, type Leaf, type LeafOutcome, type Outcome } from '../policy/evaluate.js';
import { configFiles } from './config-files.js';
import { cipPolicyOutcome } from './cip-policy.js';
import { PLACEHOLDER_MARK, type DenyCheck, type KeyRequirement, type Policy, type PolicyRule, type Requirement, type RuleSelection } from '../policy/model.js';
import { imageVars } from '../policy/conditions.js';
import { noCache } from '../cache/verdict-cache.js';
import { attestationCacheSubject, evidenceSite } from './cache-subject.js';
import { decideDeny } from './deny.js';
import { imageMatch, selectRules } from '../policy/select.js';
import { createKeyResolver, describeKeyError, type KeyResolver } from '../keys/resolve.js';
import { RegistryError, type Repository } from '../registry/types.js';
import { verifyCosignSignatures } from '../verify/cosign-signature.js';
import { loadPublicKey } from '../verify/keys.js';
import type { TrustMaterial } from '../verify/trusted-root.js';
import type { Evidence } from './evidence.js';
import { hintsFor } from './hints.js';
import type { LeafTarget } from './signed-leaves.js';
import { signatureTag } from './evidence.js';
import { type ImageResult, type PolicyVerdict, type UseLocation, worst } from './result.js';

export interface JudgeDeps {
  evidence: Evidence;
  cache: VerdictCache;
  /** Loaded only when a requirement needs transparency-log keys. */
  trust: () => TrustMaterial;
  concurrency: number;
  /** Resolves `keyRef` keys (k8s Secrets, KMS) once per run; default: process env and kubeconfig. */
  keys?: KeyResolver;
  /** `--offline`: undecided is never forgiven by a failure policy. */
  offline?: boolean;
  /** The time certificates, expiries and time functions are judged at (`verify-images test` sets it); default now. */
  now?: () => Date;
  /** Settles with the reason when the run's deadline passes: images not decided by then are `error`. */
  deadline?: Promise<string>;
  progress?: RunProgress;
  /** The run's environment (PATH for policy evaluators); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Leaves report every verified signature (a CIP-level policy reads them). */
  collect?: boolean;
}

/** How far judging is: kept current by judgeImages(), read by the CLI's progress lines. */
export interface RunProgress {
  total: number;
  done: number;
  inFlight: number;
}

/** Judges each distinct image string in `uses`; results keep the order images first appear. */
export async function judgeImages(uses: ImageUse[], policies: Policy[], deps: JudgeDeps): Promise<ImageResult[]> {
  const byImage = new Map<string, ImageUse[]>();
  for (const use of uses) {
    const list = byImage.get(use.image);
    if (list) list.push(use);
    else byImage.set(use.image, [use]);
  }
  const limit = pLimit(deps.concurrency);
  const policyFiles = [...new Set(policies.map((p) => p.file))];
  const withHints = (r: ImageResult): ImageResult => {
    const hints = r.status === 'pass' || r.status === 'skip' ? [] : hintsFor(r, policyFiles);
    return hints.length > 0 ? { ...r, hints } : r;
  };
  const progress = deps.progress;
  if (progress) progress.total = byImage.size;
  const judge = async (image: string, imageUses: ImageUse[]) => {
    if (progress) progress.inFlight++;
    try {
      return await judgeImage(image, imageUses, policies, deps);
    } finally {
      if (progress) {
        progress.inFlight--;
        progress.done++;
      }
    }
  };
  const { deadline } = deps;
  // Queued work is dropped at the deadline; what is in flight is aborted by the registry's signal.
  void deadline?.then(() => limit.clearQueue());
  return Promise.all(
    [...byImage].map(([image, imageUses]) => {
      const job = limit(() => judge(image, imageUses));
      return (deadline ? Promise.race([job, deadline.then((why) => undecidedAt(image, imageUses, policies, why))]) : job).then(withHints);
    }),
  );
}

/** An image the deadline caught: rules that needed the registry are `error` (and block), skips stay skips. */
function undecidedAt(image: string, uses: ImageUse[], policies: Policy[], why: string): ImageResult {
  const where = locations(uses);
  let ref: ImageRef;
  try {
    ref = parseReference(image);
  } catch (err) {
    return { image, normalized: image, status: 'error', policies: [], uses: where, reasons: [(err as Error).message] };
  }
  const selections = selectionsFor(ref, uses, policies);
  const normalized = normalizedName(ref);
  if (selections.size === 0) return { image, normalized, status: 'unmatched', policies: [], uses: where, reasons: ['no policy matches this image'] };
  const verdicts = [...selections.values()].map((s): PolicyVerdict => ({
    policy: s.policy.name,
    file: s.rule.file,
    line: s.rule.line,
    rule: s.rule.path,
    ...(s.rule.ruleName !== undefined && { ruleName: s.rule.ruleName }),
    mode: s.rule.mode,
    onError: 'block',
    ...(s.skipped ? { status: 'skip', reasons: ['excluded by the policy (skipImageReferences / exclude)'] } : { status: 'error', reasons: [why] }),
  }));
  return { image, normalized, status: worst(verdicts.map((v) => v.status)), policies: verdicts, uses: where };
}

/** The rules that judge an image: those selecting it for at least one of the workloads using it. */
function selectionsFor(ref: ImageRef, uses: ImageUse[], policies: Policy[]): Map<string, RuleSelection> {
  const selections = new Map<string, RuleSelection>();
  for (const use of uses) {
    for (const s of selectRules(policies, ref, use.workload, use.onlyFor)) {
      const key = `${s.policy.file}#${s.policy.name}#${s.rule.path}`;
      const seen = selections.get(key);
      // Of several workloads using the image, the strictest selection judges: checked beats skipped, an error beats both;
      // and the strictest mode of their namespaces (Enforce, then undecided, then Audit).
      const mode = seen ? stricterMode(seen.mode, s.mode) : s.mode;
      const pick = !seen || strictness(s) > strictness(seen) ? s : seen;
      selections.set(key, mode === pick.mode ? pick : { ...pick, ...(mode !== undefined && { mode }) });
    }
  }
  return selections;
}

const strictness = (s: RuleSelection) => (s.skipped ? 0 : s.selectionError ? 2 : 1);

type SelectionMode = RuleSelection['mode'];
const modeRank = (m: SelectionMode) => (m === undefined ? -1 : m === 'audit' ? 0 : m === 'enforce' ? 2 : 1);
function stricterMode(a: SelectionMode, b: SelectionMode): SelectionMode {
  return modeRank(b) > modeRank(a) ? b : a;
}

/**
 * Starts fetching what an image will need (digest, then signatures not already
 * cached) as soon as it is seen, so the network works while the rest of the
 * manifests are still being parsed. Everything lands in the run's memo; errors
 * are left for judgeImages() to report.
 */
export function prefetchImage(image: string, policies: Policy[], deps: JudgeDeps): void {
  let ref: ImageRef;
  try {
    ref = parseReference(image);
  } catch {
    return;
  }
  // validate.deny reads the verified payloads: those leaves are fetched whatever the cache holds.
  const leaves = policies.flatMap((p) =>
    p.rules.filter((r) => imageMatch(r.images, ref) === 'match').flatMap((r) => keyLeaves(r.requirement).map((leaf) => ({ leaf, uncached: Boolean(r.deny) && payloadName(leaf) !== undefined }))),
  );
  if (leaves.length === 0) return;
  const repo: Repository = { registry: registryHost(ref), repository: ref.repository };
  const warm = async () => {
    const digest = ref.digest ?? (await deps.evidence.resolve(repo, ref.tag ?? 'latest')).digest;
    for (const { leaf, uncached } of leaves) {
      const sigRepo = signaturesOf(leaf, repo);
      if (leaf.kind === 'notation') {
        if (!leaf.referrer && (await deps.cache.get(digest, leaf, evidenceSite(sigRepo)))) continue;
        await deps.evidence.notationSignatures(sigRepo, digest);
        continue;
      }
      if (leaf.kind === 'attestation') {
        // A verdict the cache (local or shared) holds needs no evidence: fetching it anyway cost a fleet 2 requests per digest.
        if (!uncached && (await deps.cache.get(digest, attestationCacheSubject(leaf, ref, digest), evidenceSite(sigRepo)))) continue;
        await Promise.all([deps.evidence.attestationLayers(sigRepo, digest), deps.evidence.bundles(sigRepo, digest)]);
        continue;
      }
      if (await deps.cache.get(digest, leaf, evidenceSite(sigRepo))) continue;
      if (leaf.kind === 'certificate') await deps.evidence.bundles(sigRepo, digest);
      await deps.evidence.signatureLayers(sigRepo, digest, ref);
    }
  };
  warm().catch(() => {});
}

function locations(uses: ImageUse[]): UseLocation[] {
  return uses.map((u) => ({
    file: u.file,
    line: u.line,
    kind: u.workload.kind,
    ...(u.workload.namespace !== undefined && { namespace: u.workload.namespace }),
    ...(u.workload.name !== undefined && { name: u.workload.name }),
    container: u.container,
  }));
}

/** Fully qualified, as a deployer reads it: `docker.io/library/nginx:1.25[@sha256:…]`. */
export function normalizedName(ref: ImageRef): string {
  const tag = ref.tag ?? (ref.digest ? '' : 'latest');
  return `${ref.registry}/${ref.repository}${tag ? `:${tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

async function judgeImage(image: string, uses: ImageUse[], policies: Policy[], deps: JudgeDeps): Promise<ImageResult> {
  const where = locations(uses);
  let ref: ImageRef;
  try {
    ref = parseReference(image);
  } catch (err) {
    const at = where.map((u) => `${u.file}:${u.line}`).join(', ');
    return { image, normalized: image, status: 'error', policies: [], uses: where, reasons: [`${(err as Error).message} (at ${at})`] };
  }

  const selections = selectionsFor(ref, uses, policies);
  const normalized = normalizedName(ref);
  if (selections.size === 0) {
    const source = uses.every((u) => u.subject === 'source');
    return { ...(source && { kind: 'source' as const }), image, normalized, status: 'unmatched', policies: [], uses: where, reasons: [source ? 'no policy matches this source artifact' : 'no policy matches this image'] };
  }

  const repo: Repository = { registry: registryHost(ref), repository: ref.repository };
  const needsDigest = [...selections.values()].some((s) => !s.skipped && keyLeaves(s.rule.requirement).length > 0);
  let digest = ref.digest;
  let resolveError: string | undefined;
  const notes: string[] = [];
  if (needsDigest && !digest) {
    const tag = ref.tag ?? 'latest';
    try {
      digest = (await deps.evidence.resolve(repo, tag)).digest;
      const at = deps.evidence.resolvedAt?.(repo, tag);
      // Recorded for --offline runs; online, tags are always resolved again (they move).
      if (at === undefined) deps.cache.putTag(`${repo.registry}/${repo.repository}:${tag}`, digest);
      else notes.push(`offline: ${normalized} taken as ${digest}, the digest the cache recorded for it ${age(at)} ago`);
    } catch (err) {
      resolveError = `cannot resolve ${normalized} to a digest: ${describeError(err)}`;
    }
  }

  const verdicts: PolicyVerdict[] = [];
  for (const s of selections.values()) {
    verdicts.push(
      s.rule.requirement.kind === 'cel' && !s.skipped
        ? await (await import('./ivpol-rule.js')).judgeCelRule(s, ref, uses, deps)
        : await judgeRule(s, ref, repo, digest, resolveError, deps, uses),
    );
  }
  // Judged: other runners waiting on this digest's verdicts (a shared store's locks) need not wait longer.
  if (digest) deps.cache.settle?.(digest);
  return {
    ...(uses.every((u) => u.subject === 'source') && { kind: 'source' as const }),
    image,
    normalized,
    ...(digest !== undefined && { digest }),
    status: worst(verdicts.map((v) => v.status)),
    policies: verdicts,
    uses: where,
    ...(notes.length > 0 && { reasons: notes }),
  };
}

function age(at: number): string {
  const s = Math.max(0, Math.round((Date.now() - at) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

async function judgeRule(
  s: RuleSelection,
  ref: ImageRef,
  repo: Repository,
  digest: string | undefined,
  resolveError: string | undefined,
  deps: JudgeDeps,
  uses: ImageUse[],
): Promise<PolicyVerdict> {
  const { policy } = s;
  // The mode in the workload's namespace (Kyverno overrides); undecided is judged as Enforce and, if the image would be blocked, said as undecided.
  const undecidedMode = typeof s.mode === 'object' ? s.mode.undecided : undefined;
  const rule = typeof s.mode === 'string' ? { ...s.rule, mode: s.mode } : undecidedMode ? { ...s.rule, mode: 'enforce' as const } : s.rule;
  const base = {
    policy: policy.name,
    file: rule.file,
    line: rule.line,
    rule: rule.path,
    ...(rule.ruleName !== undefined && { ruleName: rule.ruleName }),
    mode: rule.mode,
    onError: rule.onError,
  } as const;
  // The workloads this rule judges (a CIP-level policy may read them).
  const ruleUses = s.rule.cipPolicy ? uses.filter((u) => selectRules([s.policy], ref, u.workload, u.onlyFor).some((x) => x.rule === s.rule && !x.skipped)) : uses;
  const verdict = await judgeSelectedRule(s, rule, base, ref, repo, digest, resolveError, deps, ruleUses);
  // What the mode decides: a failure, and an error under failurePolicy Fail (Ignore lets it through in either mode).
  return undecidedMode ? undecidedVerdict(verdict, undecidedMode, subjectOf(uses)) : verdict;
}

/** What a verdict's words call the thing judged. */
type Subject = 'image' | 'object' | 'artifact';

const subjectOf = (uses: readonly ImageUse[]): Subject => (uses.length > 0 && uses.every((u) => u.subject === 'source') ? 'artifact' : 'image');

/**
 * A verdict reached as if Enforce where the mode itself is undecided (a namespaceSelector
 * override): what Enforce would block is `error` (unsupported), never let through.
 */
export function undecidedVerdict(verdict: PolicyVerdict, why: string, subject: Subject): PolicyVerdict {
  if (!(verdict.status === 'fail' || (verdict.status === 'error' && verdict.onError === 'block'))) return verdict;
  const note = `this tool cannot tell whether the policy enforces or audits here, so the ${subject} is not let through`;
  return { ...verdict, status: 'error', onError: 'block', unsupported: true, reasons: [...verdict.reasons, `unsupported: ${why}`, note] };
}

/** A requirement this tool cannot evaluate: blocks whatever failurePolicy or the Audit mode says (the cluster would evaluate it). */
export function unsupportedVerdict(base: VerdictBase, outcome: Outcome, subject: Subject): PolicyVerdict {
  const note = outcome.reasons.some((r) => r.includes(PLACEHOLDER_MARK))
    ? `the policy holds trust material that does not parse, so nothing this rule trusts can verify the ${subject}: it is not let through (whatever failurePolicy or the policy's Audit mode says)`
    : `this tool cannot evaluate that requirement, so the ${subject} is not let through (whatever failurePolicy or the policy's Audit mode says)`;
  const blocked = outcome.status === 'fail' && base.mode === 'enforce' ? 'fail' : 'error';
  return { ...base, onError: 'block', status: blocked, unsupported: true, reasons: [...outcome.reasons, note] };
}

export type VerdictBase = Pick<PolicyVerdict, 'policy' | 'file' | 'line' | 'rule' | 'ruleName' | 'mode' | 'onError'>;

async function judgeSelectedRule(
  s: RuleSelection,
  rule: PolicyRule,
  base: VerdictBase,
  ref: ImageRef,
  repo: Repository,
  digest: string | undefined,
  resolveError: string | undefined,
  deps: JudgeDeps,
  uses: ImageUse[],
): Promise<PolicyVerdict> {
  if (s.skipped) return { ...base, status: 'skip', reasons: ['excluded by the policy (skipImageReferences / exclude)'] };
  if (s.selectionError) return { ...base, onError: 'block', status: 'error', reasons: [s.selectionError] };

  const digestFailure = digestDecision(rule, ref);
  if (digestFailure) return { ...base, status: rule.mode === 'enforce' ? 'fail' : 'warn', reasons: [digestFailure.reason] };

  const outcomes = new Map<Leaf, LeafOutcome>();
  for (const leaf of keyLeaves(rule.requirement)) {
    // validate.deny reads the verified payloads, which a cached verdict does not keep.
    // A CIP-level policy reads every verified signature: none of that is in a cached verdict either.
    const leafDeps = rule.cipPolicy ? { ...deps, cache: noCache, collect: true } : rule.deny && payloadName(leaf) !== undefined ? { ...deps, cache: noCache } : deps;
    outcomes.set(leaf, await checkLeaf(leaf, ref, repo, digest, resolveError, leafDeps));
  }
  let outcome = evaluate(rule.requirement, (leaf) => outcomes.get(leaf) ?? { status: 'error', reasons: ['not checked'] });
  if (rule.deny && outcome.status === 'pass' && digest) outcome = denyOutcome(rule.deny, outcomes, ref, digest, outcome);
  if (rule.cipPolicy && outcome.status === 'pass') {
    const configs = () => (digest ? configFiles(deps.evidence, repo, digest) : Promise.reject(new Error('the image has no digest')));
    outcome = await cipPolicyOutcome(rule.cipPolicy, outcomes, outcome, deps.env, [...new Set(uses.map((u) => u.workload))], configs);
  }
  const signers = [...outcomes.values()].flatMap((o) => (o.status === 'pass' && o.signer ? [o.signer] : []));
  let status: PolicyVerdict['status'] = outcome.status === 'fail' && rule.mode === 'audit' ? 'warn' : outcome.status;
  // Passed, but only because a check was logged rather than enforced (Notation audit/permissive): never a clean pass.
  if (status === 'pass' && outcome.warnings?.length) {
    return { ...base, status: 'warn', reasons: [...outcome.warnings, ...outcome.reasons], ...(signers.length > 0 && { signers }) };
  }
  // `static: pass` lets an image through on purpose without checking anything: a skip.
  if (status === 'pass' && signers.length === 0 && passesStatically(rule.requirement)) status = 'skip';
  if (deps.offline && outcome.status === 'error') {
    // Not registry trouble that a failure policy may forgive: nothing was asked, so nothing is known.
    const reasons = outcome.reasons.map((r) => (/offline/.test(r) ? r.replace(/cannot (fetch|resolve)[^:]*: (?=.*offline)/, '') : r));
    return { ...base, onError: 'block', status, reasons };
  }
  // failurePolicy Ignore is for registry trouble; a requirement we cannot evaluate would be evaluated by the cluster.
  // Under Audit too: what the text says (not let through) is what the exit code does (3).
  if (outcome.unsupported) return unsupportedVerdict({ ...base, mode: rule.mode }, outcome, subjectOf(uses));
  return { ...base, status, reasons: outcome.reasons, ...(signers.length > 0 && { signers }) };
}

/** The attestation `name` a leaf's verified payloads are known by (Kyverno validate context). */
function payloadName(leaf: Leaf): string | undefined {
  if (leaf.kind === 'attestation') return leaf.name;
  if (leaf.kind === 'notation') return leaf.referrer?.name;
  return undefined;
}

function denyOutcome(deny: DenyCheck, outcomes: Map<Leaf, LeafOutcome>, ref: ImageRef, digest: string, passed: Outcome): Outcome {
  const payloads = new Map<string, unknown[]>();
  for (const [leaf, o] of outcomes) {
    const name = payloadName(leaf);
    if (name === undefined || o.status !== 'pass' || !o.statements) continue;
    payloads.set(name, [...(payloads.get(name) ?? []), ...o.statements]);
  }
  const d = decideDeny(deny, payloads, imageVars(ref, digest));
  return d.status === 'pass' ? passed : { status: d.status, reasons: d.reasons };
}

export async function checkLeaf(
  leaf: Leaf,
  ref: ImageRef,
  repo: Repository,
  digest: string | undefined,
  resolveError: string | undefined,
  deps: JudgeDeps,
): Promise<LeafOutcome> {
  if (!digest) return { status: 'error', reasons: [resolveError ?? 'no digest to verify'] };
  const target: LeafTarget = { ref, repo, digest, sigRepo: signaturesOf(leaf, repo) };
  if (leaf.kind === 'key') return checkKeyLeaf(leaf, target, deps);
  if (leaf.kind === 'notation') return (await import('./notation-leaf.js')).checkNotationLeaf(leaf, target, deps);
  const { checkAttestationLeaf, checkCertificateLeaf } = await signedLeaves();
  if (leaf.kind === 'certificate') return checkCertificateLeaf(leaf, target, deps);
  return checkAttestationLeaf(leaf, target, { ...deps, resolveKey: (l) => (deps.keys ??= createKeyResolver()).leaf(l) });
}

// Certificates, attestations and bundles pull in @sigstore/verify: loaded only when a policy needs them.
let signedLeavesModule: Promise<typeof import('./signed-leaves.js')> | undefined;
const signedLeaves = () => (signedLeavesModule ??= import('./signed-leaves.js'));

async function checkKeyLeaf(leaf: KeyRequirement, target: LeafTarget, deps: JudgeDeps): Promise<LeafOutcome> {
  const { digest, sigRepo } = target;
  if (leaf.keyRef) {
    // Keys kept in a Secret or a KMS: fetched once per run; failing to get them is an error for this leaf only.
    try {
      leaf = await (deps.keys ??= createKeyResolver()).leaf(leaf);
    } catch (err) {
      return { status: 'error', reasons: [describeKeyError(err)] };
    }
  }
  const cached = await deps.cache.get(digest, leaf, evidenceSite(sigRepo));
  if (cached) return { status: 'pass', reasons: cached.reasons, signer: cached.signer };
  if (leaf.bundleDetection) {
    // Kyverno's IVPOL: bundles present decide alone; none (or no listing) leaves the `.sig` tag to decide.
    const fromBundles = await (await signedLeaves()).checkKeyBundles(leaf, target, deps);
    if (fromBundles) return fromBundles;
  }
  if (leaf.bundlesOnly) {
    const fromBundles = await (await signedLeaves()).checkKeyBundles(leaf, target, deps);
    return fromBundles ?? { status: 'fail', reasons: [`no Sigstore bundle refers to the image (type SigstoreBundle reads only bundles found as OCI referrers of ${digest})`] };
  }
  let layers;
  try {
    layers = await deps.evidence.signatureLayers(sigRepo, digest, target.ref);
  } catch (err) {
    return { status: 'error', reasons: [`cannot fetch signatures: ${describeError(err)}`] };
  }
  if (layers.length === 0) {
    if (leaf.bundleDetection) return { status: 'fail', reasons: [`no signatures found: no Sigstore bundle refers to the image, and there is no ${sigRepo.registry}/${sigRepo.repository}:${signatureTag(digest)}`] };
    if (leaf.tagsOnly) return { status: 'fail', reasons: [`no signatures found at ${sigRepo.registry}/${sigRepo.repository}:${signatureTag(digest)} (${leaf.tagsOnly})`] };
    // No legacy signature: cosign v3 may have attached a signature bundle instead.
    const fromBundles = await (await signedLeaves()).checkKeyBundles(leaf, target, deps);
    if (fromBundles) return fromBundles;
    return {
      status: 'fail',
      reasons: [`no signatures found (looked for ${sigRepo.registry}/${sigRepo.repository}:${signatureTag(digest)} and signature bundles referring to the image)`],
    };
  }
  const result = verifyCosignSignatures({ digest, layers, requirement: leaf, trust: leaf.tlog === 'require' ? deps.trust() : { tlogs: [] }, ...(deps.now && { now: deps.now() }), ...(deps.collect && { collect: true }) });
  const reasons = result.reasons;
  if (result.ok) deps.cache.put(digest, leaf, evidenceSite(sigRepo), { reasons, signer: result.signer });
  return { status: result.ok ? 'pass' : 'fail', reasons, ...(result.signer !== undefined && { signer: result.signer }), ...(result.matches && { matches: result.matches }) };
}

/** Where a leaf's signatures live: `repository` / `source.oci` (optionally with a registry), else the image's repository. */
function signaturesOf(leaf: Leaf, repo: Repository): Repository {
  if (!leaf.signatureRepository) return repo;
  const ref = parseReference(leaf.signatureRepository);
  return { registry: registryHost(ref), repository: ref.repository };
}

function passesStatically(req: Requirement): boolean {
  if (req.kind === 'static') return req.action === 'pass';
  if (req.kind === 'any') return req.of.some(passesStatically);
  if (req.kind === 'all') return req.of.length > 0 && req.of.every(passesStatically);
  return false;
}

function describeError(err: unknown): string {
  if (err instanceof RegistryError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
