// Public keys written inline in a policy: parsed once at load time, so a broken
// key is a policy error (exit 2) and not a failed verification.

import { X509Certificate } from 'node:crypto';
import { parsePublicKeys, splitPem } from '../verify/keys.js';
import type { Field } from './field.js';

export type InlineKeys = { kind: 'keys'; keys: string[] } | { kind: 'placeholder' };

/**
 * The PEM keys in `field` (a string). Documentation examples ship blocks whose body is `...`:
 * those are placeholders, reported as unsupported on use rather than failing the whole file,
 * because the upstream corpus must load. Anything else that does not parse is a PolicyError.
 */
export function inlineKeys(field: Field): InlineKeys {
  const text = field.requiredString();
  const blocks = splitPem(text);
  if (blocks.length > 0 && blocks.every((b) => isPlaceholder(b.pem))) return { kind: 'placeholder' };
  try {
    return { kind: 'keys', keys: parsePublicKeys(text) };
  } catch (err) {
    throw field.error(`invalid public key: ${(err as Error).message}`);
  }
}

/** A documentation placeholder: an empty body, `...`, or base64 cut short with `...` (never in a real PEM). */
function isPlaceholder(pem: string): boolean {
  const body = pem.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
  return /^[.…]*$/.test(body) || /\.\.\.|…/.test(body);
}

/** `{{ ... }}` Kyverno variables: resolved only at admission from context we do not have. */
export function hasVariable(text: string): boolean {
  return /\{\{.*\}\}/s.test(text);
}

export type InlineCertificates = { kind: 'certificates'; certificates: string[] } | { kind: 'placeholder' };

/**
 * The PEM certificates in `field` (roots, chains, a leaf), each parsed now so a broken one is
 * a PolicyError (exit 2) with the line. Documentation placeholders (`...` bodies) are reported
 * like placeholder keys.
 */
export function inlineCertificates(field: Field): InlineCertificates {
  const text = field.requiredString();
  const blocks = splitPem(text);
  if (blocks.length > 0 && blocks.every((b) => isPlaceholder(b.pem))) return { kind: 'placeholder' };
  const certs = blocks.filter((b) => b.type === 'CERTIFICATE');
  if (certs.length === 0) throw field.error('invalid certificate: no PEM CERTIFICATE found');
  certs.forEach((b, i) => {
    try {
      new X509Certificate(b.pem);
    } catch (err) {
      throw field.error(`invalid certificate ${i + 1}: ${(err as Error).message}`);
    }
  });
  return { kind: 'certificates', certificates: certs.map((b) => b.pem) };
}
