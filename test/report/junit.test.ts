import t from 'tap';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { format } from '../../src/report/junit.js';
import { golden, result } from './fixture.js';

interface Case {
  '@_name': string;
  '@_classname': string;
  '@_file'?: string;
  '@_line'?: string;
  failure?: { '@_message': string; '@_type': string; '#text'?: string };
  error?: { '@_message': string; '#text'?: string };
  skipped?: { '@_message': string };
  'system-out': string;
}
interface Suite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  '@_skipped': string;
  testcase: Case[];
}

const parse = (xml: string) =>
  new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase', processEntities: true }).parse(xml) as {
    testsuites: { '@_tests': string; '@_failures': string; '@_errors': string; '@_skipped': string; testsuite: Suite[] };
  };

t.test('golden: -o junit of the every-status result', async (t) => {
  const out = format(result);
  t.equal(out, await golden('report.junit.xml', out));
});

t.test('well-formed XML (the validator can fail)', async (t) => {
  const xml = format(result);
  t.equal(XMLValidator.validate(xml), true);
  t.not(XMLValidator.validate(xml.replace('</testsuites>', '')), true, 'a truncated report is caught');
});

t.test('JUnit structure: one testcase per image × policy, counts match the children', async (t) => {
  const doc = parse(format(result)).testsuites;
  const suites = doc.testsuite;
  t.same(suites.map((s) => s['@_name']), ['check-images', 'acme-keyless', 'audit-images', 'verify-images']);
  const cases = suites.flatMap((s) => s.testcase);
  const expected = result.results.reduce((n, r) => n + Math.max(1, r.policies.length), 0);
  t.equal(cases.length, expected);
  t.equal(Number(doc['@_tests']), expected);
  for (const s of suites) {
    t.equal(Number(s['@_tests']), s.testcase.length, `${s['@_name']} tests`);
    t.equal(Number(s['@_failures']), s.testcase.filter((c) => c.failure).length, `${s['@_name']} failures`);
    t.equal(Number(s['@_errors']), s.testcase.filter((c) => c.error).length, `${s['@_name']} errors`);
    t.equal(Number(s['@_skipped']), s.testcase.filter((c) => c.skipped).length, `${s['@_name']} skipped`);
  }
  t.same([doc['@_failures'], doc['@_errors'], doc['@_skipped']], ['1', '2', '2']);
});

t.test('outcomes follow what blocks the sync', async (t) => {
  const cases = parse(format(result)).testsuites.testsuite.flatMap((s) => s.testcase.map((c) => ({ suite: s['@_name'], ...c })));
  const find = (suite: string, name: string) => cases.find((c) => c.suite === suite && c['@_name'] === name)!;
  const web = find('check-images', 'ghcr.io/acme/web:1.4');
  t.equal(web.failure?.['@_type'], 'fail');
  t.equal(web['@_file'], 'apps/web.yaml');
  t.equal(web['@_line'], '21');
  t.ok(find('check-images', 'quay.io/partner/agent:7').error, 'blocking error → <error>');
  const allowed = find('audit-images', 'quay.io/partner/agent:7');
  t.notOk(allowed.error || allowed.failure, 'error under an allowing failure policy passes');
  t.match(allowed['system-out'], /reason: registry quay\.io: 503/);
  const warn = find('audit-images', 'ghcr.io/acme/worker:2.0');
  t.notOk(warn.failure, 'audit warning passes');
  t.ok(find('check-images', 'ghcr.io/acme/docs:latest').skipped);
  t.ok(find('verify-images', 'busybox:1.36').skipped, 'unmatched (allowed) is skipped');
  const strict = parse(format({ ...result, unmatched: 'fail' })).testsuites.testsuite.flatMap((s) => s.testcase);
  t.ok(strict.find((c) => c['@_name'] === 'busybox:1.36')!.failure, 'unmatched fails when the config says so');
  const bad = find('verify-images', 'bad image|<script>alert(1)</script>');
  t.ok(bad.error, 'an invalid reference is an error');
  t.match(bad.error!['@_message'], /second line <img src=x/, 'attribute text round-trips, newline included');
});
