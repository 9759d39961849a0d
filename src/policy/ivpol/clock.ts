// The time CEL's time.now() answers: the real clock, or the one `verify-images test` fixes (`now:`)
// for the run in progress. A tiny module, so setting it never loads the CEL engine.

let fixed: Date | undefined;

export function celNow(): Date {
  return fixed ?? new Date();
}

/** Runs `fn` with time.now() answering `now` (runs are sequential in one process: `verify-images test`). */
export async function withCelClock<T>(now: Date | undefined, fn: () => Promise<T>): Promise<T> {
  if (!now) return fn();
  const saved = fixed;
  fixed = now;
  try {
    return await fn();
  } finally {
    fixed = saved;
  }
}
