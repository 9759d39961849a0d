// Cache entries that cannot be forged: each is bound to its key and authenticated with
// HMAC-SHA256 under a secret only the cache's writers hold. A writable cache directory (a CI
// cache restored from a pull-request branch, a shared volume) then cannot turn an unsigned
// image into a pass: a forged, edited, swapped or foreign-key entry fails to open. Pure.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** Bump when the meaning or layout of an entry changes: older entries simply stop opening. */
const FORMAT = 'verify-images-cache/v2';

export interface Sealed {
  /** The entry's key: what it answers (digest + requirement hash, or a tag). */
  key: string;
  /** When it was written (ms since the epoch). */
  at: number;
  /** When it stops being trusted (ms since the epoch), if ever. */
  exp?: number;
  body: unknown;
  mac: string;
}

export function seal(secret: Uint8Array, key: string, body: unknown, at: number, exp?: number): string {
  const entry: Sealed = { key, at, ...(exp !== undefined && { exp }), body, mac: mac(secret, key, at, exp, body) };
  return JSON.stringify(entry);
}

/** The body, when `text` is an entry for `key` sealed with `secret` and not expired; else undefined. */
export function open(secret: Uint8Array, key: string, text: string, now = Date.now()): { body: unknown; at: number } | undefined {
  let entry: Partial<Sealed>;
  try {
    entry = JSON.parse(text) as Partial<Sealed>;
  } catch {
    return undefined;
  }
  if (entry.key !== key || typeof entry.at !== 'number' || typeof entry.mac !== 'string') return undefined;
  if (entry.exp !== undefined && (typeof entry.exp !== 'number' || entry.exp <= now)) return undefined;
  const want = Buffer.from(mac(secret, key, entry.at, entry.exp, entry.body), 'hex');
  const got = Buffer.from(entry.mac, 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  return { body: entry.body, at: entry.at };
}

function mac(secret: Uint8Array, key: string, at: number, exp: number | undefined, body: unknown): string {
  return createHmac('sha256', secret)
    .update(`${FORMAT}\n${key}\n${at}\n${exp ?? ''}\n${canonical(body)}`)
    .digest('hex');
}

/** JSON with object keys sorted: the same value always gives the same text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
