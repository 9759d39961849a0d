// Public keys written inline in a policy: parsed once at load time, so a broken
// key is a policy error (exit 2) and not a failed verification.

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

function isPlaceholder(pem: string): boolean {
  const body = pem.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
  return /^[.…]*$/.test(body);
}

/** `{{ ... }}` Kyverno variables: resolved only at admission from context we do not have. */
export function hasVariable(text: string): boolean {
  return /\{\{.*\}\}/s.test(text);
}
