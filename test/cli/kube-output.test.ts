// kubectl output conventions in-process: -o name, --no-headers, -h on every command.
import t from 'tap';
import { pod, runCli, staticPolicy, tempRepo } from '../helpers/cli.js';

async function cli(cwd: string, args: string[]) {
  return runCli(cwd, args);
}

function repo(t: { teardown(fn: () => unknown): void }) {
  return tempRepo(
    t,
    {
      '.verify-images/pass.yaml': staticPolicy('static-pass', 'registry.internal/pass/**', 'pass'),
      '.verify-images/fail.yaml': staticPolicy('static-fail', 'registry.internal/fail/**', 'fail'),
      'pod.yaml': pod({ web: 'registry.internal/pass/web:1.0', bad: 'registry.internal/fail/bad:2.0' }),
    },
    { prefix: 'vi-kube-output-' },
  );
}

t.test('-o name prints one image/<ref> line per image; the verdict stays in the exit code', async (t) => {
  const dir = await repo(t);
  const out = await cli(dir, ['pod.yaml', '-o', 'name']);
  t.equal(out.stdout, 'image/registry.internal/pass/web:1.0\nimage/registry.internal/fail/bad:2.0\n');
  t.equal(out.code, 1);
});

t.test('--no-headers prints only the rows of table and wide', async (t) => {
  const dir = await repo(t);
  const withHeaders = await cli(dir, ['pod.yaml']);
  t.match(withHeaders.stdout, /^STATUS\s+IMAGE/);
  t.match(withHeaders.stdout, /2 images: 0 pass, 1 fail, 0 warn, 1 skip/);
  for (const output of ['table', 'wide']) {
    const out = await cli(dir, ['pod.yaml', '-o', output, '--no-headers']);
    const lines = out.stdout.trimEnd().split('\n');
    t.equal(lines.length, 2, `${output}: two rows`);
    t.match(lines[0], /^SKIP\s+registry\.internal\/pass\/web:1\.0/);
    t.match(lines[1], /^FAIL\s+registry\.internal\/fail\/bad:2\.0/);
    t.equal(out.code, 1);
  }
});

t.test('-h works on every command and names kubectl verify-images', async (t) => {
  const dir = await repo(t);
  const log = console.log;
  for (const args of [['-h'], ['verify', '-h'], ['version', '-h'], ['completion', '-h'], ['hook', '-h']]) {
    let printed = '';
    // yargs prints help through console.log.
    console.log = (...a: unknown[]) => void (printed += a.join(' ') + '\n');
    let code: number;
    try {
      code = (await cli(dir, args)).code;
    } finally {
      console.log = log;
    }
    t.equal(code, 0, args.join(' '));
    t.match(printed, /kubectl verify-images/, `${args.join(' ')} shows usage`);
    t.match(printed, /-h, --help/);
  }
});
