// A one-line progress indicator on stderr for runs that take more than a second,
// drawn only when stderr is a terminal (never in CI logs or pipes), and erased
// when the run ends so the report starts on a clean line.

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** Timers, injectable so tests need no real waiting. */
export interface ProgressTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  now(): number;
}

export interface ProgressOptions {
  /** What is going on, e.g. "verifying 12 images"; called on every redraw. */
  label: () => string;
  /** Nothing is drawn before this (default 1000 ms). */
  delayMs?: number;
  /** Redraw period (default 250 ms). */
  intervalMs?: number;
  timers?: ProgressTimers;
}

export interface Progress {
  /** Erases the line (if drawn) and stops the timers. Idempotent. */
  stop(): void;
}

const CLEAR = '\r\u001b[K';

/** The text of the line (pure): label, elapsed seconds, cut to the terminal width. */
export function progressLine(label: string, elapsedMs: number, columns = 80): string {
  const line = `verify-images: ${label}… ${Math.floor(elapsedMs / 1000)}s`;
  const width = Math.max(10, columns - 1);
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

const realTimers: ProgressTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
  now: () => performance.now(),
};

export function startProgress(stream: ProgressStream | undefined, options: ProgressOptions): Progress {
  if (!stream?.isTTY) return { stop() {} };
  const timers = options.timers ?? realTimers;
  const started = timers.now();
  let drawn = false;
  let interval: unknown;
  const draw = () => {
    stream.write(CLEAR + progressLine(options.label(), timers.now() - started, stream.columns));
    drawn = true;
  };
  const delay = timers.setTimeout(() => {
    draw();
    interval = timers.setInterval(draw, options.intervalMs ?? 250);
  }, options.delayMs ?? 1000);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      timers.clearTimeout(delay);
      if (interval !== undefined) timers.clearInterval(interval);
      if (drawn) stream.write(CLEAR);
    },
  };
}

/**
 * Off a terminal (a hook's log, CI), `-v` prints a progress line every few seconds once the run
 * has taken longer than `delayMs` (default 5 s), so a log shows where a slow run is.
 */
export function startProgressLog(write: (text: string) => void, options: ProgressOptions): Progress {
  const timers = options.timers ?? realTimers;
  const started = timers.now();
  let interval: unknown;
  const log = () => write(`${progressLine(options.label(), timers.now() - started, 200).replace('…', '')}\n`);
  const delay = timers.setTimeout(() => {
    log();
    interval = timers.setInterval(log, options.intervalMs ?? 5000);
  }, options.delayMs ?? 5000);
  return {
    stop() {
      timers.clearTimeout(delay);
      if (interval !== undefined) timers.clearInterval(interval);
    },
  };
}
