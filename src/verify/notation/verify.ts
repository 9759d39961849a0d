// One Notary Project signature checked against one trust policy statement, in notation-go's
// order (verifier.go processSignature): integrity, plugin, authenticity (trust store and trusted
// identities), expiry, authentic timestamp, revocation, then the signed descriptor. Each check
// has an action from the verification level: enforce stops with a failure, log records a
// warning and goes on, skip does nothing. Integrity and the descriptor are always enforced.

import type { X509Certificate } from 'node:crypto';
import { type Envelope, IntegrityError, openEnvelope } from './envelope.js';
import { verifyTimestamp } from './timestamp.js';
import { chainProblem, type DistinguishedName, formatDn, isRevocable, isSubsetDn, subjectDn, trustedBy, validityProblem } from './x509.js';

export type Action = 'enforce' | 'log' | 'skip';

export interface NotationChecks {
  authenticity: Action;
  authenticTimestamp: Action;
  expiry: Action;
  revocation: Action;
}

export interface TrustStatement {
  /** For messages: the statement's name and level. */
  name: string;
  level: string;
  checks: NotationChecks;
  verifyTimestamp: 'always' | 'afterCertExpiry';
  ca: readonly X509Certificate[];
  signingAuthority: readonly X509Certificate[];
  tsa: readonly X509Certificate[];
  /** Whether the statement names a `tsa:` store at all (timestamps are verified only then). */
  hasTsaStore: boolean;
  identities: '*' | readonly DistinguishedName[];
  /** Annotations the signed descriptor must carry (`notation verify -m`). */
  userMetadata?: Readonly<Record<string, string>>;
}

/** What the signature must name: the resolved manifest descriptor. */
export interface TargetDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export type SignatureOutcome =
  /** `validUntil`: when the same checks could first answer otherwise (the signature's expiry, the chain's end when it was judged at `now`). */
  | { ok: true; warnings: string[]; signer: string; validUntil?: Date }
  | { ok: false; reason: string; warnings: string[] };

export interface VerifyInput {
  mediaType: string;
  envelope: Uint8Array;
  target: TargetDescriptor;
  statement: TrustStatement;
  now: Date;
}

class Stop extends Error {}

export async function verifyNotationSignature(input: VerifyInput): Promise<SignatureOutcome> {
  const { statement: st, now } = input;
  const warnings: string[] = [];
  const check = (name: keyof NotationChecks, problem: string | undefined) => {
    if (problem === undefined) return;
    const action = st.checks[name];
    if (action === 'enforce') throw new Stop(problem);
    if (action === 'log') warnings.push(`${problem} (${name} is "log" at level ${st.level}: not enforced)`);
  };
  try {
    // 1. Integrity: always enforced.
    let env: Envelope;
    try {
      env = await openEnvelope(input.mediaType, input.envelope);
    } catch (err) {
      if (err instanceof IntegrityError) throw new Stop(`integrity: ${err.message}`);
      throw err;
    }
    const chainIssue = chainProblem(env.certificates);
    if (chainIssue) throw new Stop(`integrity: invalid certificate chain: ${chainIssue}`);
    // 2. A plugin-verified signature needs that plugin: inconclusive without it.
    if (env.plugin) throw new Stop(`the signature requires the verification plugin ${JSON.stringify(env.plugin.slice(0, 80))}, which this tool does not run`);
    // 3. Authenticity and trusted identities.
    if (st.checks.authenticity !== 'skip') check('authenticity', authenticityProblem(env, st));
    // 4. Expiry of the signature.
    if (st.checks.expiry !== 'skip' && env.expiry && !(now < env.expiry)) check('expiry', `the signature expired on ${env.expiry.toISOString()}`);
    // 5. Authentic timestamp.
    let tsaChain: X509Certificate[] = [];
    let judgedAtNow = false;
    if (st.checks.authenticTimestamp !== 'skip') {
      const ts = timestampProblem(env, st, now);
      tsaChain = ts.tsaChain;
      judgedAtNow = ts.judgedAtNow === true;
      check('authenticTimestamp', ts.problem);
    }
    // 6. Revocation: not queried (no OCSP/CRL client); a certificate that could be revoked is "not checked".
    if (st.checks.revocation !== 'skip') {
      const revocable = [...env.certificates, ...tsaChain].filter(isRevocable);
      if (revocable.length > 0) {
        check(
          'revocation',
          `revocation not checked for ${revocable.map((c) => c.subject.split('\n').join(', ')).join('; ')}: the certificate names OCSP/CRL endpoints and this tool does not query them (offline)`,
        );
      }
    }
    // 7. The signed descriptor must be the image's: always enforced.
    descriptorCheck(env, input.target, st.userMetadata);
    const leaf = env.certificates[0]!;
    const horizons = [
      ...(st.checks.expiry !== 'skip' && env.expiry ? [env.expiry.getTime()] : []),
      // Judged at `now`, the chain holds until its first certificate ends (then a timestamp may be needed).
      ...(judgedAtNow ? env.certificates.map((c) => new Date(c.validTo).getTime()) : []),
    ];
    return {
      ok: true,
      warnings,
      signer: `${leaf.subject.split('\n').join(', ')} (Notation ${env.format.toUpperCase()}, trust policy ${st.name})`,
      ...(horizons.length > 0 && { validUntil: new Date(Math.min(...horizons)) }),
    };
  } catch (err) {
    if (err instanceof Stop) return { ok: false, reason: err.message, warnings };
    throw err;
  }
}

function authenticityProblem(env: Envelope, st: TrustStatement): string | undefined {
  const authority = env.signingScheme === 'notary.x509' ? st.ca : st.signingAuthority;
  const kind = env.signingScheme === 'notary.x509' ? 'ca' : 'signingAuthority';
  if (authority.length === 0) return `no trusted certificates are found to verify authenticity (no ${kind}: store for signing scheme ${env.signingScheme})`;
  if (!trustedBy(env.certificates, authority)) return 'signature is not produced by a trusted signer';
  if (st.identities === '*') return undefined;
  const leaf = subjectDn(env.certificates[0]!);
  if (st.identities.some((id) => isSubsetDn(id, leaf))) return undefined;
  return `signing certificate from the digital signature does not match the X.509 trusted identities [${st.identities.map(formatDn).join('; ')}] defined in the trust policy "${st.name}" (its subject is ${formatDn(leaf)})`;
}

function timestampProblem(env: Envelope, st: TrustStatement, now: Date): { problem?: string; tsaChain: X509Certificate[]; judgedAtNow?: boolean } {
  const chain = env.certificates;
  if (env.signingScheme === 'notary.x509.signingAuthority') {
    const invalid = validityProblem(chain, env.authenticSigningTime!, 'authentic signing time');
    return invalid ? { problem: invalid, tsaChain: [] } : { tsaChain: [] };
  }
  const expired = chain.some((c) => now > new Date(c.validTo));
  const wanted = st.hasTsaStore && (st.verifyTimestamp === 'always' || expired);
  if (!wanted) {
    // Without a trusted timestamp, the chain must be valid now (notation-go: an authenticTimestamp check).
    const invalid = validityProblem(chain, now);
    return invalid ? { problem: invalid, tsaChain: [] } : { tsaChain: [], judgedAtNow: true };
  }
  if (!env.timestampToken) return { problem: 'no timestamp countersignature was found in the signature', tsaChain: [] };
  const ts = verifyTimestamp(env.timestampToken, env.signature, st.tsa);
  if (typeof ts === 'string') return { problem: ts, tsaChain: [] };
  for (const cert of chain) {
    if (ts.earliest < new Date(cert.validFrom) || ts.latest > new Date(cert.validTo)) {
      return {
        problem: `timestamp [${ts.earliest.toISOString()}, ${ts.latest.toISOString()}] is not within the validity of certificate ${cert.subject.split('\n').join(', ')}`,
        tsaChain: ts.chain,
      };
    }
  }
  return { tsaChain: ts.chain };
}

function descriptorCheck(env: Envelope, target: TargetDescriptor, metadata: Readonly<Record<string, string>> | undefined): void {
  let payload: { targetArtifact?: { mediaType?: unknown; digest?: unknown; size?: unknown; annotations?: Record<string, unknown> } };
  try {
    payload = JSON.parse(Buffer.from(env.payload).toString('utf8'));
  } catch {
    throw new Stop('integrity: the signed payload is not JSON');
  }
  const signed = payload.targetArtifact;
  if (!signed || signed.digest !== target.digest || signed.mediaType !== target.mediaType || signed.size !== target.size) {
    const named = signed && typeof signed.digest === 'string' ? ` (it names ${String(signed.digest).slice(0, 80)}, ${String(signed.mediaType).slice(0, 80)}, ${String(signed.size)} bytes)` : '';
    throw new Stop(`content descriptor mismatch: the signature is not for this image${named}`);
  }
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (signed.annotations?.[k] !== v) throw new Stop(`the signature lacks the user metadata ${k}=${v}`);
  }
}
