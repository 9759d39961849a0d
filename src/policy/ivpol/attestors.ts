// ImageValidatingPolicy `attestors[]` → the leaves the engine checks. cosign: key (data, kms,
// expression, hashAlgorithm), keyless (identities: plain values exact, regexps unanchored, as
// cosign's CheckOpts), certificate (cert, certChain), ctlog (rekorPubKey, ctLogPubKey,
// tsaCertChain, insecureIgnoreTlog, insecureIgnoreSCT), source.repository, trustedRoot,
// annotations; notary: certs, tsaCerts, run as Kyverno runs notation-go. What needs the network
// (tuf, ctlog.url lookups) or a registry feature this tool lacks (source.tagPrefix) is unsupported.

import { Field } from '../field.js';
import type { CertificateIdentity, CertificateRequirement, InvalidRequirement, KeyRequirement, NotationRequirement } from '../model.js';
import { LEVELS } from '../notation/levels.js';
import { inlineCertificates, inlineKeys, inlineTrustedRoot, invalidLeaf } from '../pem.js';
import type { CompiledExpr } from './cel.js';
import type { Attestor, AttestorLeaf } from './program.js';

const KMS = /^(awskms|gcpkms|azurekms|hashivault):\/\/./;
const HASHES = ['sha224', 'sha256', 'sha384', 'sha512'];

/** Trust material that does not parse: the attestor loads, and every image it is asked about is `error`. */
class Invalid extends Error {
  constructor(readonly leaf: InvalidRequirement) {
    super(leaf.problem);
  }
}

export function compileAttestor(a: Field, root: Field, compileAt: (f: Field) => CompiledExpr): Attestor {
  const name = a.at('name').requiredString();
  try {
    return attestor(a, name, root, compileAt);
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    return { name, kind: a.has('notary') ? 'notary' : 'cosign', path: a.rel(root), line: a.line, invalid: err.leaf, leaf: () => err.leaf };
  }
}

function attestor(a: Field, name: string, root: Field, compileAt: (f: Field) => CompiledExpr): Attestor {
  const kinds = ['cosign', 'notary'].filter((k) => a.has(k));
  if (kinds.length !== 1) throw a.error('needs exactly one of cosign, notary');
  const path = a.rel(root);
  if (kinds[0] === 'notary') {
    const n = a.at('notary');
    const certs = valueOrExpression(n.at('certs'), compileAt);
    const tsa = valueOrExpression(n.at('tsaCerts'), compileAt);
    if (!certs) throw n.at('certs').error('needs certs (value or expression)');
    const make = (vars: Record<string, unknown>): AttestorLeaf | { unsupported: string } => {
      const ca = certs(vars);
      const tsaCerts = tsa ? tsa(vars) : [];
      if (typeof ca === 'string') return { unsupported: ca };
      if (typeof tsaCerts === 'string') return { unsupported: tsaCerts };
      return notary(n, path, name, ca, tsaCerts);
    };
    const fixed = n.at('certs').has('value') && !n.at('tsaCerts').has('expression') ? make({}) : undefined;
    return { name, kind: 'notary', path, line: a.line, leaf: (vars) => fixed ?? make(vars) };
  }
  const c = a.at('cosign');
  const signers = ['key', 'keyless', 'certificate'].filter((k) => c.has(k));
  if (signers.length !== 1) throw c.error('needs exactly one of key, keyless, certificate');
  const unsupported = [
    c.at('tuf').exists && 'cosign.tuf (a TUF mirror needs the network; use trustedRoot)',
    c.at('source').has('tagPrefix') && 'cosign.source.tagPrefix',
    c.at('source').at('PullSecrets').list().length > 0 && 'cosign.source.PullSecrets (read in the cluster)',
    c.at('ctlog').has('tsaCertChain') && c.has('key') && 'cosign.ctlog.tsaCertChain on a key attestor',
  ].filter((x): x is string => typeof x === 'string');
  if (unsupported.length > 0) return { name, kind: 'cosign', path, line: a.line, leaf: () => ({ unsupported: unsupported[0]! }) };

  const ctlog = c.at('ctlog');
  const tlog = ctlog.at('insecureIgnoreTlog').bool(false) ? 'ignore' : 'require';
  const rekorPublicKeys = ctlog.has('rekorPubKey') ? keysOf(ctlog.at('rekorPubKey')) : undefined;
  const annotations = c.at('annotations').stringMap();
  const repository = c.at('source').at('repository').string();
  const common = { annotations, bundleDetection: true, ...(Object.keys(annotations).length > 0 && { annotationsOn: 'layer' as const }), ...(repository && { signatureRepository: repository }), ...(rekorPublicKeys && { rekorPublicKeys }) };

  if (c.has('key')) {
    const k = c.at('key');
    const sources = ['data', 'kms', 'expression'].filter((s) => k.has(s));
    if (sources.length !== 1) throw k.error('needs exactly one of data, kms, expression');
    const hash = k.at('hashAlgorithm').string() ?? 'sha256';
    if (!HASHES.includes(hash)) throw k.at('hashAlgorithm').error(`unknown hash algorithm ${hash}`);
    const base = { kind: 'key' as const, path: k.rel(root), line: k.line, hashAlgorithm: hash as KeyRequirement['hashAlgorithm'], tlog: tlog as KeyRequirement['tlog'], ...common };
    if (k.has('kms')) {
      const uri = k.at('kms').requiredString();
      if (!KMS.test(uri)) throw k.at('kms').error(`must be a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://), not ${uri}`);
      const leaf: KeyRequirement = { ...base, keys: [], keyRef: { type: 'kms', uri } };
      return { name, kind: 'cosign', path, line: a.line, leaf: () => leaf };
    }
    if (k.has('data')) {
      const leaf: KeyRequirement = { ...base, keys: keysOf(k.at('data')) };
      return { name, kind: 'cosign', path, line: a.line, leaf: () => leaf };
    }
    // A CEL expression giving the PEM (e.g. from a variable): built per evaluation.
    const expr = compileAt(k.at('expression'));
    return {
      name,
      kind: 'cosign',
      path,
      line: a.line,
      leaf: (vars) => {
        const pem = expr.eval(vars);
        if (typeof pem !== 'string' || !pem.includes('BEGIN PUBLIC KEY')) return { unsupported: `key.expression did not give a PEM public key` };
        return { ...base, keys: [pem] };
      },
    };
  }

  const sct = ctlog.at('insecureIgnoreSCT').bool(false) ? 'ignore' : 'require';
  const ctlogPublicKeys = ctlog.has('ctLogPubKey') ? keysOf(ctlog.at('ctLogPubKey')) : undefined;
  const tsaCertChain = ctlog.at('tsaCertChain').string();
  const trustedRoot = c.at('trustedRoot');
  const trustedRootExpr = trustedRoot.has('expression') ? compileAt(trustedRoot.at('expression')) : undefined;
  const certBase = {
    kind: 'certificate' as const,
    sct: sct as CertificateRequirement['sct'],
    tlog: tlog as CertificateRequirement['tlog'],
    ...common,
    ...(ctlogPublicKeys && { ctlogPublicKeys }),
    ...(tsaCertChain && { tsaCertChain }),
    ...(trustedRoot.has('value') && { trustedRoot: trustedRootOf(trustedRoot.at('value')) }),
  };
  let leaf: CertificateRequirement;
  if (c.has('keyless')) {
    const kl = c.at('keyless');
    // In the CRD, so a valid policy; Kyverno 1.19 does not evaluate it: its images are undecided, never passed.
    if (kl.at('identities').list().some((id) => id.has('subjectExpression'))) {
      return { name, kind: 'cosign', path, line: a.line, leaf: () => ({ unsupported: 'cosign.keyless.identities[].subjectExpression (in the CRD, not evaluated by Kyverno; use subject or subjectRegExp)' }) };
    }
    const identities = kl.at('identities').list().map((id): CertificateIdentity => {
      const out: CertificateIdentity = { match: 'cosign' };
      for (const k of ['issuer', 'issuerRegExp', 'subject', 'subjectRegExp'] as const) {
        const v = id.at(k).string();
        if (v !== undefined) out[k] = v;
      }
      return out;
    });
    if (identities.length === 0) throw kl.at('identities').error('keyless needs at least one identity');
    const roots = kl.has('roots') ? certificatesOf(kl.at('roots')) : undefined;
    const extensions = kl.at('additionalExtensions').stringMap();
    leaf = {
      ...certBase,
      path: kl.rel(root),
      line: kl.line,
      source: roots ? 'pki' : 'fulcio',
      ...(roots && { roots }),
      identities,
      ...(Object.keys(extensions).length > 0 && { extensions }),
    };
  } else {
    const cert = c.at('certificate');
    if (['cert', 'certChain'].some((k) => cert.at(k).has('expression') && !cert.at(k).has('value'))) {
      return { name, kind: 'cosign', path, line: a.line, leaf: () => ({ unsupported: 'cosign.certificate expressions (keep the PEM in value)' }) };
    }
    const value = (f: Field) => certificatesOf(f.at('value'));
    const leafCert = cert.has('cert') ? value(cert.at('cert')) : undefined;
    const chain = cert.has('certChain') ? value(cert.at('certChain')) : undefined;
    if (!leafCert && !chain) throw cert.error('needs cert or certChain');
    leaf = { ...certBase, path: cert.rel(root), line: cert.line, source: 'pki', identities: [], ...(chain && { roots: chain }), ...(leafCert && { leafCertificate: leafCert[0]! }) };
  }
  if (!trustedRootExpr) return { name, kind: 'cosign', path, line: a.line, leaf: () => leaf };
  return {
    name,
    kind: 'cosign',
    path,
    line: a.line,
    leaf: (vars): AttestorLeaf | { unsupported: string } => {
      const text = trustedRootExpr.eval(vars);
      return typeof text === 'string' ? { ...leaf, trustedRoot: text } : { unsupported: 'trustedRoot.expression did not give a trusted_root.json text' };
    },
  };
}

/**
 * `{value | expression}` PEM certificates: `value` wins (Kyverno's StringOrExpression); an
 * expression is evaluated per evaluation, with the policy's variables. A string result is why not.
 */
function valueOrExpression(f: Field, compileAt: (f: Field) => CompiledExpr): ((vars: Record<string, unknown>) => string[] | string) | undefined {
  if (!f.exists) return undefined;
  if (f.has('value')) {
    const certs = certificatesOf(f.at('value'));
    return () => certs;
  }
  if (!f.has('expression')) throw f.error('needs value or expression');
  const expr = compileAt(f.at('expression'));
  return (vars) => {
    let text: unknown;
    try {
      text = expr.eval(vars);
    } catch (err) {
      return `${f.rel()}.expression: ${(err as Error).message}`;
    }
    if (typeof text !== 'string') return `${f.rel()}.expression did not give PEM certificates`;
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    return blocks && blocks.length > 0 ? blocks : `${f.rel()}.expression did not give PEM certificates`;
  };
}

function notary(n: Field, path: string, name: string, ca: string[], tsa: string[]): NotationRequirement {
  return {
    kind: 'notation',
    path,
    line: n.line,
    statement: `${name} (ImageValidatingPolicy notary attestor)`,
    level: 'strict',
    checks: { ...LEVELS.strict },
    verifyTimestamp: 'always',
    ca,
    signingAuthority: [],
    tsa,
    hasTsaStore: tsa.length > 0,
    identities: '*',
    maxSignatures: 10,
  };
}

function keysOf(f: Field): string[] {
  const parsed = inlineKeys(f);
  if (parsed.kind === 'invalid') throw new Invalid(invalidLeaf(f, Field.root(f.doc), parsed.problem));
  return parsed.keys;
}

function certificatesOf(f: Field): string[] {
  const parsed = inlineCertificates(f);
  if (parsed.kind === 'invalid') throw new Invalid(invalidLeaf(f, Field.root(f.doc), parsed.problem));
  return parsed.certificates;
}

function trustedRootOf(f: Field): string {
  const parsed = inlineTrustedRoot(f);
  if (parsed.kind === 'invalid') throw new Invalid(invalidLeaf(f, Field.root(f.doc), parsed.problem));
  return parsed.json;
}
