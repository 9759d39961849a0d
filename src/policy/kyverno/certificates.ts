// Kyverno `keyless` and `certificates` attestor entries → CertificateRequirement,
// with their `rekor` / `ctlog` settings. Broken PEM or regexps are policy errors.

import type { Field } from '../field.js';
import type { CertificateIdentity, CertificateRequirement, Requirement } from '../model.js';
import { hasVariable, inlineCertificates, inlineKeys, invalidLeaf } from '../pem.js';
import { goRegExp } from '../regexp.js';

export interface SignerOptions {
  repository: string | undefined;
  annotations: Record<string, string>;
}

/** Kyverno's GitHub workflow extension names (Fulcio OIDs 1.3.6.1.4.1.57264.1.2–.6). */
const EXTENSION_NAMES = ['githubWorkflowTrigger', 'githubWorkflowSha', 'githubWorkflowName', 'githubWorkflowRepository', 'githubWorkflowRef'];

type Transparency = Pick<CertificateRequirement, 'tlog' | 'sct' | 'rekorPublicKeys' | 'ctlogPublicKeys' | 'tsaCertChain'>;

/** `keyless{subject, issuer, subjectRegExp, issuerRegExp, roots, additionalExtensions, rekor, ctlog}`. */
export function keylessLeaf(iv: Field, keyless: Field, opts: SignerOptions): Requirement {
  const identity: CertificateIdentity = { match: 'kyverno' };
  for (const name of ['subject', 'issuer'] as const) {
    const v = keyless.at(name).string();
    if (v === undefined) continue;
    if (hasVariable(v)) return unsupported(iv, keyless.at(name), `variables in keyless.${name}`);
    identity[name] = v;
  }
  for (const name of ['subjectRegExp', 'issuerRegExp'] as const) {
    const f = keyless.at(name);
    const v = f.string();
    if (v === undefined) continue;
    checkRegExp(f, v);
    identity[name] = v;
  }
  const hasIdentity = Object.keys(identity).length > 1;
  const leaf: CertificateRequirement = {
    kind: 'certificate',
    path: keyless.rel(iv),
    line: keyless.line,
    source: 'fulcio',
    identities: hasIdentity ? [identity] : [],
    annotations: opts.annotations,
    sct: 'require',
    tlog: 'require',
  };
  if (keyless.has('roots')) {
    const roots = certificates(iv, keyless.at('roots'));
    if (!Array.isArray(roots)) return roots;
    leaf.roots = roots;
  }
  if (keyless.has('additionalExtensions')) leaf.extensions = extensions(keyless.at('additionalExtensions'));
  return finish(iv, keyless, leaf, opts);
}

/**
 * `certificates{cert, certChain}`: bring-your-own PKI. With `certChain` the signing certificate
 * must chain to it; `cert` alone pins the signing certificate (Kyverno then verifies with that
 * certificate's key, no chain).
 */
export function certificatesLeaf(iv: Field, certs: Field, opts: SignerOptions): Requirement {
  if (!certs.has('cert') && !certs.has('certChain')) throw certs.error('needs cert or certChain');
  const leaf: CertificateRequirement = {
    kind: 'certificate',
    path: certs.rel(iv),
    line: certs.line,
    source: 'pki',
    identities: [],
    annotations: opts.annotations,
    sct: 'require',
    tlog: 'require',
  };
  if (certs.has('cert')) {
    const cert = certificates(iv, certs.at('cert'));
    if (!Array.isArray(cert)) return cert;
    if (cert.length !== 1) throw certs.at('cert').error('must hold exactly one certificate');
    leaf.leafCertificate = cert[0]!;
  }
  if (certs.has('certChain')) {
    const chain = certificates(iv, certs.at('certChain'));
    if (!Array.isArray(chain)) return chain;
    leaf.roots = chain;
  }
  return finish(iv, certs, leaf, opts);
}

function finish(iv: Field, holder: Field, leaf: CertificateRequirement, opts: SignerOptions): Requirement {
  const t = transparency(iv, holder);
  if ('kind' in t) return t;
  Object.assign(leaf, t);
  for (const k of Object.keys(leaf) as (keyof CertificateRequirement)[]) if (leaf[k] === undefined) delete leaf[k];
  if (opts.repository) leaf.signatureRepository = opts.repository;
  return leaf;
}

/** `rekor{url, pubkey, ignoreTlog}` and `ctlog{ignoreSCT, pubkey, tsaCertChain}`. */
export function transparency(iv: Field, holder: Field): Transparency | Requirement {
  const rekor = holder.at('rekor');
  const ctlog = holder.at('ctlog');
  const out: Transparency = {
    tlog: rekor.at('ignoreTlog').bool(false) ? 'ignore' : 'require',
    sct: ctlog.at('ignoreSCT').bool(false) ? 'ignore' : 'require',
  };
  rekor.at('url').string(); // type-checked only: verification is offline, with the trusted root's or `pubkey`'s keys
  for (const [f, into] of [
    [rekor.at('pubkey'), 'rekorPublicKeys'],
    [ctlog.at('pubkey'), 'ctlogPublicKeys'],
  ] as const) {
    if (!f.exists) continue;
    if (hasVariable(f.requiredString())) return unsupported(iv, f, `variables in ${f.rel(holder)}`);
    const keys = inlineKeys(f);
    if (keys.kind === 'invalid') return invalidLeaf(f, iv, keys.problem);
    out[into] = keys.keys;
  }
  if (ctlog.has('tsaCertChain')) {
    const chain = certificates(iv, ctlog.at('tsaCertChain'));
    if (!Array.isArray(chain)) return chain;
    out.tsaCertChain = chain.join('\n');
  }
  return out;
}

/** PEM certificates of a field, or the leaf that says why not (variables: unsupported; no parse: invalid). */
function certificates(iv: Field, f: Field): string[] | Requirement {
  const text = f.requiredString();
  if (hasVariable(text)) return unsupported(iv, f, `variables in ${String(f.path[f.path.length - 1])}`);
  const parsed = inlineCertificates(f);
  if (parsed.kind === 'invalid') return invalidLeaf(f, iv, parsed.problem);
  return parsed.certificates;
}

function extensions(f: Field): Record<string, string> {
  const map = f.stringMap();
  for (const name of Object.keys(map)) {
    if (!EXTENSION_NAMES.includes(name) && !/^\d+(\.\d+)+$/.test(name)) {
      throw f.at(name).error(`unknown extension ${name}: use ${EXTENSION_NAMES.join(', ')} or a dotted OID`);
    }
  }
  return map;
}

export function checkRegExp(f: Field, pattern: string): void {
  try {
    goRegExp(pattern);
  } catch (err) {
    throw f.error(`invalid regular expression: ${(err as Error).message}`);
  }
}

function unsupported(iv: Field, at: Field, field: string): Requirement {
  return { kind: 'unsupported', path: at.rel(iv), field };
}
