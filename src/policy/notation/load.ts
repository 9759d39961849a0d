// Notation trust policy (`trustpolicy.oci.json` / `trustpolicy.json`, version 1.0) and the trust
// store beside it (`truststore/x509/{ca,signingAuthority,tsa}/<name>/`), validated as notation-go
// validates them (verifier/trustpolicy), each error at its file and JSON path. One rule per
// statement; an exact registry scope beats `*`, so the `*` statement excludes the others' scopes.

import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import type { LoadContext, PolicyDocument } from '../document.js';
import { Field } from '../field.js';
import type { NotationRequirement, Policy, PolicyRule, Requirement } from '../model.js';
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
  if (version !== '1.0') throw root.at('version').error(`trust policy document uses unsupported version ${JSON.stringify(version)} (notation reads "1.0")`);
  checkFields(doc, trustPolicyShape, 'a Notation trust policy');
  const statements = root.at('trustPolicies').list();
  if (statements.length === 0) throw root.at('trustPolicies').error('trust policy document can not have zero trust policy statements');

  const names = new Set<string>();
  const scopeOwner = new Map<string, string>();
  for (const st of statements) {
    const name = st.at('name').string();
    if (!name) throw (st.has('name') ? st.at('name') : st).error('a trust policy statement is missing a name, every statement requires a name');
    if (names.has(name)) throw st.at('name').error(`multiple trust policy statements use the same name "${name}", statement names must be unique`);
    names.add(name);
    for (const scope of scopesOf(st)) {
      const owner = scopeOwner.get(scope);
      if (owner !== undefined) {
        throw st.at('registryScopes').error(`registry scope "${scope}" is present in multiple trust policy statements, one registry scope value can only be associated with one statement (also in "${owner}")`);
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

/** Which plugin a non-x509 identity is for, in words: AWS Signer's ARNs are the common case. */
function pluginIdentity(values: string[]): string {
  const v = values[0]!;
  const plugin = v.startsWith('arn:aws:signer:')
    ? 'AWS Signer plugin (com.amazonaws.signer.notation.plugin)'
    : `verification plugin that evaluates "${v.slice(0, v.indexOf(':'))}:" identities`;
  return `signing-authority identity "${v}" needs the ${plugin}; this tool runs no Notation plugins, so no signature can pass this statement here`;
}

function scopesOf(st: Field): string[] {
  const f = st.at('registryScopes');
  const scopes = f.stringList();
  const name = st.at('name').string() ?? '';
  if (scopes.length === 0) throw f.error(`trust policy statement "${name}" has zero registry scopes, it must specify registry scopes with at least one value`);
  if (scopes.includes('*') && scopes.length > 1) throw f.error(`trust policy statement "${name}" uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values`);
  for (const [i, s] of scopes.entries()) {
    if (s === '*') continue;
    if (s.includes('*')) throw f.at(i).error(`registry scope "${s}" with wild card(s) is not valid, make sure it is a fully qualified registry, with no wildcards (use "*" alone for every registry)`);
    if (!SCOPE.test(s)) throw f.at(i).error(`registry scope "${s}" is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag (e.g. registry.example/app)`);
  }
  return scopes;
}

/** The statement's checks and trust material (undefined for level skip, which needs none). */
function statementRequirement(
  st: Field,
  root: Field,
  stores: ReadonlyMap<string, readonly { file: string; bytes: Uint8Array }[]> | undefined,
  file: string,
): Requirement | undefined {
  const sv = st.at('signatureVerification');
  const levelField = sv.at('level');
  const level = levelField.requiredString();
  const name = st.at('name').string() ?? '';
  if (!['strict', 'permissive', 'audit', 'skip'].includes(level)) throw levelField.error(`trust policy statement "${name}" uses invalid signatureVerification value "${level}" (strict, permissive, audit or skip)`);
  const overrides = Object.fromEntries(sv.at('override').entries().map(([k, f]) => [k, f]));
  const storeRefs = st.at('trustStores').stringList();
  // An empty identity is notation-go's own error (below), not a missing field.
  const identities = st.at('trustedIdentities').list().map((f) => f.string() ?? '');
  if (level === 'skip') {
    if (Object.keys(overrides).length > 0) throw sv.at('override').error(`trust policy statement "${name}": signature verification level "skip" can't be used to customize signature verification`);
    if (storeRefs.length > 0 || identities.length > 0) {
      throw (storeRefs.length > 0 ? st.at('trustStores') : st.at('trustedIdentities')).error(
        `trust policy statement "${name}" is set to skip signature verification but configured with trust stores and/or trusted identities, remove them if signature verification needs to be skipped`,
      );
    }
    return undefined;
  }
  const both = `trust policy statement "${name}" is either missing trust stores or trusted identities, both must be specified (level "${level}")`;
  if (storeRefs.length === 0) throw st.at('trustStores').error(both);
  if (identities.length === 0) throw st.at('trustedIdentities').error(both);
  const checks = levelChecks(level as 'strict' | 'permissive' | 'audit', overrides);
  const verifyTimestamp = sv.at('verifyTimestamp').string() ?? 'always';
  if (verifyTimestamp !== 'always' && verifyTimestamp !== 'afterCertExpiry') {
    throw sv.at('verifyTimestamp').error(`trust policy statement "${name}" has invalid signatureVerification.verifyTimestamp value "${verifyTimestamp}". The valid values are "always" and "afterCertExpiry"`);
  }

  const certs: Record<'ca' | 'signingAuthority' | 'tsa', string[]> = { ca: [], signingAuthority: [], tsa: [] };
  for (const [i, ref] of storeRefs.entries()) {
    const m = STORE.exec(ref);
    const f = st.at('trustStores').at(i);
    if (!m) {
      const [type, storeName] = ref.includes(':') ? [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)] : [ref, ''];
      throw f.error(
        ['ca', 'signingAuthority', 'tsa'].includes(type!)
          ? `trust policy statement "${name}" uses an unsupported trust store name "${storeName}" in trust store value "${ref}". Named store name needs to follow [a-zA-Z0-9_.-]+ format`
          : `trust policy statement "${name}" uses an unsupported trust store type "${type}" in trust store value "${ref}" (ca:<name>, signingAuthority:<name> or tsa:<name>)`,
      );
    }
    const found = stores?.get(ref);
    if (!found || found.length === 0) {
      // Configuration the deployer must add: notation's own store is per user, never read here.
      const dir = `${path.posix.join(path.dirname(file).split(path.sep).join('/'), 'truststore/x509', m[1]!, m[2]!)}/`;
      throw f.error(
        `trust store "${ref}" has no certificates: this check reads them from ${dir} (beside ${file}); put the ${m[1] === 'tsa' ? 'TSA root' : 'CA or signing'} certificates there, in PEM or DER. ` +
          `\`notation cert add --type ${m[1]} --store ${m[2]} <cert>\` would put them in your own notation store (~/.config/notation/truststore), which a repository check does not read`,
      );
    }
    for (const cert of found) certs[m[1] as keyof typeof certs].push(...storeCertificates(cert, f));
  }
  const trusted = trustedIdentities(st.at('trustedIdentities'), identities);
  // Only identities a verification plugin evaluates (AWS Signer's profile ARN…): a valid statement,
  // but no signature can pass it without that plugin, which this tool does not run.
  if (typeof trusted === 'object' && 'plugin' in trusted) return { kind: 'unsupported', path: st.rel(root), field: pluginIdentity(trusted.plugin) };
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
    identities: trusted,
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
    if (!c.ca && !isSelfSigned(c)) throw at.error(`${cert.file}: certificate with subject "${c.subject.split('\n').join(', ')}" is not a CA certificate or self-signed signing certificate`);
  }
  return parsed.map((c) => c.toString());
}

/**
 * `*` alone, or `x509.subject:` DNs with C, ST and O, none overlapping another (notation-go pkix).
 * Other `<prefix>:<value>` identities are for plugins (notation-go validates only their form); a
 * statement with no x509.subject identity is reported as needing its plugin.
 */
function trustedIdentities(f: Field, values: string[]): '*' | Record<string, string>[] | { plugin: string[] } {
  if (values.includes('*')) {
    if (values.length > 1) throw f.error(`uses a wildcard trusted identity '*', a wildcard identity must be used alone`);
    return '*';
  }
  const dns: Record<string, string>[] = [];
  const written: string[] = [];
  for (const [i, v] of values.entries()) {
    if (v === '') throw f.at(i).error('has an empty trusted identity');
    const colon = v.indexOf(':');
    if (colon < 0) throw f.at(i).error(`has trusted identity "${v}" missing separator (it must be "*" or <prefix>:<value>, e.g. x509.subject:C=US, ST=WA, O=example)`);
    if (v.slice(0, colon) === 'x509.subject' && colon === v.length - 1) throw f.at(i).error(`has trusted identity "${v}" without an identity value`);
    if (v.slice(0, colon) !== 'x509.subject') continue; // other prefixes are for plugins
    let dn: Record<string, string>;
    try {
      dn = parseDn(v.slice(colon + 1));
    } catch (err) {
      throw f.at(i).error(`has trusted identity "${v}" with invalid identity value: ${(err as Error).message}`);
    }
    const missing = ['C', 'ST', 'O'].filter((k) => !(k in dn));
    if (missing.length > 0) throw f.at(i).error(`distinguished name (DN) "${v.slice(colon + 1)}" has no mandatory RDN attribute for "${missing[0]}", it must contain 'C', 'ST', and 'O' RDN attributes at a minimum`);
    dns.push(dn);
    written.push(v);
  }
  if (dns.length === 0) return { plugin: values };
  for (let i = 0; i < dns.length; i++) {
    for (let j = i + 1; j < dns.length; j++) {
      const [a, b] = [dns[i]!, dns[j]!];
      const subset = (x: Record<string, string>, y: Record<string, string>) => Object.entries(x).every(([k, v]) => y[k] === v);
      if (subset(a, b) || subset(b, a)) throw f.error(`has overlapping x509 trustedIdentities, "${written[i]}" overlaps with "${written[j]}"`);
    }
  }
  return dns;
}
