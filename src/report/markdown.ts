// -o markdown: a pull-request comment (GitHub-flavoured Markdown). Problems first in
// one table (one row per image × policy), passes folded away below it. Everything
// taken from manifests or registries is escaped: it may hold `|`, backticks or HTML.

import type { Result, Status } from '../engine/result.js';
import { bySeverity, findings, summaryLine, workload, type Finding } from './findings.js';

export const BADGES: Record<Status, string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  warn: '⚠️ warn',
  error: '❗ error',
  unmatched: '➖ unmatched',
  skip: '⏭️ skip',
};

/** GitHub rejects comments over 65,536 characters; stop adding rows well before. */
const MAX_CHARS = 60_000;
const HEADER = ['Status', 'Image', 'Digest', 'Policy', 'Reason', 'Used by'];

export function format(result: Readonly<Result>): string {
  const all = bySeverity(findings(result));
  const problems = all.filter((f) => f.status !== 'pass' && f.status !== 'skip');
  const rest = all.filter((f) => f.status === 'pass' || f.status === 'skip');
  const blocked = all.some((f) => f.blocks);
  const out = [`### ${blocked ? '❌' : problems.length > 0 ? '⚠️' : '✅'} kubectl verify-images: ${summaryLine(result)}`, ''];
  let budget = MAX_CHARS;
  const table = (rows: Finding[]) => {
    const lines = [row(HEADER), row(HEADER.map(() => '---'))];
    let shown = 0;
    for (const f of rows) {
      const line = row(cells(f));
      if (budget - line.length < 0) break;
      budget -= line.length;
      lines.push(line);
      shown++;
    }
    if (shown < rows.length) lines.push('', `… ${rows.length - shown} more rows left out to fit a comment; run with \`-o json\` for all of them.`);
    return lines;
  };
  if (problems.length > 0) out.push(...table(problems), '');
  else out.push('All images verified.', '');
  if (rest.length > 0) {
    out.push('<details>', `<summary>${rest.length} passing or skipped</summary>`, '', ...table(rest), '', '</details>', '');
  }
  return `${out.join('\n')}`;
}

function cells(f: Finding): string[] {
  const v = f.verdict;
  const policy = v ? `${code(v.policy)} ${escape(`${v.file}:${v.line}`)}` : '-';
  const reason = f.reasons.length > 0 ? f.reasons.map(escape).join('<br>') : '-';
  const uses = f.image.uses.slice(0, 3).map((u) => `${code(`${u.file}:${u.line}`)} ${escape(workload(u))}`);
  if (f.image.uses.length > 3) uses.push(`… ${f.image.uses.length - 3} more`);
  return [
    BADGES[f.status],
    code(f.image.image),
    f.image.digest ? code(`${f.image.digest.slice(0, 19)}…`) : '-',
    policy,
    reason,
    uses.join('<br>') || '-',
  ];
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** Plain text in a table cell: Markdown and HTML punctuation escaped, one line. */
export function escape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]~|]/g, '\\$&')
    .replace(/\r?\n|\r/g, '<br>');
}

/** A code span that survives any backticks in the text; `|` still needs escaping inside tables. */
export function code(s: string): string {
  const flat = s.replace(/\r?\n|\r/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}
