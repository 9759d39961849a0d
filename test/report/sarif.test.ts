import { readFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type * as Sarif from 'sarif';
import { format, toUri } from '../../src/report/sarif.js';
import { golden, goldenDir, result, results } from './fixture.js';
import { summarize, type Result } from '../../src/engine/result.js';
import { VERSION } from '../../src/cli/version.js';

import { createRequire } from 'node:module';

// The SARIF 2.1.0 schema as Microsoft's SARIF SDK ships it on npm (rtm.5, the text OASIS
// published as 2.1.0; the errata01 copy differs only in allowing a few nulls).
const schemaFile = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

async function validator() {
  const schema = JSON.parse(await readFile(schemaFile, 'utf8'));
  // The schema is draft-04 and uses uri / uri-reference / date-time formats: check them too.
  // Its language pattern is not valid with the u flag (a stray ']'): compile patterns without it.
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

const parse = (text: string) => JSON.parse(text) as Sarif.Log;

t.test('golden: -o sarif of the every-status result', async (t) => {
  // The tool version changes with every release; the golden file does not.
  const out = format(result).replaceAll(`"${VERSION}"`, '"VERSION"');
  t.equal(out, await golden('report.sarif', out));
});

t.test('valid against the official SARIF 2.1.0 schema', async (t) => {
  const validate = await validator();
  const ok = validate(parse(format(result)));
  t.ok(ok, JSON.stringify(validate.errors, null, 2));
  // An empty run and an all-pass run are valid too.
  const empty: Result = { summary: summarize([]), results: [], unmatched: 'allow' };
  t.ok(validate(parse(format(empty))), JSON.stringify(validate.errors));
});

t.test('the validator catches a broken log (the check can fail)', async (t) => {
  const validate = await validator();
  const log = parse(format(result)) as unknown as { runs: { results: { level: string }[] }[] };
  log.runs[0]!.results[0]!.level = 'fatal';
  t.notOk(validate(log));
  const noVersion = parse(format(result)) as Partial<Sarif.Log>;
  delete noVersion.version;
  t.notOk(validate(noVersion));
});

t.test('results: non-passing findings only, one per use, located at the manifest line', async (t) => {
  const run = parse(format(result)).runs[0]!;
  const rs = run.results!;
  // fail×2 uses, warn, error (block), error (allow), unmatched, invalid image: passes and skips left out.
  t.equal(rs.length, 7);
  t.notOk(rs.some((r) => (r.properties as { status: string }).status === 'pass' || (r.properties as { status: string }).status === 'skip'));
  const web = rs.filter((r) => r.ruleId === 'check-images/rules[0].verifyImages[0]' && (r.properties as { image: string }).image === 'ghcr.io/acme/web:1.4');
  t.same(
    web.map((r) => [r.locations![0]!.physicalLocation!.artifactLocation!.uri, r.locations![0]!.physicalLocation!.region!.startLine]),
    [['apps/web.yaml', 21], ['apps/web-canary.yaml', 18]],
  );
  t.equal(web[0]!.relatedLocations![0]!.physicalLocation!.artifactLocation!.uri, 'policies/kyverno.yaml');
  t.equal(web[0]!.relatedLocations![0]!.physicalLocation!.region!.startLine, 12);
  const bad = rs.find((r) => r.ruleId === 'verify-images/invalid-image')!;
  t.equal(bad.locations![0]!.physicalLocation!.artifactLocation!.uri, '%3Cstdin%3E');
});

t.test('levels follow statuses and failure policies', async (t) => {
  const rs = parse(format(result)).runs[0]!.results!;
  const levelOf = (image: string, ruleId: string) =>
    rs.filter((r) => (r.properties as { image: string }).image === image && r.ruleId === ruleId).map((r) => r.level);
  t.same(levelOf('ghcr.io/acme/web:1.4', 'check-images/rules[0].verifyImages[0]'), ['error', 'error']);
  t.same(levelOf('ghcr.io/acme/worker:2.0', 'audit-images/rules[0].verifyImages[0]'), ['warning']);
  t.same(levelOf('quay.io/partner/agent:7', 'check-images/rules[0].verifyImages[0]'), ['error'], 'error under a blocking failure policy');
  t.same(levelOf('quay.io/partner/agent:7', 'audit-images/rules[0].verifyImages[0]'), ['warning'], 'error under an allowing failure policy');
  t.same(levelOf('busybox:1.36', 'verify-images/unmatched'), ['note']);
  const strict = parse(format({ ...result, unmatched: 'fail' })).runs[0]!.results!;
  t.same(strict.filter((r) => r.ruleId === 'verify-images/unmatched').map((r) => r.level), ['error'], 'unmatched blocks when the config says so');
});

t.test('ruleIds, rule indexes and fingerprints are stable', async (t) => {
  const a = parse(format(result)).runs[0]!;
  const ruleIds = a.tool.driver.rules!.map((r) => r.id);
  t.same(ruleIds, [
    'acme-keyless/spec.authorities[0]',
    'audit-images/rules[0].verifyImages[0]',
    'check-images/rules[0].verifyImages[0]',
    'verify-images/invalid-image',
    'verify-images/unmatched',
  ]);
  for (const r of a.results!) t.equal(a.tool.driver.rules![r.ruleIndex!]!.id, r.ruleId);

  // Same findings in another order, on other lines: same rules, same fingerprints.
  const moved = [...results].reverse().map((i) => ({ ...i, uses: i.uses.map((u) => ({ ...u, line: u.line + 40 })) }));
  const b = parse(format({ summary: summarize(moved), results: moved, unmatched: 'allow' })).runs[0]!;
  t.same(b.tool.driver.rules!.map((r) => r.id), ruleIds);
  const prints = (run: Sarif.Run) => new Set(run.results!.map((r) => Object.values(r.partialFingerprints!)[0]));
  t.same(prints(b), prints(a));
  t.equal(prints(a).size, a.results!.length, 'each result has its own fingerprint');
});

t.test('paths become URI references', async (t) => {
  t.equal(toUri('apps/web.yaml'), 'apps/web.yaml');
  t.equal(toUri('apps/my app/web.yaml'), 'apps/my%20app/web.yaml');
  t.equal(toUri('apps\\win\\web.yaml'), 'apps/win/web.yaml');
  t.equal(toUri('/abs/web.yaml'), 'file:///abs/web.yaml');
  t.equal(toUri('C:\\repo\\web.yaml'), 'file:///C:/repo/web.yaml');
  t.equal(toUri('a:b.yaml'), 'a%3Ab.yaml', 'a colon in the first segment is not a scheme');
});
