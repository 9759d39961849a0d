// How `verify-images test` reports: text (default), json, tap, junit. Pure.

import { xmlAttr, xmlText } from '../report/junit.js';
import type { TestReport } from './run-tests.js';

export type TestFormat = 'text' | 'json' | 'tap' | 'junit';
export const TEST_FORMATS: TestFormat[] = ['text', 'json', 'tap', 'junit'];

export function passed(r: TestReport): boolean {
  return !r.error && r.checks.every((c) => c.ok);
}

export function formatTests(reports: TestReport[], format: TestFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ tests: reports.map((r) => ({ ...r, passed: passed(r) })), summary: summary(reports) }, null, 2)}\n`;
    case 'tap':
      return tap(reports);
    case 'junit':
      return junit(reports);
    default:
      return text(reports);
  }
}

function summary(reports: TestReport[]) {
  return {
    tests: reports.length,
    passed: reports.filter(passed).length,
    failed: reports.filter((r) => !r.error && !passed(r)).length,
    broken: reports.filter((r) => r.error).length,
  };
}

const MAX_REASONS = 3;

function explain(c: TestReport['checks'][number]): string[] {
  return [
    `    ${c.subject} (line ${c.line})`,
    `      expected: ${c.expected}`,
    `      got:      ${c.got}`,
    ...c.reasons.slice(0, MAX_REASONS).map((m) => `        - ${m}`),
  ];
}

function text(reports: TestReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    if (r.error) {
      lines.push(`BROKEN ${r.file} (${r.name})`, `    ${r.error}`);
      continue;
    }
    const failing = r.checks.filter((c) => !c.ok);
    lines.push(`${failing.length === 0 ? 'PASS' : 'FAIL'}   ${r.file} (${r.name}): ${r.checks.length - failing.length}/${r.checks.length} results as expected`);
    for (const c of failing) lines.push(...explain(c));
  }
  const s = summary(reports);
  lines.push('', `${s.tests} tests: ${s.passed} passed, ${s.failed} failed${s.broken ? `, ${s.broken} broken` : ''}`);
  return `${lines.join('\n')}\n`;
}

function tap(reports: TestReport[]): string {
  const lines = ['TAP version 14', `1..${reports.length}`];
  reports.forEach((r, i) => {
    lines.push(`${passed(r) ? 'ok' : 'not ok'} ${i + 1} - ${r.file} (${r.name})`);
    const details = r.error ? [r.error] : r.checks.filter((c) => !c.ok).flatMap((c) => explain(c).map((l) => l.trim()));
    if (details.length > 0) {
      lines.push('  ---', '  message: |', ...details.map((d) => `    ${d}`), '  ...');
    }
  });
  return `${lines.join('\n')}\n`;
}


function junit(reports: TestReport[]): string {
  const s = summary(reports);
  const cases = reports.map((r) => {
    const head = `  <testcase classname="${xmlAttr(r.file)}" name="${xmlAttr(r.name)}" time="${(r.ms / 1000).toFixed(3)}"`;
    if (r.error) return `${head}>\n    <error message="${xmlAttr(r.error.split('\n')[0]!)}">${xmlText(r.error)}</error>\n  </testcase>`;
    const failing = r.checks.filter((c) => !c.ok);
    if (failing.length === 0) return `${head}/>`;
    const body = failing.flatMap(explain).join('\n');
    return `${head}>\n    <failure message="${failing.length} of ${r.checks.length} results differ">${xmlText(body)}</failure>\n  </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="verify-images test" tests="${s.tests}" failures="${s.failed}" errors="${s.broken}">\n${cases.join('\n')}\n</testsuite>\n`;
}
