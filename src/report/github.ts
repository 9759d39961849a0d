// -o github: GitHub Actions workflow commands. One `::error`/`::warning`/`::notice`
// annotation per non-passing image × policy × use, at the manifest line that uses
// the image, then a plain summary line. The job summary (Markdown) is a separate
// pure function; the CLI appends it to $GITHUB_STEP_SUMMARY.

import type { Result, UseLocation } from '../engine/result.js';
import { bySeverity, findings, severity, summaryLine, useText, workload, type Finding } from './findings.js';
import { format as markdown } from './markdown.js';

type Command = 'error' | 'warning' | 'notice';

export function format(result: Readonly<Result>): string {
  const out: string[] = [];
  for (const f of bySeverity(findings(result))) {
    const command = commandOf(f);
    if (!command) continue;
    const uses: (UseLocation | undefined)[] = f.image.uses.length > 0 ? f.image.uses : [undefined];
    for (const use of uses) out.push(annotation(command, f, use));
  }
  out.push(`verify-images: ${summaryLine(result)}`);
  return `${out.join('\n')}\n`;
}

/** The job summary: the Markdown report, for $GITHUB_STEP_SUMMARY. */
export function summary(result: Readonly<Result>): string {
  return markdown(result);
}

function commandOf(f: Finding): Command | undefined {
  const level = severity(f);
  return level === 'note' ? 'notice' : level;
}

function annotation(command: Command, f: Finding, use: UseLocation | undefined): string {
  const v = f.verdict;
  const props: [string, string][] = [];
  if (use) props.push(['file', use.file], ['line', String(Math.max(1, use.line))]);
  props.push(['title', `${f.status}: ${f.image.image}${v ? ` (policy ${v.policy})` : ''}`]);
  const lines = [...f.reasons];
  if (v) lines.push(`policy ${v.policy} at ${v.file}:${v.line}, ${v.rule} (${v.mode})`);
  if (use) lines.push(use.container === '' ? useText(use) : `used by ${useText(use)}`);
  if (f.image.digest) lines.push(`digest ${f.image.digest}`);
  const properties = props.map(([k, val]) => `${k}=${escapeProperty(val)}`).join(',');
  return `::${command} ${properties}::${escapeData(lines.join('\n'))}`;
}

/** Workflow-command message escaping (actions/toolkit `escapeData`). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Property values also lose `:` and `,`, which delimit the properties. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
