// -o junit: JUnit XML for GitLab, Jenkins and other test report readers. One
// testsuite per policy, one testcase per image × policy. A testcase fails exactly
// when that verdict stops the sync (the exit code's view): audit warnings and
// errors under an allowing failure policy pass, with the reasons in system-out.

import type { Result } from '../engine/result.js';
import { findings, useText, workload, type Finding } from './findings.js';

interface Suite {
  name: string;
  cases: Finding[];
}

export function format(result: Readonly<Result>): string {
  const suites = new Map<string, Suite>();
  for (const f of findings(result)) {
    const name = f.verdict ? f.verdict.policy : 'verify-images';
    const key = f.verdict ? `${f.verdict.policy}\u0000${f.verdict.file}` : '';
    let suite = suites.get(key);
    if (!suite) suites.set(key, (suite = { name, cases: [] }));
    suite.cases.push(f);
  }
  const total = count([...suites.values()].flatMap((s) => s.cases));
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kubectl-verify-images" tests="${total.tests}" failures="${total.failures}" errors="${total.errors}" skipped="${total.skipped}">`,
  ];
  for (const suite of suites.values()) {
    const c = count(suite.cases);
    const file = suite.cases[0]?.verdict?.file;
    out.push(
      `  <testsuite name="${xmlAttr(suite.name)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}"${file ? ` file="${xmlAttr(file)}"` : ''}>`,
    );
    for (const f of suite.cases) out.push(...testcase(f, suite));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

type Outcome = 'passed' | 'failure' | 'error' | 'skipped';

function outcome(f: Finding): Outcome {
  if (f.status === 'skip') return 'skipped';
  if (f.status === 'unmatched') return f.blocks ? 'failure' : 'skipped';
  if (!f.blocks) return 'passed';
  return f.status === 'fail' ? 'failure' : 'error';
}

function count(cases: Finding[]) {
  const c = { tests: cases.length, failures: 0, errors: 0, skipped: 0 };
  for (const f of cases) {
    const o = outcome(f);
    if (o === 'failure') c.failures++;
    else if (o === 'error') c.errors++;
    else if (o === 'skipped') c.skipped++;
  }
  return c;
}

function testcase(f: Finding, suite: Suite): string[] {
  // Several rules of one policy can judge the same image: keep the names unique.
  const sameImage = suite.cases.filter((o) => o.image === f.image).length > 1;
  const name = sameImage && f.verdict ? `${f.image.image} [${f.verdict.rule}]` : f.image.image;
  const classname = f.verdict ? f.verdict.policy : 'verify-images';
  const use = f.image.uses[0];
  const where = use ? ` file="${xmlAttr(use.file)}" line="${use.line}"` : '';
  const lines = [`    <testcase name="${xmlAttr(name)}" classname="${xmlAttr(classname)}"${where}>`];
  const message = f.reasons[0] ?? f.status;
  const body = xmlText(f.reasons.join('\n'));
  switch (outcome(f)) {
    case 'failure':
      lines.push(`      <failure message="${xmlAttr(message)}" type="${f.status}">${body}</failure>`);
      break;
    case 'error':
      lines.push(`      <error message="${xmlAttr(message)}" type="${f.status}">${body}</error>`);
      break;
    case 'skipped':
      lines.push(`      <skipped message="${xmlAttr(message)}"/>`);
      break;
    case 'passed':
      break;
  }
  lines.push(`      <system-out>${xmlText(details(f))}</system-out>`, '    </testcase>');
  return lines;
}

function details(f: Finding): string {
  const v = f.verdict;
  const lines = [`status: ${f.status}`, `image: ${f.image.image}`, `normalized: ${f.image.normalized}`];
  if (f.image.digest) lines.push(`digest: ${f.image.digest}`);
  if (v) lines.push(`policy: ${v.policy} (${v.file}:${v.line}, ${v.rule}, ${v.mode})`);
  for (const r of f.reasons) lines.push(`reason: ${r}`);
  for (const s of v?.signers ?? []) lines.push(`signed by: ${s}`);
  for (const u of f.image.uses) lines.push(`${u.container === '' ? 'object' : 'used by'}: ${useText(u)} at ${u.file}:${u.line}`);
  return lines.join('\n');
}

/** Characters XML 1.0 cannot carry at all (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/F). */
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** XML character data (also used by `verify-images test -o junit`). */
export function xmlText(s: string): string {
  return s.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An XML attribute value. */
export function xmlAttr(s: string): string {
  // Newlines and tabs in attributes would be normalised to spaces by parsers; keep them as references.
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
