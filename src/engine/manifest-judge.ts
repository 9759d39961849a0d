// Signed manifests as subjects: every object a Kyverno `validate.manifests` rule matches is
// judged against the manifests its attestors signed, and reported like an image (kind
// `manifest`). The attestors are the one requirement tree; its key and certificate leaves are
// checked here against the object's signature annotations or its manifest bundle image.

import type { ManifestObject, SourceContext, Workload } from '../manifests/types.js';
import { objectKey, workloadFor } from '../manifests/extract.js';
import { evaluate, keyLeaves, type Leaf, type LeafOutcome } from '../policy/evaluate.js';
import type { CertificateRequirement, KeyRequirement, ManifestRule, Policy } from '../policy/model.js';
import { appliesTo, namespaceOf } from '../policy/resources.js';
import { modeIn } from '../policy/select.js';
import { parseReference, registryHost } from '../images/reference.js';
import { createKeyResolver, describeKeyError } from '../keys/resolve.js';
import { describeKey, loadPublicKey } from '../verify/keys.js';
import { bundleRefKey, messageKey, signatureAnnotationFields, signatureSets, type SignatureSet } from '../verify/manifest/annotations.js';
import { artifactObjects, decodeMessage } from '../verify/manifest/message.js';
import { checkBlobSignature } from '../verify/manifest/blob-signature.js';
import { checkCertificateBlob } from '../verify/manifest/certificate-signature.js';
import { trustFor } from '../verify/certificate-signature.js';
import { tlogKeysFromPem } from '../verify/trusted-root.js';
import { ignoredFieldsFor, matchSigned, type Difference } from '../verify/manifest/compare.js';
import { BUILT_IN_IGNORES } from '../verify/manifest/default-ignores.js';
import { checkLeaf, undecidedVerdict, unsupportedVerdict, type JudgeDeps } from './judge.js';
import { type ImageResult, type PolicyVerdict, worst } from './result.js';

/** A Kubernetes object as rendered, where it was read. */
export interface ObjectSubject {
  object: Record<string, unknown>;
  workload: Workload;
  file: string;
  line: number;
}

/** The subject of a read object: the whole object, where it is shown (a rendered one at its source), in the namespace it lands in. */
export function objectSubject(obj: ManifestObject, file: string, source: SourceContext, defaultNamespace?: string): ObjectSubject {
  const workload = workloadFor(obj.object);
  if (workload.namespace === undefined && defaultNamespace !== undefined) workload.namespace = defaultNamespace;
  const origin = source.origins?.get(objectKey(obj.object));
  return { object: obj.object, workload, file: origin?.file ?? file, line: origin?.line ?? obj.line };
}

export function hasManifestRules(policies: readonly Policy[]): boolean {
  return policies.some((p) => (p.manifestRules?.length ?? 0) > 0);
}

/** Whether any manifest rule judges this object (the run keeps only those). */
export function judgedObject(policies: readonly Policy[], workload: Workload): boolean {
  return policies.some((p) => (p.namespace === undefined || p.namespace === namespaceOf(workload)) && (p.manifestRules ?? []).some((r) => appliesTo(r.resources, workload)));
}

/** `Deployment prod/web`: how a manifest subject is named in reports. */
export function subjectName(w: Workload): string {
  return `${w.kind} ${w.namespace !== undefined ? `${w.namespace}/` : ''}${w.name ?? '(unnamed)'}`;
}

export async function judgeManifests(subjects: readonly ObjectSubject[], policies: readonly Policy[], deps: JudgeDeps): Promise<ImageResult[]> {
  const out: ImageResult[] = [];
  // kubectl sigstore writes the whole file's message on every object: decoded once; a bundle image fetched once.
  const shared: Shared = { messages: new Map(), images: new Map() };
  for (const s of subjects) {
    const verdicts: PolicyVerdict[] = [];
    for (const policy of policies) {
      if (policy.namespace !== undefined && policy.namespace !== namespaceOf(s.workload)) continue;
      for (const rule of policy.manifestRules ?? []) {
        if (!appliesTo(rule.resources, s.workload)) continue;
        verdicts.push(await judgeRule(s, policy, rule, deps, shared));
      }
    }
    if (verdicts.length === 0) continue;
    const name = subjectName(s.workload);
    const hints = verdicts.some((v) => v.status === 'fail' || v.status === 'warn') ? [signHint(s, verdicts)] : [];
    out.push({
      kind: 'manifest',
      image: name,
      normalized: name,
      status: worst(verdicts.map((v) => v.status)),
      policies: verdicts,
      uses: [{ file: s.file, line: s.line, kind: s.workload.kind, ...(s.workload.namespace !== undefined && { namespace: s.workload.namespace }), ...(s.workload.name !== undefined && { name: s.workload.name }), container: '' }],
      ...(hints.length > 0 && { hints }),
    });
  }
  return out;
}

function signHint(s: ObjectSubject, verdicts: readonly PolicyVerdict[]): string {
  const changed = verdicts.some((v) => v.reasons.some((r) => r.includes('differs from')));
  const sign = `sign it as it is rendered with the key or identity ${verdicts[0]!.file}:${verdicts[0]!.line} trusts (kubectl sigstore sign -f ${s.file}, then commit the .signed file in its place)`;
  return changed ? `${sign}, or add the changed field to the rule's ignoreFields if it may change after signing` : sign;
}

interface Shared {
  messages: Map<string, Promise<{ signed: Buffer; objects: Record<string, unknown>[] }>>;
  images: Map<string, Promise<Signed>>;
}

async function judgeRule(s: ObjectSubject, policy: Policy, rule: ManifestRule, deps: JudgeDeps, shared: Shared): Promise<PolicyVerdict> {
  const mode = rule.modeOverrides ? modeIn(rule, namespaceOf(s.workload)) : rule.mode;
  const undecided = typeof mode === 'object' ? mode.undecided : undefined;
  const base = {
    policy: policy.name,
    file: rule.file,
    line: rule.line,
    rule: rule.path,
    ...(rule.ruleName !== undefined && { ruleName: rule.ruleName }),
    mode: typeof mode === 'string' ? mode : ('enforce' as const),
    onError: rule.onError,
  };
  const notes = rule.dryRun ? ['dryRun.enable: a dry run needs a cluster; compared without one (as Kyverno does when it may not dry-run)'] : [];
  const signed = signedManifests(s, rule, deps, shared);
  const outcomes = new Map<Leaf, LeafOutcome>();
  for (const leaf of keyLeaves(rule.requirement)) outcomes.set(leaf, await checkManifestLeaf(leaf, s, rule, signed, deps));
  const outcome = evaluate(rule.requirement, (l) => outcomes.get(l) ?? { status: 'error', reasons: ['not checked'] });
  const signers = [...outcomes.values()].flatMap((o) => (o.status === 'pass' && o.signer ? [o.signer] : []));
  const verdict: PolicyVerdict = outcome.unsupported
    ? unsupportedVerdict(base, outcome, 'object')
    : { ...base, status: outcome.status === 'fail' && base.mode === 'audit' ? 'warn' : outcome.status, reasons: outcome.reasons, ...(signers.length > 0 && { signers }) };
  const settled = undecided ? undecidedVerdict(verdict, undecided, 'object') : verdict;
  return notes.length > 0 ? { ...settled, reasons: [...settled.reasons, ...notes] } : settled;
}

/** What an object's signature points at, read once per rule: its annotations, or a manifest bundle image. */
type Signed =
  | { from: 'annotations'; sets: SignatureSet[]; signed: Buffer; objects: Record<string, unknown>[] }
  | { from: 'image'; ref: string; objects: Record<string, unknown>[]; digest: string }
  | { from: 'none'; reason: string }
  | { from: 'error'; reason: string };

function signedManifests(s: ObjectSubject, rule: ManifestRule, deps: JudgeDeps, shared: Shared): (bundleRef: string | undefined) => Promise<Signed> {
  const memo = new Map<string, Promise<Signed>>();
  return (attestorRepository) => {
    // The object's own `<domain>/resourceBundleRef` wins over the attestor's and the rule's repository.
    const ref = s.workload.annotations[bundleRefKey(rule.annotationDomain)] ?? attestorRepository ?? rule.repository;
    const key = ref ?? '';
    let p = memo.get(key);
    if (!p) {
      if (ref) {
        let image = shared.images.get(ref);
        if (!image) shared.images.set(ref, (image = fromImage(ref, deps)));
        p = image;
      } else p = fromAnnotations(s, rule.annotationDomain, shared);
      memo.set(key, p);
    }
    return p;
  };
}

async function fromAnnotations(s: ObjectSubject, domain: string, shared: Shared): Promise<Signed> {
  const message = s.workload.annotations[messageKey(domain)];
  if (message === undefined) {
    return { from: 'none', reason: `not signed: no ${messageKey(domain)} annotation, and no manifest bundle image named (${bundleRefKey(domain)} or the rule's repository)` };
  }
  try {
    let decoded = shared.messages.get(message);
    if (!decoded) shared.messages.set(message, (decoded = decodeMessage(message)));
    const { signed, objects } = await decoded;
    return { from: 'annotations', sets: signatureSets(s.workload.annotations, domain), signed, objects };
  } catch (err) {
    return { from: 'none', reason: `the signed message in ${messageKey(domain)} cannot be read: ${(err as Error).message}` };
  }
}

async function fromImage(refText: string, deps: JudgeDeps): Promise<Signed> {
  let ref;
  try {
    ref = parseReference(refText.trim());
  } catch (err) {
    return { from: 'error', reason: `manifest bundle image ${refText}: ${(err as Error).message}` };
  }
  const repo = { registry: registryHost(ref), repository: ref.repository };
  try {
    const digest = ref.digest ?? (await deps.evidence.resolve(repo, ref.tag ?? 'latest')).digest;
    const manifest = await deps.evidence.manifest(repo, digest);
    if (!manifest) return { from: 'none', reason: `manifest bundle image ${refText} not found` };
    const layers = Array.isArray(manifest.json.layers) ? (manifest.json.layers as { digest?: unknown }[]) : [];
    const objects: Record<string, unknown>[] = [];
    for (const layer of layers) {
      if (typeof layer.digest !== 'string') continue;
      objects.push(...(await artifactObjects(Buffer.from(await deps.evidence.blob(repo, layer.digest)))));
    }
    return { from: 'image', ref: refText.trim(), objects, digest };
  } catch (err) {
    return { from: 'error', reason: `cannot fetch the manifest bundle image ${refText}: ${(err as Error).message}` };
  }
}

async function checkManifestLeaf(leaf: Leaf, s: ObjectSubject, rule: ManifestRule, signed: (repo: string | undefined) => Promise<Signed>, deps: JudgeDeps): Promise<LeafOutcome> {
  if (leaf.kind !== 'key' && leaf.kind !== 'certificate') return { status: 'error', unsupported: true, reasons: [`unsupported: ${leaf.kind} in a manifest attestor`] };
  // Kyverno checkManifestAnnotations: the object's annotations must carry the attestor's.
  for (const [k, v] of Object.entries(leaf.annotations)) {
    if (s.workload.annotations[k] !== v) return { status: 'fail', reasons: [`annotation ${k} is ${JSON.stringify(s.workload.annotations[k] ?? null)}, the attestor expects ${JSON.stringify(v)}`] };
  }
  let keyed: KeyRequirement | CertificateRequirement = leaf;
  if (leaf.kind === 'key' && leaf.keyRef) {
    try {
      keyed = await (deps.keys ??= createKeyResolver()).leaf(leaf);
    } catch (err) {
      return { status: 'error', reasons: [describeKeyError(err)] };
    }
  }
  const evidence = await signed(leaf.signatureRepository);
  if (evidence.from === 'none') return { status: 'fail', reasons: [evidence.reason] };
  if (evidence.from === 'error') return { status: 'error', reasons: [evidence.reason] };
  const ignored = [...ignoredFieldsFor(s.object, [...rule.ignoreFields, ...BUILT_IN_IGNORES]), ...signatureAnnotationFields(rule.annotationDomain)];
  const match = matchSigned(evidence.objects, s.object, ignored);
  const where = evidence.from === 'image' ? `the manifest bundle image ${evidence.ref}` : 'the signed message';
  if (!match.matched && !match.found) return { status: 'fail', reasons: [`not signed: ${where} holds no ${s.workload.kind} to compare with`] };

  const verified =
    keyed.kind === 'certificate'
      ? evidence.from === 'image'
        ? { ok: false as const, error: true as const, unsupported: true as const, reason: 'unsupported: a manifest bundle image signed with a certificate is not verified by this tool yet (keys are)' }
        : certificateBlob(keyed, evidence, deps)
      : evidence.from === 'image'
        ? await imageSignature(keyed, evidence, deps)
        : blobSignature(keyed, evidence, deps);
  if (!verified.ok) return { status: verified.error ? 'error' : 'fail', reasons: [verified.reason], ...(verified.unsupported && { unsupported: true as const }) };
  if (!match.matched) return { status: 'fail', reasons: [`the object differs from ${where} (signed by ${verified.signer}): ${describeDifferences(match.differences)}`] };
  return { status: 'pass', reasons: [`matches ${where}, signed by ${verified.signer}`], signer: verified.signer };
}

/** `unsupported`: what this tool cannot evaluate blocks whatever failurePolicy says. */
type Verified = { ok: true; signer: string } | { ok: false; reason: string; error?: true; unsupported?: true };

function certificateBlob(leaf: CertificateRequirement, evidence: Extract<Signed, { from: 'annotations' }>, deps: JudgeDeps): Verified {
  if (evidence.sets.length === 0) return { ok: false, reason: 'not signed: the message annotation has no signature beside it' };
  let trust;
  try {
    // The run's trusted root (--trusted-root) unless the attestor names its own roots.
    const fromRun = leaf.trustedRoot === undefined && !leaf.roots ? deps.trust().trustedRootJson : undefined;
    trust = trustFor(fromRun === undefined ? leaf : { ...leaf, trustedRoot: fromRun });
  } catch (err) {
    return { ok: false, error: true, reason: (err as Error).message };
  }
  const problems: string[] = [];
  for (const set of evidence.sets) {
    const r = checkCertificateBlob(set, evidence.signed, leaf, trust, deps.now?.());
    if (r.ok) return { ok: true, signer: r.identity };
    problems.push(r.reason);
  }
  return { ok: false, reason: `no signature verified: ${[...new Set(problems)].join('; ')}` };
}

function blobSignature(leaf: KeyRequirement, evidence: Extract<Signed, { from: 'annotations' }>, deps: JudgeDeps): Verified {
  if (evidence.sets.length === 0) return { ok: false, reason: 'not signed: the message annotation has no signature beside it' };
  const problems: string[] = [];
  const rekorKeys = leaf.rekorPublicKeys ? tlogKeysFromPem(leaf.rekorPublicKeys) : [];
  for (const pem of leaf.keys) {
    const key = loadPublicKey(pem);
    for (const set of evidence.sets) {
      const r = checkBlobSignature(set, evidence.signed, key, leaf.hashAlgorithm, deps.trust, { ...(deps.now && { now: deps.now() }), rekorKeys });
      if (r.ok) return { ok: true, signer: describeSigner(pem) };
      problems.push(r.reason);
    }
  }
  return { ok: false, reason: `no signature verified: ${[...new Set(problems)].join('; ')}` };
}

async function imageSignature(leaf: KeyRequirement, evidence: Extract<Signed, { from: 'image' }>, deps: JudgeDeps): Promise<Verified> {
  const ref = parseReference(evidence.ref);
  const repo = { registry: registryHost(ref), repository: ref.repository };
  // The bundle image is verified as cosign verifies an image for the library: the key, and its transparency-log entry.
  const imageLeaf: KeyRequirement = { ...leaf, tlog: 'require', annotations: {} };
  delete imageLeaf.signatureRepository;
  const o = await checkLeaf(imageLeaf, ref, repo, evidence.digest, undefined, deps);
  if (o.status === 'pass') return { ok: true, signer: o.signer ?? describeSigner(leaf.keys[0] ?? '') };
  return { ok: false, reason: `manifest bundle image ${evidence.ref}: ${o.reasons.join('; ')}`, ...(o.status === 'error' && { error: true as const }) };
}

function describeSigner(pem: string): string {
  try {
    return describeKey(loadPublicKey(pem));
  } catch {
    return 'the key';
  }
}

const SHOWN = 5;

/** `spec.replicas: 2 → 3; metadata.labels.tier: absent → "web"` (at most five, then how many more). */
export function describeDifferences(items: readonly Difference[]): string {
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v));
  const text = items.slice(0, SHOWN).map((d) => `${d.key}: ${show(d.before)} → ${show(d.after)}`);
  if (items.length > SHOWN) text.push(`and ${items.length - SHOWN} more`);
  return text.join('; ');
}
