// The progress line with a fake TTY stream and fake timers (no real waiting).
import t from 'tap';
import { progressLine, startProgress, type ProgressTimers } from '../../src/report/progress.js';

function fakeTimers() {
  let now = 0;
  const pending: { at: number; every?: number; fn: () => void; id: number }[] = [];
  let next = 1;
  const clear = (h: unknown) => {
    const i = pending.findIndex((p) => p.id === h);
    if (i >= 0) pending.splice(i, 1);
  };
  const timers: ProgressTimers = {
    setTimeout: (fn, ms) => (pending.push({ at: now + ms, fn, id: next }), next++),
    setInterval: (fn, ms) => (pending.push({ at: now + ms, every: ms, fn, id: next }), next++),
    clearTimeout: clear,
    clearInterval: clear,
    now: () => now,
  };
  /** Moves the clock, firing due timers in order. */
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      pending.sort((a, b) => a.at - b.at);
      const due = pending[0];
      if (!due || due.at > end) break;
      now = due.at;
      if (due.every) due.at += due.every;
      else pending.shift();
      due.fn();
    }
    now = end;
  };
  return { timers, advance, pending: () => pending.length };
}

const tty = (isTTY: boolean) => {
  const writes: string[] = [];
  return { stream: { isTTY, columns: 60, write: (s: string) => void writes.push(s) }, writes };
};

t.test('nothing is drawn for runs under a second, and nothing is left behind', async (t) => {
  const { timers, advance, pending } = fakeTimers();
  const { stream, writes } = tty(true);
  const p = startProgress(stream, { label: () => 'verifying', timers });
  advance(999);
  p.stop();
  t.same(writes, []);
  t.equal(pending(), 0, 'timers cleared');
});

t.test('after a second a line is drawn and redrawn on a TTY, then erased', async (t) => {
  const { timers, advance } = fakeTimers();
  const { stream, writes } = tty(true);
  let n = 0;
  const p = startProgress(stream, { label: () => `verifying ${++n} images`, timers });
  advance(1000);
  t.same(writes, ['\r\u001b[Kverify-images: verifying 1 images… 1s']);
  advance(1500);
  t.equal(writes.length, 7, 'redrawn every 250 ms');
  t.equal(writes.at(-1), '\r\u001b[Kverify-images: verifying 7 images… 2s');
  p.stop();
  p.stop();
  t.equal(writes.at(-1), '\r\u001b[K', 'the line is erased once');
  t.equal(writes.length, 8);
});

t.test('never drawn when stderr is not a terminal', async (t) => {
  const { timers, advance, pending } = fakeTimers();
  const { stream, writes } = tty(false);
  const p = startProgress(stream, { label: () => 'verifying', timers });
  t.equal(pending(), 0);
  advance(10_000);
  p.stop();
  t.same(writes, []);
  startProgress(undefined, { label: () => 'x', timers }).stop();
});

t.test('the line fits the terminal width', async (t) => {
  t.equal(progressLine('verifying 3 images', 2500, 80), 'verify-images: verifying 3 images… 2s');
  const cut = progressLine('x'.repeat(200), 0, 40);
  t.equal(cut.length, 39);
  t.ok(cut.endsWith('…'));
});
