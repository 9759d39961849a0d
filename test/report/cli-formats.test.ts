// The report formats through the real CLI (in-process, no registry needed: a
// static ClusterImagePolicy decides), including the GitHub job summary file.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import t from 'tap';
import { XMLValidator } from 'fast-xml-parser';
import { pod, runCli, staticPolicy, tempRepo } from '../helpers/cli.js';

function setup(t: { teardown: (fn: () => unknown) => void }) {
  return tempRepo(
    t,
    {
      '.verify-images/frozen.yaml': staticPolicy('frozen', 'registry.internal/**', 'fail', 'internal images are frozen'),
      'apps/pod.yaml': pod({ web: 'registry.internal/web:1.0', sidecar: 'docker.io/library/busybox:1.36' }),
    },
    { prefix: 'vi-report-' },
  );
}

async function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCli(cwd, args, { env: { XDG_CACHE_HOME: path.join(cwd, '.cache'), ...env } });
}

t.test('every new -o format runs through the CLI with the same exit code', async (t) => {
  const dir = await setup(t);
  const sarif = await cli(dir, ['apps', '-o', 'sarif']);
  t.equal(sarif.code, 1, sarif.stderr);
  const log = JSON.parse(sarif.stdout);
  t.equal(log.version, '2.1.0');
  t.same(
    log.runs[0].results.map((r: { ruleId: string; level: string; locations: { physicalLocation: { region: { startLine: number } } }[] }) => [
      r.ruleId,
      r.level,
      r.locations[0]!.physicalLocation.region.startLine,
    ]),
    [
      [log.runs[0].results[0].ruleId, 'error', 8],
      ['verify-images/unmatched', 'note', 10],
    ],
  );
  t.match(log.runs[0].results[0].ruleId, /^frozen\//);

  const junit = await cli(dir, ['apps', '-o', 'junit']);
  t.equal(junit.code, 1);
  t.equal(XMLValidator.validate(junit.stdout), true);
  t.match(junit.stdout, /<failure message="[^"]*internal images are frozen"/);

  const github = await cli(dir, ['apps', '-o', 'github']);
  t.match(github.stdout, /^::error file=apps[/\\]pod\.yaml,line=8,title=fail%3A registry\.internal\/web%3A1\.0 \(policy frozen\)::[^%]*internal images are frozen/m);

  const md = await cli(dir, ['apps', '-o', 'markdown']);
  t.match(md.stdout, /\| ❌ fail \| `registry\.internal\/web:1\.0` \|/);

  const html = await cli(dir, ['apps', '-o', 'html']);
  t.equal(html.code, 1);
  t.match(html.stdout, /^<!doctype html>/);
});

t.test('-o github appends the job summary to $GITHUB_STEP_SUMMARY', async (t) => {
  const dir = await setup(t);
  const summaryFile = path.join(dir, 'step-summary.md');
  await writeFile(summaryFile, '# earlier step\n');
  const { code, stdout, stderr } = await cli(dir, ['apps', '-o', 'github'], { GITHUB_STEP_SUMMARY: summaryFile });
  t.equal(code, 1, stderr);
  const text = await readFile(summaryFile, 'utf8');
  t.ok(text.startsWith('# earlier step\n'), 'appended, not overwritten');
  t.match(text, /### ❌ kubectl verify-images: 2 images/);
  t.notMatch(stdout, /### /, 'the summary is not printed on stdout');

  // Other formats leave the file alone.
  await cli(dir, ['apps', '-o', 'json'], { GITHUB_STEP_SUMMARY: summaryFile });
  t.equal(await readFile(summaryFile, 'utf8'), text);
});
