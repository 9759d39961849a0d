// X.509 for Notation (notation-core-go x509, notation-go pkix): certificates from PEM or DER,
// the envelope's chain validated as a code-signing chain, trust by certificate equality, and
// trusted identities as RFC 4514 distinguished names matched as subsets of the leaf's subject.

import { X509Certificate } from 'node:crypto';

/** Every certificate in a PEM text (one or more blocks) or one DER certificate. */
export function readCertificates(bytes: Uint8Array): X509Certificate[] {
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    return blocks.map((b) => new X509Certificate(b));
  }
  return [new X509Certificate(Buffer.from(bytes))];
}

export function isSelfSigned(cert: X509Certificate): boolean {
  return cert.subject === cert.issuer && cert.verify(cert.publicKey);
}

/**
 * The envelope's chain as notation-core-go validates it (ValidateCodeSigningCertChain, without
 * time): each certificate issued and signed by the next, the last self-signed, the issuers CAs,
 * the leaf not a CA. Returns a problem in words, or undefined.
 */
export function chainProblem(chain: readonly X509Certificate[]): string | undefined {
  if (chain.length === 0) return 'the certificate chain is empty';
  for (let i = 0; i < chain.length - 1; i++) {
    const cert = chain[i]!;
    const issuer = chain[i + 1]!;
    if (cert.issuer !== issuer.subject || !cert.verify(issuer.publicKey)) {
      return `certificate ${i + 1} (${dn(cert.subject)}) is not issued by certificate ${i + 2} (${dn(issuer.subject)})`;
    }
    if (!issuer.ca) return `certificate ${i + 2} (${dn(issuer.subject)}) issues certificates but is not a CA`;
  }
  const root = chain.at(-1)!;
  if (!isSelfSigned(root)) return `the chain does not end in a self-signed root (${dn(root.subject)} is issued by ${dn(root.issuer)})`;
  if (chain.length > 1 && chain[0]!.ca) return `the signing certificate (${dn(chain[0]!.subject)}) is a CA certificate`;
  return undefined;
}

/** The first certificate of the chain that is not valid at `at`, in words. */
export function validityProblem(chain: readonly X509Certificate[], at: Date, from = 'verification time'): string | undefined {
  for (const cert of chain) {
    if (at < new Date(cert.validFrom)) return `${from} ${at.toISOString()} is before the validity of certificate ${dn(cert.subject)} (from ${iso(cert.validFrom)})`;
    if (at > new Date(cert.validTo)) return `${from} ${at.toISOString()} is after the validity of certificate ${dn(cert.subject)} (until ${iso(cert.validTo)})`;
  }
  return undefined;
}

/** Trusted when a certificate of the chain is one of the trust store's (notation-core-go VerifyAuthenticity). */
export function trustedBy(chain: readonly X509Certificate[], trusted: readonly X509Certificate[]): X509Certificate | undefined {
  return trusted.find((t) => chain.some((c) => c.raw.equals(t.raw)));
}

/** Whether revocation of this certificate could be checked (it names OCSP responders or CRLs). */
export function isRevocable(cert: X509Certificate): boolean {
  const text = cert.toString();
  return Boolean(cert.infoAccess?.includes('OCSP')) || /X509v3 CRL Distribution Points/.test(text) || crlDistributionPoints(cert);
}

function crlDistributionPoints(cert: X509Certificate): boolean {
  // OID 2.5.29.31 (cRLDistributionPoints) in the DER: node exposes no accessor for it.
  return cert.raw.includes(Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x1f]));
}

// --- distinguished names ----------------------------------------------------------------

export type DistinguishedName = Record<string, string>;

/** Attribute names as notation-go (go-ldap) reads them; `S` is an alias of `ST`. */
const ALIASES: Record<string, string> = { S: 'ST' };

/**
 * An RFC 4514 DN as notation-go's ParseDistinguishedName reads it: `=#` (hex values) refused,
 * multi-valued RDNs refused, duplicate attributes refused. Throws Error with the reason.
 */
export function parseDn(text: string): DistinguishedName {
  const out: DistinguishedName = {};
  for (const rdn of splitUnescaped(text, ',')) {
    if (splitUnescaped(rdn, '+').length > 1) throw new Error('multi-valued RDNs are not supported');
    const eq = rdn.indexOf('=');
    if (eq <= 0) throw new Error(`"${rdn.trim()}" is not an attribute=value pair`);
    const type = rdn.slice(0, eq).trim().toUpperCase();
    const raw = rdn.slice(eq + 1).trim();
    if (raw.startsWith('#')) throw new Error('hex-encoded (=#) values are not supported');
    const name = ALIASES[type] ?? type;
    if (name in out) throw new Error(`attribute ${name} appears more than once`);
    out[name] = unescape(raw);
  }
  return out;
}

/** The leaf subject as a DN (node prints one attribute per line, values unescaped). */
export function subjectDn(cert: X509Certificate): DistinguishedName {
  const out: DistinguishedName = {};
  for (const line of cert.subject.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[ALIASES[line.slice(0, eq)] ?? line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** notation-go isSubsetDN: every attribute of `policy` present in `leaf` with the same exact value. */
export function isSubsetDn(policy: DistinguishedName, leaf: DistinguishedName): boolean {
  return Object.entries(policy).every(([k, v]) => leaf[k] === v);
}

export function formatDn(d: DistinguishedName): string {
  return Object.entries(d)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function dn(subject: string): string {
  return subject.split('\n').join(', ');
}

function iso(text: string): string {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[++i];
      continue;
    }
    if (c === sep) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current);
  return parts.filter((p) => p.trim() !== '');
}

function unescape(value: string): string {
  return value.replace(/\\([0-9a-fA-F]{2}|.)/g, (_, e: string) => (e.length === 2 ? String.fromCharCode(parseInt(e, 16)) : e));
}
