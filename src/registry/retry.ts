// When to retry and how long to wait (pure).

/** Retry-After waits longer than this are cut short: a verify run must finish. */
export const MAX_RETRY_AFTER_MS = 30_000;
const MAX_BACKOFF_MS = 10_000;

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
}

/** Connection resets and timeouts are transient; refused/DNS failures are not worth retrying. */
export function isRetryableNetworkError(code: string | undefined): boolean {
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'UND_ERR_CLOSED' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}

/** Milliseconds from a Retry-After value (delta-seconds or HTTP date), capped; undefined if unparsable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** Exponential backoff with jitter: attempt 0 waits base·[0.5,1), attempt n base·2ⁿ·[0.5,1), capped. */
export function backoffMs(attempt: number, baseMs: number, random = Math.random, maxMs = MAX_BACKOFF_MS): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling * (0.5 + random() / 2));
}
