// Text from manifests (names, images, reasons quoting them) reaches terminals, logs and CI pages:
// control characters in it could recolour, overwrite or reorder what a deployer reads (log
// spoofing). Human formats show them escaped; JSON and YAML encode them faithfully already. Pure.

import type { Result } from '../engine/result.js';

// C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidi overrides/isolates.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const HAS_CONTROL = new RegExp(CONTROL.source);

/** `\x1b[31m` → `\x1b[31m` written out; `\r` → `\r`. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The result with every string escaped: the same objects where nothing needs it (the usual case costs a walk, not a copy). */
export function escapeResult(result: Readonly<Result>): Result {
  return escapeValue(result) as Result;
}

function escapeValue(value: unknown): unknown {
  if (typeof value === 'string') return HAS_CONTROL.test(value) ? escapeControls(value) : value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = escapeValue(value[i]);
      if (v !== value[i]) (out ??= [...value])[i] = v;
    }
    return out ?? value;
  }
  if (value && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    for (const k in value) {
      const old = (value as Record<string, unknown>)[k];
      const v = escapeValue(old);
      if (v !== old) (out ??= { ...(value as Record<string, unknown>) })[k] = v;
    }
    return out ?? value;
  }
  return value;
}
