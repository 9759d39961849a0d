// Notation trust policy (`trustpolicy.oci.json` / `trustpolicy.json`, version 1.0) and the trust
// store beside it (`truststore/x509/{ca,signingAuthority,tsa}/<name>/`), validated as notation-go
// validates them (verifier/trustpolicy), each error at its file and JSON path. One rule per
// statement; an exact registry scope beats `*`, so the `*` statement excludes the others' scopes.

import { X509Certificate } from 'node:crypto';
import type { LoadContext, PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import type { NotationRequirement, Policy, PolicyRule } from '../model.js';
import { checkFields, list, map, obj, S } from '../strict.js';
import { isSelfSigned, parseDn, readCertificates } from '../../verify/notation/x509.js';
import { levelChecks } from './levels.js';

const trustPolicyShape = obj({
  version: S,
  trustPolicies: list(
    obj({
      name: S,
      registryScopes: list(S),
      signatureVerification: obj({ level: S, override: map(S), verifyTimestamp: S }),
      trustStores: list(S),
      trustedIdentities: list(S),
    }),
  ),
});

// distribution/reference: domain/path, as notation-go's scope check.
const SCOPE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const STORE = /^(ca|signingAuthority|tsa):([a-zA-Z0-9_.-]+)$/;
/** notation CLI's --max-signatures default. */
export const MAX_SIGNATURES = 100;

export function load(doc: PolicyDocument, ctx: LoadContext = { trustRoots: new Map() }): Policy | null {
  const { version, trustPolicies, apiVersion } = doc.value;
  if (apiVersion !== undefined || version === undefined || trustPolicies === undefined) return null;
  const root = Field.root(doc);
  if (version !== '1.0') throw root.at('version').error(`unsupported Notation trust policy version ${JSON.stringify(version)} (notation reads "1.0")`);
  checkFields(doc, trustPolicyShape, 'a Notation trust policy');
  const statements = root.at('trustPolicies').list();
  if (statements.length === 0) throw root.at('trustPolicies').error('needs at least one trust policy statement');

  const names = new Set<string>();
  const scopeOwner = new Map<string, string>();
  for (const st of statements) {
    const name = st.at('name').requiredString();
    if (names.has(name)) throw st.at('name').error(`duplicate trust policy statement name "${name}"`);
    names.add(name);
    for (const scope of scopesOf(st)) {
      const owner = scopeOwner.get(scope);
      if (owner !== undefined) {
        throw st.at('registryScopes').error(scope === '*' ? `only one statement may use the wildcard scope "*" (also in "${owner}")` : `registry scope "${scope}" is also in statement "${owner}"`);
      }
      scopeOwner.set(scope, name);
    }
  }
  const exact = [...scopeOwner.keys()].filter((s) => s !== '*');
  const stores = ctx.trustStores?.get(doc.file);
  const rules = statements.map((st): PolicyRule => {
    const scopes = scopesOf(st);
    const level = st.at('signatureVerification').at('level');
    const levelName = level.requiredString();
    const requirement = statementRequirement(st, root, stores, doc.file);
    return {
      file: doc.file,
      line: st.line,
      path: st.rel(root),
      ruleName: st.at('name').string(),
      // An exact scope beats `*`: the wildcard statement judges only images no other statement names.
      images: { flavour: 'notation', include: scopes, exclude: [], ...(scopes.includes('*') && { deferTo: exact }) },
      // `log` outcomes make an image `warn`; a failure is enforced at every level but skip.
      mode: 'enforce',
      onError: 'block',
      digest: { mutateDigest: true, verifyDigest: true, required: true },
      requirement:
        levelName === 'skip'
          ? { kind: 'static', path: st.rel(root), action: 'pass', message: 'Notation verification level skip: no signature is checked' }
          : requirement!,
    };
  });
  return { format: 'notation', file: doc.file, line: doc.line, name: 'trustpolicy', rules };
}

function scopesOf(st: Field): string[] {
  const f = st.at('registryScopes');
  const scopes = f.stringList();
  if (scopes.length === 0) throw f.error('needs at least one registry scope');
  if (scopes.includes('*') && scopes.length > 1) throw f.error('the wildcard scope "*" must be the only scope of its statement');
  for (const [i, s] of scopes.entries()) {
    if (s === '*') continue;
    if (s.includes('*')) throw f.at(i).error(`registry scope "${s}" with wild card(s) is not valid; use "*" alone or an exact registry/repository`);
    if (!SCOPE.test(s)) throw f.at(i).error(`registry scope "${s}" is not a valid registry/repository`);
  }
  return scopes;
}

/** The statement's checks and trust material (undefined for level skip, which needs none). */
function statementRequirement(
  st: Field,
  root: Field,
  stores: ReadonlyMap<string, readonly { file: string; bytes: Uint8Array }[]> | undefined,
  file: string,
): NotationRequirement | undefined {
  const sv = st.at('signatureVerification');
  const levelField = sv.at('level');
  const level = levelField.requiredString();
  if (!['strict', 'permissive', 'audit', 'skip'].includes(level)) throw levelField.error(`unknown verification level "${level}" (strict, permissive, audit or skip)`);
  const overrides = Object.fromEntries(sv.at('override').entries().map(([k, f]) => [k, f]));
  const storeRefs = st.at('trustStores').stringList();
  const identities = st.at('trustedIdentities').stringList();
  if (level === 'skip') {
    if (Object.keys(overrides).length > 0) throw sv.at('override').error('level "skip" cannot be customised with overrides');
    if (storeRefs.length > 0 || identities.length > 0) {
      throw (storeRefs.length > 0 ? st.at('trustStores') : st.at('trustedIdentities')).error('level "skip" must not have trust stores or trusted identities');
    }
    return undefined;
  }
  if (storeRefs.length === 0) throw st.at('trustStores').error(`level "${level}" needs trust stores`);
  if (identities.length === 0) throw st.at('trustedIdentities').error(`level "${level}" needs trusted identities`);
  const checks = levelChecks(level as 'strict' | 'permissive' | 'audit', overrides);
  const verifyTimestamp = sv.at('verifyTimestamp').string() ?? 'always';
  if (verifyTimestamp !== 'always' && verifyTimestamp !== 'afterCertExpiry') {
    throw sv.at('verifyTimestamp').error('must be "always" or "afterCertExpiry"');
  }

  const certs: Record<'ca' | 'signingAuthority' | 'tsa', string[]> = { ca: [], signingAuthority: [], tsa: [] };
  for (const [i, ref] of storeRefs.entries()) {
    const m = STORE.exec(ref);
    const f = st.at('trustStores').at(i);
    if (!m) throw f.error(`trust store "${ref}" must be ca:<name>, signingAuthority:<name> or tsa:<name> (name: letters, digits, _ . -)`);
    const found = stores?.get(ref);
    if (!found || found.length === 0) {
      throw f.error(`trust store "${ref}" has no certificates: expected files in truststore/x509/${m[1]}/${m[2]}/ beside ${file}`);
    }
    for (const cert of found) certs[m[1] as keyof typeof certs].push(...storeCertificates(cert, f));
  }
  return {
    kind: 'notation',
    path: st.rel(root),
    line: st.line,
    statement: st.at('name').requiredString(),
    level: level as NotationRequirement['level'],
    checks,
    verifyTimestamp,
    ...certs,
    hasTsaStore: storeRefs.some((r) => r.startsWith('tsa:')),
    identities: trustedIdentities(st.at('trustedIdentities'), identities),
    maxSignatures: MAX_SIGNATURES,
  };
}

/** Each certificate of a store file as PEM; a store holds CA or self-signed certificates only (notation-go). */
function storeCertificates(cert: { file: string; bytes: Uint8Array }, at: Field): string[] {
  let parsed: X509Certificate[];
  try {
    parsed = readCertificates(cert.bytes);
  } catch (err) {
    throw at.error(`${cert.file}: not a certificate (PEM or DER): ${(err as Error).message}`);
  }
  if (parsed.length === 0) throw at.error(`${cert.file}: holds no certificate`);
  for (const c of parsed) {
    if (!c.ca && !isSelfSigned(c)) throw at.error(`${cert.file}: ${c.subject.split('\n').join(', ')} is not a CA certificate or a self-signed signing certificate`);
  }
  return parsed.map((c) => c.toString());
}

/** `*` alone, or `x509.subject:` DNs with C, ST and O, none overlapping another (notation-go pkix). */
function trustedIdentities(f: Field, values: string[]): '*' | Record<string, string>[] {
  if (values.includes('*')) {
    if (values.length > 1) throw f.error('the wildcard identity "*" must be the only trusted identity');
    return '*';
  }
  const dns: Record<string, string>[] = [];
  const written: string[] = [];
  for (const [i, v] of values.entries()) {
    const colon = v.indexOf(':');
    if (colon <= 0) throw f.at(i).error(`trusted identity "${v}" must be "*" or <prefix>:<value>, e.g. x509.subject:C=US, ST=WA, O=example`);
    if (v.slice(0, colon) !== 'x509.subject') continue; // other prefixes are for plugins
    let dn: Record<string, string>;
    try {
      dn = parseDn(v.slice(colon + 1));
    } catch (err) {
      throw f.at(i).error(`trusted identity "${v}": invalid distinguished name: ${(err as Error).message}`);
    }
    const missing = ['C', 'ST', 'O'].filter((k) => !(k in dn));
    if (missing.length > 0) throw f.at(i).error(`trusted identity "${v}" must name at least C, ST and O (missing ${missing.join(', ')})`);
    dns.push(dn);
    written.push(v);
  }
  if (dns.length === 0) throw f.error('no x509 trusted identities are configured (only x509.subject: identities are evaluated)');
  for (let i = 0; i < dns.length; i++) {
    for (let j = i + 1; j < dns.length; j++) {
      const [a, b] = [dns[i]!, dns[j]!];
      const subset = (x: Record<string, string>, y: Record<string, string>) => Object.entries(x).every(([k, v]) => y[k] === v);
      if (subset(a, b) || subset(b, a)) throw f.error(`trusted identities "${written[i]}" and "${written[j]}" overlap`);
    }
  }
  return dns;
}
