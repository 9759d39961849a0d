// A signing certificate against a CertificateRequirement: chain to the trusted
// CAs at each verified signing time, code-signing EKU, embedded SCT, then the
// identity policy (SANs, issuer, Fulcio extensions). Pure; never throws for bad
// evidence.

import { X509Certificate as NodeX509 } from 'node:crypto';
import { ASN1Obj, X509Certificate } from '@sigstore/core';
import { verifySCTs } from '@sigstore/verify/dist/key/sct.js';
import type { CertificateIdentity, CertificateRequirement } from '../policy/model.js';
import type { SigstoreTrust } from './sigstore-trust.js';

const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const EKU_ANY = '2.5.29.37.0';
const FULCIO = '1.3.6.1.4.1.57264.1';
const OID_ISSUER_V1 = `${FULCIO}.1`;
const OID_ISSUER_V2 = `${FULCIO}.8`;
const OID_OTHERNAME_SAN = `${FULCIO}.7`;

/** Kyverno's names for Fulcio extensions (cosign CertExtensions), to dotted OIDs. */
export const EXTENSION_NAMES: Readonly<Record<string, string>> = {
  issuer: OID_ISSUER_V1,
  githubWorkflowTrigger: `${FULCIO}.2`,
  githubWorkflowSha: `${FULCIO}.3`,
  githubWorkflowName: `${FULCIO}.4`,
  githubWorkflowRepository: `${FULCIO}.5`,
  githubWorkflowRef: `${FULCIO}.6`,
  buildSignerURI: `${FULCIO}.9`,
  buildSignerDigest: `${FULCIO}.10`,
  runnerEnvironment: `${FULCIO}.11`,
  sourceRepositoryURI: `${FULCIO}.12`,
  sourceRepositoryDigest: `${FULCIO}.13`,
  sourceRepositoryRef: `${FULCIO}.14`,
  sourceRepositoryIdentifier: `${FULCIO}.15`,
  sourceRepositoryOwnerURI: `${FULCIO}.16`,
  sourceRepositoryOwnerIdentifier: `${FULCIO}.17`,
  buildConfigURI: `${FULCIO}.18`,
  buildConfigDigest: `${FULCIO}.19`,
  buildTrigger: `${FULCIO}.20`,
  runInvocationURI: `${FULCIO}.21`,
  sourceRepositoryVisibilityAtSigning: `${FULCIO}.22`,
  deploymentEnvironment: `${FULCIO}.23`,
};

export interface CertificateCheck {
  ok: boolean;
  /** The failure, in a deployer's words. */
  reason?: string;
  /** "mitr@redhat.com (issuer https://github.com/login/oauth)" on success. */
  identity?: string;
}

/** What a certificate says about who it belongs to. */
export interface CertificateFacts {
  sans: string[];
  issuer?: string;
}

/**
 * Checks `leaf` (PEM or DER) for `req`. `times` are the verified signing times
 * (Rekor integratedTime, RFC 3161); with none, `now` is used (cosign does the same,
 * which fails for short-lived Fulcio certificates, as it should).
 */
export function checkCertificate(
  leafPem: string | Uint8Array,
  req: CertificateRequirement,
  trust: SigstoreTrust,
  times: readonly Date[],
  now: Date = new Date(),
  /** PEM intermediates shipped with the signature (cosign's `chain` annotation): usable, not trusted. */
  intermediates?: string,
): CertificateCheck {
  const parsed = parseCertificate(leafPem);
  if (!parsed) return { ok: false, reason: 'the signing certificate does not parse' };
  const { leaf, node } = parsed;
  const at = times.length > 0 ? times : [now];
  const extra = untrustedIntermediates(intermediates);
  let path: X509Certificate[] = [];
  for (const t of at) {
    const found = chainAt(leaf, node, trust, t, extra);
    if (typeof found === 'string') return { ok: false, reason: found };
    path = found;
  }

  if (req.sct === 'require') {
    const issuer = path[1];
    let verified: unknown[] = [];
    try {
      verified = issuer ? verifySCTs(leaf, issuer, trust.ctlogs) : [];
    } catch {
      return { ok: false, reason: 'the certificate transparency timestamp (SCT) does not verify against the trusted CT logs' };
    }
    if (verified.length === 0) {
      return { ok: false, reason: 'the signing certificate carries no certificate transparency timestamp (SCT), and the policy requires one' };
    }
  }
  return certificatePolicy(leaf, node, req);
}

/**
 * The parts of a requirement about the certificate itself, not its trust: code-signing
 * EKU, identities and extensions. Bundles get chain and SCT from @sigstore/verify, then this.
 */
export function certificatePolicy(leaf: X509Certificate, node: NodeX509, req: CertificateRequirement): CertificateCheck {
  if (req.leafCertificate !== undefined) {
    let want: X509Certificate | undefined;
    try {
      want = X509Certificate.parse(req.leafCertificate);
    } catch {
      return { ok: false, reason: "the policy's certificate does not parse" };
    }
    if (!want.equals(leaf)) return { ok: false, reason: "signed with a certificate other than the policy's" };
  }
  const eku = node.keyUsage;
  const hasEku = Array.isArray(eku) && eku.length > 0;
  if ((req.source === 'fulcio' || hasEku) && !(eku ?? []).some((o) => o === EKU_CODE_SIGNING || o === EKU_ANY)) {
    return { ok: false, reason: 'the signing certificate is not for code signing (extended key usage)' };
  }
  const facts = certificateFacts(leaf, node);
  const mismatch = identityMismatch(facts, req.identities);
  if (mismatch) return { ok: false, reason: mismatch };
  for (const [name, wanted] of Object.entries(req.extensions ?? {})) {
    const oid = EXTENSION_NAMES[name] ?? name;
    const found = extensionValue(leaf, oid);
    if (found !== wanted) {
      return { ok: false, reason: `certificate extension ${name} is ${found === undefined ? 'absent' : JSON.stringify(found)}, the policy wants ${JSON.stringify(wanted)}` };
    }
  }
  return { ok: true, identity: describeFacts(facts) };
}

export interface ParsedCertificate {
  leaf: X509Certificate;
  node: NodeX509;
}

// Many signatures share a certificate (re-runs, several policies): parse each once.
const parsedMemo = new Map<string, ParsedCertificate | undefined>();
const MEMO_LIMIT = 2000;

/** A certificate (PEM or DER) in both parsers' forms, or undefined when it does not parse. */
export function parseCertificate(input: string | Uint8Array): ParsedCertificate | undefined {
  const key = typeof input === 'string' ? input : Buffer.from(input).toString('base64');
  if (parsedMemo.has(key)) return parsedMemo.get(key);
  let parsed: ParsedCertificate | undefined;
  try {
    const bytes = typeof input === 'string' ? input : Buffer.from(input);
    parsed = { leaf: X509Certificate.parse(bytes), node: new NodeX509(bytes) };
  } catch {
    parsed = undefined;
  }
  if (parsedMemo.size >= MEMO_LIMIT) parsedMemo.clear();
  parsedMemo.set(key, parsed);
  return parsed;
}

/** A certificate with what path building asks of it, computed once (node:crypto is native and fast). */
interface ChainCert {
  cert: X509Certificate;
  node: NodeX509;
  from: Date;
  to: Date;
  /** May issue certificates: basicConstraints CA, or an X.509 v1 certificate (old private PKIs). */
  canIssue: boolean;
  selfSigned: boolean;
}

const chainMemo = new WeakMap<X509Certificate, ChainCert>();

function chainCert(cert: X509Certificate, node?: NodeX509): ChainCert {
  let c = chainMemo.get(cert);
  if (!c) {
    const n = node ?? new NodeX509(Buffer.from(cert.root.toDER()));
    c = {
      cert,
      node: n,
      from: new Date(n.validFrom),
      to: new Date(n.validTo),
      canIssue: n.ca || cert.version === 'v1',
      selfSigned: n.subject === n.issuer && safeVerify(n, n),
    };
    chainMemo.set(cert, c);
  }
  return c;
}

/** The trusted path leaf → anchor valid at `t`, or why there is none. */
function chainAt(leaf: X509Certificate, node: NodeX509, trust: SigstoreTrust, t: Date, extra: readonly ChainCert[] = []): X509Certificate[] | string {
  const cas = trust.certificateAuthorities.filter((ca) => ca.validFor.start <= t && t <= ca.validFor.end);
  if (cas.length === 0) return `no trusted certificate authority was valid at the signing time (${t.toISOString()})`;
  const start = chainCert(leaf, node);
  let expired = false;
  for (const ca of cas) {
    const path = buildPath(start, ca.certChain.map((c) => chainCert(c)), extra);
    if (!path) continue;
    if (path.every((c) => c.from <= t && t <= c.to)) return path.map((c) => c.cert);
    expired = true;
  }
  return expired
    ? `the signing certificate (or its chain) was not valid at the signing time ${t.toISOString()} (valid ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()})`
    : 'the signing certificate does not chain to a trusted certificate authority';
}

/**
 * Leaf, intermediates…, anchor: every issuer from the trusted pool, signatures checked.
 * Intermediates must be CAs; X.509 v1 certificates (no extensions, old private PKIs) are
 * accepted as CAs the way OpenSSL and Go accept v1 roots.
 */
function buildPath(leaf: ChainCert, pool: readonly ChainCert[], extra: readonly ChainCert[] = []): ChainCert[] | undefined {
  const path = [leaf];
  let current = leaf;
  const issues = (c: ChainCert) => c.canIssue && current.node.checkIssued(c.node) && safeVerify(current.node, c.node);
  for (let depth = 0; depth < 10; depth++) {
    const trusted = pool.find(issues);
    if (trusted) {
      if (trusted.node.fingerprint256 === current.node.fingerprint256) return path; // a trusted self-signed certificate is its own anchor
      path.push(trusted);
      // Reaching the trust pool ends the path: the rest of the CA's chain is trusted as given.
      return path.concat(anchorOf(trusted, pool));
    }
    // Not issued by a trusted certificate: an untrusted intermediate may bridge the gap.
    const bridge = extra.find((c) => !c.selfSigned && issues(c) && !path.includes(c));
    if (!bridge) return undefined;
    path.push(bridge);
    current = bridge;
  }
  return undefined;
}

/** From a trusted certificate up to its self-signed root, within the pool (for validity checks). */
function anchorOf(start: ChainCert, pool: readonly ChainCert[]): ChainCert[] {
  const out: ChainCert[] = [];
  let current = start;
  for (let depth = 0; depth < 10 && !current.selfSigned; depth++) {
    const next = pool.find((c) => c !== current && c.canIssue && current.node.checkIssued(c.node) && safeVerify(current.node, c.node));
    if (!next) break;
    out.push(next);
    current = next;
  }
  return out;
}

function untrustedIntermediates(pem: string | undefined): ChainCert[] {
  if (!pem) return [];
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].flatMap((m) => {
    const parsed = parseCertificate(m[0]);
    return parsed ? [chainCert(parsed.leaf, parsed.node)] : [];
  });
}

function safeVerify(cert: NodeX509, issuer: NodeX509): boolean {
  try {
    return cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** SANs (email, URI, DNS, IP, Fulcio OtherName) and the OIDC issuer (.1.8, else .1.1). */
export function certificateFacts(leaf: X509Certificate, node: NodeX509 = new NodeX509(leaf.root.toDER())): CertificateFacts {
  const sans: string[] = [];
  for (const part of splitSan(node.subjectAltName ?? '')) {
    const m = /^(email|URI|DNS|IP Address):(.*)$/.exec(part);
    if (m) sans.push(unquote(m[2]!));
  }
  try {
    const other = leaf.extSubjectAltName?.otherName(OID_OTHERNAME_SAN);
    if (other) sans.push(other);
  } catch {
    // A malformed OtherName is simply not an identity.
  }
  const issuer = extensionValue(leaf, OID_ISSUER_V2) ?? extensionValue(leaf, OID_ISSUER_V1);
  return { sans, ...(issuer !== undefined && { issuer }) };
}

/** Node lists SANs as `type:value, type:value`, quoting values that contain separators. */
function splitSan(text: string): string[] {
  return text.match(/(?:[^,"]|"(?:[^"\\]|\\.)*")+/g)?.map((s) => s.trim()) ?? [];
}

function unquote(v: string): string {
  if (!v.startsWith('"')) return v;
  try {
    return JSON.parse(v) as string;
  } catch {
    return v;
  }
}

/**
 * An extension's value as text: Fulcio .1.1–.1.6 hold raw bytes, .1.8 and later a DER
 * UTF8String; other OIDs are read as DER strings when they parse as one, else raw.
 */
export function extensionValue(leaf: X509Certificate, oid: string): string | undefined {
  const ext = leaf.extension(oid);
  if (!ext) return undefined;
  const raw = ext.value;
  const legacy = /^1\.3\.6\.1\.4\.1\.57264\.1\.[1-6]$/.test(oid);
  if (!legacy) {
    try {
      const sub = ASN1Obj.parseBuffer(Buffer.from(raw));
      // UTF8String(12), PrintableString(19), IA5String(22)
      if (sub.tag.isUniversal() && [12, 19, 22].includes(sub.tag.number)) return sub.value.toString('utf8');
    } catch {
      // not DER: fall through to the raw bytes
    }
  }
  return raw.toString('utf8');
}

/** Why none of the identities matches; undefined when one does (or none is required). */
export function identityMismatch(facts: CertificateFacts, identities: readonly CertificateIdentity[]): string | undefined {
  if (identities.length === 0) return undefined;
  const failures: string[] = [];
  for (const id of identities) {
    const why = oneIdentity(facts, id);
    if (!why) return undefined;
    failures.push(why);
  }
  const uniq = [...new Set(failures)];
  return uniq.length === 1 ? uniq[0] : `no identity matches: ${uniq.join('; ')}`;
}

function oneIdentity(facts: CertificateFacts, id: CertificateIdentity): string | undefined {
  const who = facts.sans.length > 0 ? facts.sans.map((s) => JSON.stringify(s)).join(', ') : 'no subject';
  if (id.subject !== undefined && !facts.sans.some((s) => matchValue(s, id.subject!, id.match))) {
    return `signed by ${who}, the policy wants subject ${JSON.stringify(id.subject)}`;
  }
  if (id.subjectRegExp !== undefined && !facts.sans.some((s) => matchRegExp(s, id.subjectRegExp!, id.match))) {
    return `signed by ${who}, the policy wants a subject matching /${id.subjectRegExp}/`;
  }
  const issuer = facts.issuer;
  const issuerText = issuer === undefined ? 'no issuer' : `issuer ${JSON.stringify(issuer)}`;
  if (id.issuer !== undefined && (issuer === undefined || !matchValue(issuer, id.issuer, id.match))) {
    return `the certificate names ${issuerText}, the policy wants issuer ${JSON.stringify(id.issuer)}`;
  }
  if (id.issuerRegExp !== undefined && (issuer === undefined || !matchRegExp(issuer, id.issuerRegExp, id.match))) {
    return `the certificate names ${issuerText}, the policy wants an issuer matching /${id.issuerRegExp}/`;
  }
  return undefined;
}

/** kyverno: `*`/`?` wildcards over the whole value; cip and cosign (IVPOL): exact. */
function matchValue(value: string, pattern: string, flavour: CertificateIdentity['match']): boolean {
  if (flavour !== 'kyverno' || !/[*?]/.test(pattern)) return value === pattern;
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}

/** kyverno and cosign (IVPOL): Go regexp.MatchString (unanchored); cip: anchored, as policy-controller does. */
function matchRegExp(value: string, pattern: string, flavour: CertificateIdentity['match']): boolean {
  try {
    return new RegExp(flavour === 'cip' ? `^(?:${pattern})$` : pattern).test(value);
  } catch {
    return false;
  }
}

export function describeFacts(f: CertificateFacts): string {
  const who = f.sans[0] ?? 'a certificate without subject';
  return f.issuer ? `${who} (issuer ${f.issuer})` : who;
}
