// What `pin` tells the user: the scalars it pinned (or would pin) and the images it did
// not pin, with the reason. Plain text. Pure.

import type { PinResult } from './types.js';

export function formatPinReport(pin: PinResult, opts: { mode: 'diff' | 'write' | 'pr' }): string {
  const lines: string[] = [];
  const changes = Object.values(pin.changes).flat();
  const verb = opts.mode === 'diff' ? 'would pin' : 'pinned';
  for (const c of changes) lines.push(`${verb} ${c.file}:${c.line} ${c.from === '' ? '(empty)' : c.from} → ${c.to}`);
  const files = Object.keys(pin.changes).length;
  lines.push(`${changes.length} value${changes.length === 1 ? '' : 's'} ${verb === 'pinned' ? 'pinned' : 'to pin'} in ${files} file${files === 1 ? '' : 's'}`);
  for (const s of pin.skipped) {
    lines.push(`not pinned: ${s.image}${s.file ? ` (${s.file}${s.line !== undefined ? `:${s.line}` : ''})` : ''}: ${s.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
