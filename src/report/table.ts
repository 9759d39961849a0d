// Human output: one line per image, then the reasons for anything not passing,
// each with the policy file:line and the rule path, and where the image is used.

import { countText, type ImageResult, type Result, type Status } from '../engine/result.js';

export interface TableOptions {
  color: boolean;
  /** -o wide: digest and every use. */
  wide?: boolean;
  /** --no-headers: the rows only, for scripts (kubectl convention). */
  noHeaders?: boolean;
}

const COLORS: Record<Status, string> = {
  pass: '32',
  fail: '31',
  warn: '33',
  skip: '36',
  unmatched: '90',
  error: '35',
};

export function format(result: Readonly<Result>, options: TableOptions = { color: false }): string {
  const paint = (status: Status, text: string) => (options.color ? `\u001b[${COLORS[status]}m${text}\u001b[0m` : text);
  const rows = result.results.map((r) => [r.status.toUpperCase(), r.image, options.wide ? (r.digest ?? '-') : shortDigest(r.digest), policyNames(r)]);
  const header = ['STATUS', 'IMAGE', 'DIGEST', 'POLICIES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out: string[] = [line(header)];
  result.results.forEach((r, i) => {
    const row = rows[i]!;
    const text = line(row);
    out.push(paint(r.status, row[0]!) + text.slice(row[0]!.length));
  });
  if (options.noHeaders) return out.slice(1).map((l) => `${l}\n`).join('');

  const details = result.results.filter((r) => options.wide || (r.status !== 'pass' && r.status !== 'skip'));
  for (const r of details) out.push('', ...explain(r, options.wide ?? false));

  const s = result.summary;
  out.push('', `${countText(s)}: ${s.pass} pass, ${s.fail} fail, ${s.warn} warn, ${s.skip} skip, ${s.unmatched} unmatched, ${s.error} error`);
  return `${out.join('\n')}\n`;
}

function shortDigest(digest?: string): string {
  return digest ? `${digest.slice(0, 19)}…` : '-';
}

function policyNames(r: ImageResult): string {
  return [...new Set(r.policies.map((p) => p.policy))].join(',') || '-';
}

function explain(r: ImageResult, wide: boolean): string[] {
  const lines = [`${r.status.toUpperCase()} ${r.image}${r.digest ? ` (${r.digest})` : ''}`];
  for (const reason of r.reasons ?? []) lines.push(`  ${reason}`);
  for (const p of r.policies) {
    if (!wide && (p.status === 'pass' || p.status === 'skip')) continue;
    lines.push(`  ${p.status}: policy ${p.policy} (${p.file}:${p.line}, ${p.rule}, ${p.mode})`);
    for (const reason of p.reasons) lines.push(`    - ${reason}`);
    if (p.signers?.length) lines.push(`    signed by ${p.signers.join(', ')}`);
  }
  for (const hint of r.hints ?? []) lines.push(`  fix: ${hint}`);
  const uses = wide ? r.uses : r.uses.slice(0, 3);
  for (const u of uses) {
    const obj = [u.kind, u.namespace, u.name].filter(Boolean).join('/');
    // A signed manifest is the object itself; a source artifact is used by an object, not a container.
    lines.push(r.kind === 'manifest' || r.kind === 'commit' ? `  at ${u.file}:${u.line}` : `  used by ${obj}${u.container ? ` container ${u.container}` : ''} at ${u.file}:${u.line}`);
  }
  if (uses.length < r.uses.length) lines.push(`  … and ${r.uses.length - uses.length} more uses (-o wide lists them)`);
  return lines;
}
