// A Notation requirement on one image digest: its Notary Project signatures (referrers API or
// the referrers tag schema) tried in order, at most `maxSignatures`, the first that passes wins,
// all failures joined otherwise (notation-go Verify). For Kyverno Notary attestations: the
// image's referrers of one artifact type, each Notation-signed, their payload under the conditions.

import { X509Certificate } from 'node:crypto';
import { evaluateConditions, imageVars } from '../policy/conditions.js';
import type { LeafOutcome } from '../policy/evaluate.js';
import type { NotationRequirement } from '../policy/model.js';
import type { Descriptor, Repository } from '../registry/types.js';
import { type SignatureOutcome, type TrustStatement, verifyNotationSignature } from '../verify/notation/verify.js';
import type { VerdictCache } from '../cache/verdict-cache.js';
import { evidenceSite } from './cache-subject.js';
import type { Evidence } from './evidence.js';
import type { LeafTarget } from './signed-leaves.js';

export interface NotationDeps {
  evidence: Evidence;
  /** Verdicts of signature requirements, until the signature could first be judged otherwise. */
  cache?: VerdictCache;
  /** Clock (tests); default now. */
  now?: () => Date;
}

export async function checkNotationLeaf(leaf: NotationRequirement, target: LeafTarget, deps: NotationDeps): Promise<LeafOutcome> {
  const now = deps.now?.() ?? new Date();
  // A clean pass is cached (not one with logged problems: those are said every run, and not
  // attestations, whose payloads the conditions read). Not under a fixed clock (`verify-images
  // test`'s `now:`): the entry's bound is checked against the real one.
  if (!leaf.referrer && !deps.now) {
    const cached = await deps.cache?.get(target.digest, leaf, evidenceSite(target.sigRepo));
    if (cached) return { status: 'pass', reasons: cached.reasons, ...(cached.signer !== undefined && { signer: cached.signer }) };
  }
  const statement = trustStatement(leaf);
  let descriptor: Descriptor;
  try {
    descriptor = await deps.evidence.resolve(target.repo, target.digest);
  } catch (err) {
    return { status: 'error', reasons: [`cannot read the image manifest descriptor: ${(err as Error).message}`] };
  }
  const name = `${target.ref.registry}/${target.ref.repository}@${target.digest}`;
  if (!leaf.referrer) {
    const { validUntil, ...outcome } = await signedBy(target.sigRepo, descriptor, name, statement, leaf, deps, now);
    if (outcome.status === 'pass' && !outcome.warnings?.length && !deps.now) {
      deps.cache?.put(target.digest, leaf, evidenceSite(target.sigRepo), { reasons: outcome.reasons, ...(outcome.signer !== undefined && { signer: outcome.signer }), ...(validUntil && { until: validUntil.getTime() }) });
    }
    return outcome;
  }

  // Kyverno Notary attestations: every referrer of the type must be signed and satisfy the conditions.
  const { artifactType, conditions } = leaf.referrer;
  let found: Descriptor[];
  try {
    found = await deps.evidence.referrers(target.sigRepo, target.digest, artifactType);
  } catch (err) {
    return { status: 'error', reasons: [`cannot list referrers of type ${artifactType}: ${(err as Error).message}`] };
  }
  if (found.length === 0) return { status: 'fail', reasons: [`no attestation of type ${artifactType} refers to "${name}"`] };
  const warnings: string[] = [];
  const payloads: unknown[] = [];
  for (const ref of found) {
    const { validUntil: _, ...signed } = await signedBy(target.sigRepo, ref, `${target.ref.registry}/${target.ref.repository}@${ref.digest}`, statement, leaf, deps, now);
    if (signed.status !== 'pass') return { ...signed, reasons: signed.reasons.map((r) => `attestation ${ref.digest}: ${r}`) };
    warnings.push(...(signed.warnings ?? []));
    let payload: unknown;
    try {
      payload = await referrerPayload(target.sigRepo, ref, deps.evidence);
    } catch (err) {
      return { status: 'error', reasons: [`attestation ${ref.digest}: cannot read its payload: ${(err as Error).message}`] };
    }
    payloads.push(payload);
    if (conditions.length > 0) {
      const r = evaluateConditions(conditions, {
        predicate: payload,
        statement: payload,
        image: imageVars(target.ref, target.digest),
        ...(leaf.referrer.name !== undefined && { name: leaf.referrer.name }),
        now,
      });
      if (!r.ok) return { status: 'fail', reasons: r.reasons.map((m) => `attestation ${ref.digest}: ${m}`) };
    }
  }
  return {
    status: 'pass',
    reasons: [`${found.length} attestation${found.length === 1 ? '' : 's'} of type ${artifactType}, Notation-signed${conditions.length > 0 ? ' and satisfying the conditions' : ''}`],
    statements: payloads,
    ...(warnings.length > 0 && { warnings }),
  };
}

/** The signatures of `subject` (an image or a referrer) against one statement: the first that passes wins. */
async function signedBy(
  repo: Repository,
  subject: Descriptor,
  name: string,
  statement: TrustStatement,
  leaf: NotationRequirement,
  deps: NotationDeps,
  now: Date,
): Promise<LeafOutcome & { validUntil?: Date }> {
  let signatures: Descriptor[];
  try {
    signatures = await deps.evidence.notationSignatures(repo, subject.digest);
  } catch (err) {
    return { status: 'error', reasons: [`cannot list the signatures of "${name}": ${(err as Error).message}`] };
  }
  if (signatures.length === 0) {
    return { status: 'fail', reasons: [`no signature is associated with "${name}", make sure the artifact was signed successfully`] };
  }
  if (signatures.length > leaf.maxSignatures) {
    return { status: 'fail', reasons: [`signature evaluation stopped. The configured limit of ${leaf.maxSignatures} signatures to verify per artifact exceeded (${signatures.length} found)`] };
  }
  const failures: string[] = [];
  for (const [i, sig] of signatures.entries()) {
    let envelope: Awaited<ReturnType<Evidence['notationEnvelope']>>;
    try {
      envelope = await deps.evidence.notationEnvelope(repo, sig);
    } catch (err) {
      failures.push(`signature ${i + 1} (${sig.digest.slice(0, 19)}…): cannot fetch it: ${(err as Error).message}`);
      continue;
    }
    if ('problem' in envelope) {
      failures.push(`signature ${i + 1} (${sig.digest.slice(0, 19)}…): ${envelope.problem}`);
      continue;
    }
    const outcome: SignatureOutcome = await verifyNotationSignature({
      mediaType: envelope.mediaType,
      envelope: envelope.bytes,
      target: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      statement,
      now,
    });
    if (outcome.ok) {
      return {
        status: 'pass',
        reasons: [`signed (Notary Project): ${outcome.signer}`],
        signer: outcome.signer,
        ...(outcome.warnings.length > 0 && { warnings: outcome.warnings }),
        ...(outcome.validUntil && { validUntil: outcome.validUntil }),
      };
    }
    failures.push(signatures.length === 1 ? outcome.reason : `signature ${i + 1} (${sig.digest.slice(0, 19)}…): ${outcome.reason}`);
  }
  return { status: 'fail', reasons: failures };
}

/** The referrer's content: its first layer, as JSON (Kyverno's extractStatement). */
async function referrerPayload(repo: Repository, ref: Descriptor, evidence: Evidence): Promise<unknown> {
  const manifest = await evidence.manifest(repo, ref.digest);
  if (!manifest) throw new Error('the referrer manifest is missing');
  const layers = manifest.json['layers'] ?? manifest.json['blobs'];
  const layer = Array.isArray(layers) ? (layers[0] as Descriptor | undefined) : undefined;
  if (!layer?.digest) throw new Error('the referrer has no layer');
  const bytes = await evidence.blob(repo, layer.digest);
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

// PEM → certificates once per run, however many images a statement judges.
const statements = new WeakMap<NotationRequirement, TrustStatement>();
function trustStatement(leaf: NotationRequirement): TrustStatement {
  let st = statements.get(leaf);
  if (!st) {
    const certs = (pems: string[]) => pems.map((p) => new X509Certificate(p));
    st = {
      name: leaf.statement,
      level: leaf.level,
      checks: leaf.checks,
      verifyTimestamp: leaf.verifyTimestamp,
      ca: certs(leaf.ca),
      signingAuthority: certs(leaf.signingAuthority),
      tsa: certs(leaf.tsa),
      hasTsaStore: leaf.hasTsaStore,
      identities: leaf.identities === '*' ? '*' : leaf.identities,
    };
    statements.set(leaf, st);
  }
  return st;
}
