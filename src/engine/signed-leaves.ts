// Checks the certificate and attestation leaves of a rule against the registry's
// evidence (legacy `.sig`/`.att` layers, cosign v3 bundle referrers). Fetching is
// memoized by evidence.ts; verification is pure (src/verify).

import { layerAnnotationsReason } from '../verify/sig-payload.js';
import type { ImageRef } from '../images/reference.js';
import { evaluate, type LeafOutcome } from '../policy/evaluate.js';
import { evaluateConditions, imageVars } from '../policy/conditions.js';
import { checkPayloadPolicy } from './policy-program.js';
import type { AttestationRequirement, CertificateRequirement, KeyRequirement, Requirement } from '../policy/model.js';
import type { Repository } from '../registry/types.js';
import { bundleEvidence, describeEvidence, layerEvidence, verifyAttestation, type AttestationEvidence } from '../verify/attestation.js';
import { CERTIFICATE_ANNOTATION, trustFor, verifyCertificateSignatures } from '../verify/certificate-signature.js';
import { SIGNATURE_ANNOTATION } from '../verify/cosign-layer.js';
import { signatureId } from '../verify/cosign-signature.js';
import { subjectHasAnnotations, type Statement } from '../verify/dsse.js';
import { loadPublicKey } from '../verify/keys.js';
import { COSIGN_SIGN_PREDICATE, parseBundle, peekStatement, verifySigstoreBundle, type BundleCheck } from '../verify/sigstore-bundle.js';
import { sigstoreTrustFromTlogs, type SigstoreTrust } from '../verify/sigstore-trust.js';
import { tlogKeysFromPem } from '../verify/trusted-root.js';
import type { TrustMaterial } from '../verify/types.js';
import type { Evidence, FoundBundle } from './evidence.js';
import { signatureTag } from './evidence.js';
import type { VerdictCache } from '../cache/verdict-cache.js';
import { attestationCacheSubject, evidenceSite } from './cache-subject.js';

export interface LeafDeps {
  evidence: Evidence;
  cache: VerdictCache;
  trust: () => TrustMaterial;
  /** Turns a key leaf with `keyRef` (Secret, KMS) into one with `keys`; absent = keys are inline. */
  resolveKey?: (leaf: KeyRequirement) => Promise<KeyRequirement>;
  /** The time certificates and expiries are judged at; default now. */
  now?: () => Date;
  /** Where `cue` / `opa` are looked up (PATH) for policy-controller programs; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Report every verified signature / attestation (`matches`) for a CIP-level policy. */
  collect?: boolean;
}

export interface LeafTarget {
  ref: ImageRef;
  /** Where the image lives. */
  repo: Repository;
  /** Where its signatures and attestations live (the policy's `repository`, else `repo`). */
  sigRepo: Repository;
  digest: string;
}

const MAX_REASONS = 5;

/** The certificate requirement with the run's trusted root (--trusted-root) unless the policy names its own. */
function certificateTrust(leaf: CertificateRequirement, deps: LeafDeps): SigstoreTrust {
  const fromRun = leaf.trustedRoot === undefined && !leaf.roots ? deps.trust().trustedRootJson : undefined;
  return trustFor(fromRun === undefined ? leaf : { ...leaf, trustedRoot: fromRun });
}

/** A verified signature bundle must also carry the policy's annotations on the image subject. */
function annotated(r: BundleCheck, digest: string, want: Readonly<Record<string, string>>, on?: 'layer'): BundleCheck {
  if (!r.ok || Object.keys(want).length === 0) return r;
  // Kyverno's ImageValidatingPolicy looks at OCI layer annotations, which a bundle does not carry.
  if (on === 'layer') return { ok: false, reason: layerAnnotationsReason(Object.entries(want)) };
  if (r.statement && subjectHasAnnotations(r.statement, digest, want)) return r;
  const wanted = Object.entries(want).map(([k, v]) => `${k}=${v}`).join(', ');
  return { ok: false, reason: `the signature does not carry the required annotations ${wanted}` };
}

/** True for cosign v3 signature bundles (predicate sign/v1), as opposed to attestations. */
function isSignatureBundle(b: FoundBundle): boolean {
  const parsed = parseBundle(b.bytes);
  const predicate = typeof parsed === 'string' ? b.predicateType : (peekStatement(parsed)?.predicateType ?? b.predicateType);
  return predicate === COSIGN_SIGN_PREDICATE;
}

/**
 * Signed with a certificate. cosign v3 semantics: when signature bundles refer to the
 * image, only they are verified; otherwise the legacy `.sig` layers.
 */
export async function checkCertificateLeaf(leaf: CertificateRequirement, target: LeafTarget, deps: LeafDeps): Promise<LeafOutcome> {
  const { digest, sigRepo } = target;
  const cached = await deps.cache.get(digest, leaf, evidenceSite(sigRepo));
  if (cached) return { status: 'pass', reasons: cached.reasons, ...(cached.signer !== undefined && { signer: cached.signer }) };
  let trust: SigstoreTrust;
  try {
    trust = certificateTrust(leaf, deps);
  } catch (err) {
    return trustRootUnavailable(err);
  }
  // A bundle listing that fails leaves the legacy `.sig` tag to decide, as cosign does
  // (security-profiles-operator#3449); with nothing there either, the image is undecided, not failed.
  let bundles: FoundBundle[] = [];
  let listing: string | undefined;
  try {
    // Kyverno type Cosign never looks for bundles; Kyverno's IVPOL verifies any bundle it finds.
    if (!leaf.tagsOnly) bundles = (await deps.evidence.bundles(sigRepo, digest)).filter((b) => leaf.bundleDetection || isSignatureBundle(b));
  } catch (err) {
    listing = (err as Error).message;
  }

  let result: { ok: boolean; reasons: string[]; signer?: string };
  if (bundles.length > 0) {
    const failures: string[] = [];
    result = { ok: false, reasons: [] };
    for (const [i, b] of bundles.entries()) {
      const r = annotated(verifySigstoreBundle({ bundle: b.bytes, subjectDigest: digest, signer: { kind: 'certificate', requirement: leaf }, trust }), digest, leaf.annotations, leaf.annotationsOn);
      const where = bundles.length > 1 ? `signature bundle ${i + 1}` : 'signature bundle';
      if (r.ok) {
        result = { ok: true, reasons: [`${where}: signed by ${r.signer}`], ...(r.signer !== undefined && { signer: r.signer }) };
        break;
      }
      failures.push(`${where}: ${r.reason}`);
    }
    if (!result.ok) result = { ok: false, reasons: [...new Set(failures)].slice(0, MAX_REASONS) };
  } else if (leaf.bundlesOnly) {
    if (listing !== undefined) return { status: 'error', reasons: [`cannot fetch signature bundles: ${listing}`] };
    return { status: 'fail', reasons: [`no Sigstore bundle refers to the image (type SigstoreBundle reads only bundles found as OCI referrers of ${digest})`] };
  } else {
    let layers;
    try {
      layers = await deps.evidence.signatureLayers(sigRepo, digest, target.ref);
    } catch (err) {
      return { status: 'error', reasons: [`cannot fetch signatures: ${(err as Error).message}`] };
    }
    if (layers.length === 0) {
      if (listing !== undefined) {
        return { status: 'error', reasons: [`cannot list signature bundles (${listing}), and there is no legacy signature at ${sigRepo.registry}/${sigRepo.repository}:${signatureTag(digest)}`] };
      }
      if (leaf.tagsOnly) return { status: 'fail', reasons: [`no signatures found at ${sigRepo.registry}/${sigRepo.repository}:${signatureTag(digest)} (${leaf.tagsOnly})`] };
      return { status: 'fail', reasons: [`no signatures found (looked for ${sigRepo.registry}/${sigRepo.repository}:${signatureTag(digest)} and signature bundles referring to the image)`] };
    }
    result = verifyCertificateSignatures({ digest, layers, requirement: leaf, trust, ...(deps.now && { now: deps.now() }) });
  }
  if (result.ok) deps.cache.put(digest, leaf, evidenceSite(sigRepo), { reasons: result.reasons, ...(result.signer !== undefined && { signer: result.signer }) });
  return { status: result.ok ? 'pass' : 'fail', reasons: result.reasons, ...(result.signer !== undefined && { signer: result.signer }) };
}

/**
 * Key-signed cosign v3 signature bundles, consulted when an image has no legacy `.sig`
 * tag. Undefined when there is no such bundle (the caller reports "no signatures").
 */
export async function checkKeyBundles(leaf: KeyRequirement, target: LeafTarget, deps: LeafDeps): Promise<LeafOutcome | undefined> {
  let bundles: FoundBundle[];
  try {
    // Kyverno's IVPOL verifies every bundle as an attestation (a signature bundle or not).
    bundles = (await deps.evidence.bundles(target.sigRepo, target.digest)).filter((b) => leaf.bundleDetection || isSignatureBundle(b));
  } catch (err) {
    // Kyverno's bundle detection treats a listing that fails as "no bundles": the tag decides.
    if (leaf.bundleDetection) return undefined;
    return { status: 'error', reasons: [`cannot fetch signature bundles: ${(err as Error).message}`] };
  }
  if (bundles.length === 0) return undefined;
  let trust: SigstoreTrust;
  let keys;
  try {
    trust = leaf.tlog === 'require' ? sigstoreTrustFromTlogs(leaf.rekorPublicKeys?.length ? tlogKeysFromPem(leaf.rekorPublicKeys) : deps.trust().tlogs) : sigstoreTrustFromTlogs([]);
    keys = leaf.keys.map(loadPublicKey);
  } catch (err) {
    return { status: 'error', reasons: [(err as Error).message] };
  }
  const failures: string[] = [];
  for (const [i, b] of bundles.entries()) {
    const r = annotated(verifySigstoreBundle({ bundle: b.bytes, subjectDigest: target.digest, signer: { kind: 'key', keys, tlog: leaf.tlog, hash: leaf.hashAlgorithm }, trust }), target.digest, leaf.annotations, leaf.annotationsOn);
    const where = bundles.length > 1 ? `signature bundle ${i + 1}` : 'signature bundle';
    if (r.ok) {
      const reasons = [`${where}: signed by ${r.signer}`];
      deps.cache.put(target.digest, leaf, evidenceSite(target.sigRepo), { reasons, ...(r.signer !== undefined && { signer: r.signer }) });
      return { status: 'pass', reasons, ...(r.signer !== undefined && { signer: r.signer }) };
    }
    failures.push(`${where}: ${r.reason}`);
  }
  return { status: 'fail', reasons: [...new Set(failures)].slice(0, MAX_REASONS) };
}

/**
 * In-toto attestations of one predicate type: each candidate is checked with the
 * `signers` tree (every signer leaf verifies THAT envelope), then the conditions run
 * over the verified statements: Kyverno needs all to pass, policy-controller one.
 */
export async function checkAttestationLeaf(leaf: AttestationRequirement, target: LeafTarget, deps: LeafDeps): Promise<LeafOutcome> {
  const { digest, sigRepo } = target;
  const image = imageVars(target.ref, digest);
  const cacheSubject = attestationCacheSubject(leaf, target.ref, digest);
  const cached = await deps.cache.get(digest, cacheSubject, evidenceSite(sigRepo));
  if (cached) return { status: 'pass', reasons: cached.reasons, ...(cached.signer !== undefined && { signer: cached.signer }) };

  let evidence: AttestationEvidence[];
  // As for signatures: a bundle listing that fails leaves the `.att` tag to decide.
  let listing: string | undefined;
  try {
    const [layers, bundles] = await Promise.all([
      leaf.bundlesOnly ? Promise.resolve([]) : deps.evidence.attestationLayers(sigRepo, digest),
      (leaf.tagsOnly ? Promise.resolve([]) : deps.evidence.bundles(sigRepo, digest)).catch((err: Error): FoundBundle[] => {
        listing = err.message;
        return [];
      }),
    ]);
    evidence = [...layerEvidence(layers), ...bundleEvidence(bundles.filter((b) => !isSignatureBundle(b)))];
  } catch (err) {
    return { status: 'error', reasons: [`cannot fetch attestations: ${(err as Error).message}`] };
  }
  const candidates = evidence.filter((e) => e.predicateType === leaf.predicateType);
  const signedBy = describeSigners(leaf.signers);
  if (candidates.length === 0 && listing !== undefined) {
    return { status: 'error', reasons: [`cannot list attestation bundles (${listing}), and no attestation of type ${leaf.predicateType} is at ${sigRepo.registry}/${sigRepo.repository}:${signatureTag(digest, 'att')}`] };
  }
  if (candidates.length === 0) {
    const others = [...new Set(evidence.flatMap((e) => (e.predicateType ? [e.predicateType] : [])))];
    const found = others.length > 0 ? ` (found: ${others.slice(0, 5).join(', ')})` : ` (looked for ${sigRepo.registry}/${sigRepo.repository}:${signatureTag(digest, 'att')} and attestation bundles)`;
    return { status: 'fail', reasons: [`no attestation of type ${leaf.predicateType} signed by ${signedBy}${found}`] };
  }

  // Keys from Secrets / KMS are fetched before the (synchronous) signer evaluation.
  const resolved = new Map<KeyRequirement, KeyRequirement | string>();
  for (const l of signerLeaves(leaf.signers)) {
    if (l.kind !== 'key' || !l.keyRef) continue;
    try {
      resolved.set(l, deps.resolveKey ? await deps.resolveKey(l) : 'keys from a Secret or KMS cannot be resolved here');
    } catch (err) {
      resolved.set(l, (err as Error).message);
    }
  }
  let keyTrust: SigstoreTrust | undefined;
  try {
    if (await needsKeys(leaf.signers, resolved)) keyTrust = sigstoreTrustFromTlogs(deps.trust().tlogs);
  } catch (err) {
    return trustRootUnavailable(err);
  }

  const verified: { statement: Statement; signers: string[]; where: string; evidence: AttestationEvidence }[] = [];
  const rejections: string[] = [];
  for (const e of candidates) {
    if (leaf.refuseUnloggedLayers && e.source === 'layer') {
      rejections.push(`${describeEvidence(e)}: a legacy .att attestation is verified only with its transparency-log entry, which ctlog.insecureIgnoreTlog skips (Kyverno's ImageValidatingPolicy then refuses it: "cosign bundle verification failed"); sign it with cosign 3 (a bundle) or verify the log`);
      continue;
    }
    let statement: Statement | undefined;
    const signers: string[] = [];
    const outcome = evaluate(leaf.signers, (signer): LeafOutcome => {
      if (signer.kind === 'attestation') return { status: 'error', reasons: ['an attestation cannot sign an attestation'] };
      const key = signer.kind === 'key' ? (resolved.get(signer) ?? signer) : undefined;
      if (typeof key === 'string') return { status: 'error', reasons: [key] };
      const r = verifyAttestation({
        evidence: e,
        signer: key ?? withRunRoot(signer as CertificateRequirement, deps),
        digest,
        ...(keyTrust && { keyTrust }),
        ...(deps.now && { now: deps.now() }),
      });
      if (!r.ok) return { status: 'fail', reasons: r.reasons };
      // The layer annotation that selected this candidate is unsigned: the signed statement decides.
      if (r.statement?.predicateType !== leaf.predicateType) {
        return { status: 'fail', reasons: [`${describeEvidence(e)}: the signed statement's predicate type is ${JSON.stringify(r.statement?.predicateType)}, not ${leaf.predicateType}`] };
      }
      statement ??= r.statement;
      if (r.signer) signers.push(r.signer);
      return { status: 'pass', reasons: r.reasons, ...(r.signer !== undefined && { signer: r.signer }) };
    });
    if (outcome.status === 'pass' && statement) verified.push({ statement, signers, where: describeEvidence(e), evidence: e });
    else rejections.push(...outcome.reasons);
  }
  if (verified.length === 0) {
    return { status: 'fail', reasons: [`no attestation of type ${leaf.predicateType} signed by ${signedBy}`, ...[...new Set(rejections)].slice(0, MAX_REASONS)] };
  }

  const signer = [...new Set(verified.flatMap((v) => v.signers))].join(', ') || undefined;
  let reasons: string[];
  let counted = verified;
  if (leaf.conditions.length === 0 && !leaf.policy) {
    reasons = [`${verified.length} attestation${verified.length > 1 ? 's' : ''} of type ${leaf.predicateType} verified (signed by ${signer ?? signedBy})`];
  } else {
    const judged = await Promise.all(
      verified.map(async (v) => {
        const r = evaluateConditions(leaf.conditions, { predicate: v.statement.predicate, statement: v.statement.raw, image, ...(leaf.name !== undefined && { name: leaf.name }), ...(deps.now && { now: deps.now() }) });
        if (!r.ok || !leaf.policy) return { v, r };
        // policy-controller evaluates the statement as signed (the decoded DSSE payload).
        const p = await checkPayloadPolicy(leaf.policy, JSON.stringify(v.statement.raw), leaf.name ?? leaf.predicateType, deps.env);
        if (p.ok) return { v, r };
        return { v, r: { ok: false, reasons: [p.reason] }, ...((p.unsupported || p.error) && { undecided: p }) };
      }),
    );
    const failing = judged.filter((j) => !j.r.ok);
    const passing = judged.filter((j) => j.r.ok);
    const ok = leaf.statements === 'all' ? failing.length === 0 : passing.length > 0;
    if (!ok) {
      // No evaluator here (or a program that does not run): undecided, never a plain failure under Audit.
      const undecided = failing.map((j) => ('undecided' in j ? j.undecided : undefined)).find((u) => u !== undefined);
      if (undecided) return { status: 'error', reasons: [undecided.reason], ...(undecided.unsupported && { unsupported: true as const }) };
      const explain = failing.slice(0, 3).flatMap((j) => j.r.reasons.map((m) => (verified.length > 1 ? `${j.v.where}: ${m}` : m)));
      const head = leaf.statements === 'all' && passing.length > 0 ? [`${failing.length} of ${verified.length} attestations of type ${leaf.predicateType} fail the conditions`] : [];
      return { status: 'fail', reasons: [...head, ...explain].slice(0, MAX_REASONS + 1) };
    }
    counted = passing.map((j) => j.v);
    const what = leaf.policy ? `its ${leaf.policy.type} policy` : 'the conditions';
    reasons = [`attestation of type ${leaf.predicateType} signed by ${signer ?? signedBy} satisfies ${what}${verified.length > 1 ? ` (${passing.length} of ${verified.length} statements)` : ''}`];
  }
  deps.cache.put(digest, cacheSubject, evidenceSite(sigRepo), { reasons, ...(signer !== undefined && { signer }) });
  // The verified statements, for ImageValidatingPolicy's extractPayload (never an unverified one).
  const matches = deps.collect ? counted.map((v) => attestationMatch(v.evidence, leaf.predicateType)) : undefined;
  return { status: 'pass', reasons, ...(signer !== undefined && { signer }), statements: verified.map((v) => v.statement.raw), ...(matches && { matches }) };
}

/** An attestation as policy-controller lists it: the signature id (an `.att` layer's signature annotation is empty), type, layer digest. */
function attestationMatch(e: AttestationEvidence, predicateType: string): { id: string; predicateType: string; digest?: string } {
  if (e.source !== 'layer') return { id: signatureId(''), predicateType };
  return { id: signatureId(e.layer.annotations[SIGNATURE_ANNOTATION], e.layer.annotations[CERTIFICATE_ANNOTATION]), predicateType, digest: e.layer.digest };
}

function withRunRoot(leaf: CertificateRequirement, deps: LeafDeps): CertificateRequirement {
  if (leaf.trustedRoot !== undefined || leaf.roots) return leaf;
  const text = deps.trust().trustedRootJson;
  return text === undefined ? leaf : { ...leaf, trustedRoot: text };
}

/** Whether key signers are involved. */
async function needsKeys(req: Requirement, resolved: ReadonlyMap<KeyRequirement, KeyRequirement | string>): Promise<boolean> {
  const keys = signerLeaves(req).flatMap((l) => {
    if (l.kind !== 'key') return [];
    const r = resolved.get(l) ?? l;
    return typeof r === 'string' ? [] : r.keys;
  });
  return keys.length > 0;
}

function signerLeaves(req: Requirement): Requirement[] {
  if (req.kind === 'all' || req.kind === 'any' || req.kind === 'count') return req.of.flatMap(signerLeaves);
  return [req];
}

function describeKeyRefs(leaves: Requirement[]): string {
  return leaves.map((l) => (l.kind === 'key' && l.keyRef ? (l.keyRef.type === 'kms' ? l.keyRef.uri : `k8s://${l.keyRef.namespace}/${l.keyRef.name}`) : l.kind)).join('; ');
}

/** "the policy key", "mitr@redhat.com (issuer …)", "one of 2 keys"… for "no attestation … signed by X". */
export function describeSigners(req: Requirement): string {
  const leaves = signerLeaves(req);
  if (leaves.some((l) => l.kind === 'key' && l.keyRef)) return describeKeyRefs(leaves);
  const names = leaves.map((l) => {
    if (l.kind === 'key') return l.keys.length > 1 ? `one of ${l.keys.length} keys` : 'the policy key';
    if (l.kind === 'certificate') {
      const id = l.identities[0];
      const who = id ? (id.subject ?? (id.subjectRegExp !== undefined ? `/${id.subjectRegExp}/` : 'any subject')) : l.source === 'pki' ? 'the policy CA' : 'any Fulcio identity';
      const issuer = id?.issuer ?? (id?.issuerRegExp !== undefined ? `/${id.issuerRegExp}/` : undefined);
      return `${who}${issuer ? ` (issuer ${issuer})` : ''}${l.identities.length > 1 ? ` or ${l.identities.length - 1} other identities` : ''}`;
    }
    return l.kind;
  });
  if (names.length === 0) return 'nobody';
  return names.length === 1 ? names[0]! : `${req.kind === 'any' ? 'any of' : 'all of'}: ${names.join('; ')}`;
}

function trustRootUnavailable(err: unknown): LeafOutcome {
  return {
    status: 'error',
    reasons: [`cannot load the Sigstore trusted root (public-good root, --trusted-root or the policy's TrustRoot): ${(err as Error).message}`],
  };
}
