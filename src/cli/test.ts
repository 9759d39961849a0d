// `test [PATH…]`: unit tests for image policies, offline, from recorded registry fixtures.
// Exit 0 all passed, 1 a test failed, 2 a broken test file (or none found).

import type { Argv } from 'yargs';
import type { CommandContext, RegisterCommand } from './commands.js';
import { UsageError } from './verify.js';

interface TestFlags {
  paths?: string[];
  record?: boolean;
  output?: string;
  insecureRegistry?: string[];
  registryCa?: string;
}

export const registerTest: RegisterCommand = (cli: Argv, ctx: CommandContext) =>
  cli.command<TestFlags>(
    'test [paths..]',
    'run policy tests (verify-images-test.yaml, kyverno-test.yaml) offline against recorded registry fixtures',
    (y) =>
      y
        .positional('paths', { type: 'string', array: true, describe: 'test files or directories searched recursively (default .)' })
        .option('record', { type: 'boolean', describe: "run against the real registries and write what the verdicts needed into each test's fixtures" })
        .example('$0 test policies/', 'run every policy test under policies/')
        .example('$0 test --record policies/', 'record (or refresh) the fixtures, then commit them') as Argv<TestFlags>,
    async (argv) => {
      ctx.setExitCode(await testHandler(argv, ctx));
    },
  );

export async function testHandler(argv: TestFlags, ctx: CommandContext): Promise<number> {
  const [{ findTestFiles, runTests }, { formatTests, passed, TEST_FORMATS }] = await Promise.all([import('../policytest/run-tests.js'), import('../policytest/report.js')]);
  const format = argv.output ?? 'text';
  if (!(TEST_FORMATS as string[]).includes(format)) throw new UsageError(`-o ${format}: test reports are ${TEST_FORMATS.join(', ')}`);
  let files: string[];
  try {
    files = await findTestFiles(argv.paths ?? [], ctx.io.cwd);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (files.length === 0) throw new UsageError(`no test files (verify-images-test.yaml, kyverno-test.yaml) under ${(argv.paths ?? ['.']).join(', ')}`);
  const { reports, recorded } = await runTests(files, {
    cwd: ctx.io.cwd,
    env: ctx.io.env,
    record: argv.record === true,
    insecureRegistries: argv.insecureRegistry ?? [],
    ...(argv.registryCa && { registryCa: argv.registryCa }),
  });
  ctx.io.stdout(formatTests(reports, format as Parameters<typeof formatTests>[1]));
  for (const { dir, report } of recorded) {
    ctx.io.stderr(`recorded ${dir}: ${report.files} files, ${(report.bytes / 1024).toFixed(1)} KB (${report.added} added, ${report.removed} removed, ${report.unchanged} unchanged)\n`);
  }
  if (reports.some((r) => r.error)) return 2;
  return reports.every(passed) ? 0 : 1;
}
