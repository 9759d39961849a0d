import t from 'tap';
import { backoffMs, isRetryableNetworkError, isRetryableStatus, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/registry/retry.js';

t.test('Retry-After in seconds or as an HTTP date, capped', async (t) => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  t.equal(parseRetryAfter('2', now), 2000);
  t.equal(parseRetryAfter(' 0 ', now), 0);
  t.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now), 5000);
  t.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0, 'a date in the past means now');
  t.equal(parseRetryAfter('86400', now), MAX_RETRY_AFTER_MS);
  t.equal(parseRetryAfter(undefined, now), undefined);
  t.equal(parseRetryAfter('soon', now), undefined);
});

t.test('exponential backoff with jitter', async (t) => {
  t.equal(backoffMs(0, 100, () => 0), 50);
  t.equal(backoffMs(0, 100, () => 0.999999), 100);
  t.equal(backoffMs(3, 100, () => 0), 400);
  t.ok(backoffMs(30, 100, () => 0.999999) <= 10_000, 'capped');
});

t.test('what is retried', async (t) => {
  for (const s of [429, 500, 502, 503, 504]) t.ok(isRetryableStatus(s), String(s));
  for (const s of [200, 400, 401, 403, 404, 501]) t.notOk(isRetryableStatus(s), String(s));
  t.ok(isRetryableNetworkError('ECONNRESET'));
  t.ok(isRetryableNetworkError('UND_ERR_SOCKET'));
  t.notOk(isRetryableNetworkError('ECONNREFUSED'), 'a registry that is down is not retried');
  t.notOk(isRetryableNetworkError('ENOTFOUND'));
});
