// Trust material written inline in a policy (public keys, certificates, trusted roots): parsed
// once at load time. What does not parse is not a reason to refuse the whole run (Kyverno admits
// such a policy and fails only the images the rule matches): the loader turns it into an
// `invalid` leaf for that rule, unless the format's own admission check refuses it (CIP key.data).

import { X509Certificate } from 'node:crypto';
import { parsePublicKeys, splitPem } from '../verify/keys.js';
import { trustMaterialFromJson } from '../verify/trusted-root.js';
import type { Field } from './field.js';
import { PLACEHOLDER_MARK, type InvalidRequirement } from './model.js';

export type InlineKeys = { kind: 'keys'; keys: string[] } | { kind: 'invalid'; problem: string };

/** The PEM public keys in `field` (a string, required), or why they do not parse. */
export function inlineKeys(field: Field): InlineKeys {
  return publicKeysIn(field.requiredString());
}

/** The PEM public keys in a text (a policy field, a Secret's data), or why they do not parse. */
export function publicKeysIn(text: string): InlineKeys {
  try {
    return { kind: 'keys', keys: parsePublicKeys(text) };
  } catch (err) {
    return { kind: 'invalid', problem: `does not parse as a PEM public key ${PLACEHOLDER_MARK} (${detail(text, (err as Error).message)})` };
  }
}

export type InlineCertificates = { kind: 'certificates'; certificates: string[] } | { kind: 'invalid'; problem: string };

/** The PEM certificates in `field` (roots, chains, a leaf), each parsed now, or why they do not parse. */
export function inlineCertificates(field: Field): InlineCertificates {
  const text = field.requiredString();
  const certs = splitPem(text).filter((b) => b.type === 'CERTIFICATE');
  const fail = (why: string): InlineCertificates => ({ kind: 'invalid', problem: `does not parse as a PEM certificate ${PLACEHOLDER_MARK} (${detail(text, why)})` });
  if (certs.length === 0) return fail('no PEM CERTIFICATE found');
  for (const [i, b] of certs.entries()) {
    try {
      new X509Certificate(b.pem);
    } catch (err) {
      return fail(`certificate ${i + 1}: ${(err as Error).message}`);
    }
  }
  return { kind: 'certificates', certificates: certs.map((b) => b.pem) };
}

/** A `trusted_root.json` text written in the policy, or why it does not parse. */
export function inlineTrustedRoot(field: Field): { kind: 'trustedRoot'; json: string } | { kind: 'invalid'; problem: string } {
  const text = field.requiredString();
  try {
    // Its logs' keys are read as verification will read them (JSON, each key parsed).
    trustMaterialFromJson(text, 'trusted root');
    if (!text.trimStart().startsWith('{')) throw new Error('not a JSON object');
    return { kind: 'trustedRoot', json: text };
  } catch (err) {
    return { kind: 'invalid', problem: `does not parse as a trusted_root.json ${PLACEHOLDER_MARK} (${detail(text, (err as Error).message)})` };
  }
}

/** The leaf a rule gets for trust material that does not parse (see InvalidRequirement). */
export function invalidLeaf(field: Field, from: Field, problem: string): InvalidRequirement {
  return { kind: 'invalid', path: field.rel(from), file: field.file, line: field.line, problem };
}

/** The parser's reason in words (not OpenSSL's codes), and the text itself when it is short and has no PEM (`REPLACE_WITH_…`). */
function detail(text: string, why: string): string {
  const t = text.trim();
  const reason = why.replace(/error:[0-9A-F]+:(DECODER|PEM|asn1 encoding|ASN1) routines::[\w ]+/i, 'the text between the BEGIN and END lines is not base64 DER');
  return !t.includes('-----') && t.length <= 60 && !t.includes('\n') ? `${reason}: ${JSON.stringify(t)}` : reason;
}

/** `{{ ... }}` Kyverno variables: resolved only at admission from context we do not have. */
export function hasVariable(text: string): boolean {
  return /\{\{.*\}\}/s.test(text);
}
