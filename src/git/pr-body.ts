// The commit message, PR title and PR body for a PinResult. Pure.

import type { PinChange, PinResult } from '../pin/types.js';

/** Hidden in the body: how a rerun recognises the PR it opened. */
export const PIN_MARKER = '<!-- verify-images:pin -->';

export function allChanges(pin: PinResult): PinChange[] {
  return Object.values(pin.changes).flat();
}

function images(pin: PinResult): string[] {
  return [...new Set(allChanges(pin).map((c) => c.image))].sort();
}

export function prTitle(pin: PinResult): string {
  const n = images(pin).length;
  return `chore(images): pin ${n} verified image digest${n === 1 ? '' : 's'}`;
}

/** Conventional commit: a subject, then one line per pinned scalar. */
export function commitMessage(pin: PinResult): string {
  const lines = allChanges(pin).map((c) => `- ${c.image} → ${c.digest} (${c.file}:${c.line})`);
  return `${prTitle(pin)}\n\nPinned by kubectl verify-images after signature verification:\n${lines.join('\n')}\n`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string) => (s === '' ? '(empty)' : `\`${cell(s)}\``);

export function prBody(pin: PinResult): string {
  const rows = allChanges(pin).map((c) => {
    const verification = [c.verification.policies.join(', '), c.verification.signers.length ? `signed by ${c.verification.signers.join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    return `| ${code(c.image)} | ${cell(`${c.file}:${c.line}`)} | ${code(c.from)} | ${code(c.to)} | ${cell(verification)} |`;
  });
  const parts = [
    PIN_MARKER,
    'This PR pins container images to the digests their tags resolve to, after `kubectl verify-images` verified their signatures against the image policies in this repository. Admission then validates a fixed digest instead of mutating tags (no GitOps drift).',
    '',
    '| image | file:line | from | to | verification |',
    '|---|---|---|---|---|',
    ...rows,
  ];
  const breaking = allChanges(pin).filter((c) => c.breaksSignature);
  if (breaking.length > 0) {
    parts.push('', `> [!WARNING]\n> These edits break a manifest signature (made with \`--allow-breaking-signatures\`): sign the manifests again before merging, or a \`validate.manifests\` policy will block them.`);
    for (const c of breaking) parts.push(`> - ${cell(`${c.file}:${c.line}`)} (${code(c.breaksSignature!)})`);
  }
  if (pin.skipped.length > 0) {
    parts.push('', '<details><summary>Not pinned</summary>', '');
    for (const s of pin.skipped) parts.push(`- ${code(s.image)}${s.file ? ` (${cell(`${s.file}:${s.line ?? 0}`)})` : ''}: ${cell(s.reason)}`);
    parts.push('', '</details>');
  }
  return `${parts.join('\n')}\n`;
}
