// kubectl output conventions in-process: -o name, --no-headers, -h on every command.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { runCli } from '../helpers/cli.js';

async function cli(cwd: string, args: string[]) {
  return runCli(cwd, args);
}

const STATIC = (action: string) => `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: static-${action}
spec:
  images:
    - glob: "registry.internal/${action}/**"
  authorities:
    - static:
        action: ${action}
`;
const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: registry.internal/pass/web:1.0
    - name: bad
      image: registry.internal/fail/bad:2.0
`;

async function repo(t: { teardown(fn: () => unknown): void }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vi-kube-output-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, '.git'));
  await mkdir(path.join(dir, '.verify-images'));
  await writeFile(path.join(dir, '.verify-images', 'pass.yaml'), STATIC('pass'));
  await writeFile(path.join(dir, '.verify-images', 'fail.yaml'), STATIC('fail'));
  await writeFile(path.join(dir, 'pod.yaml'), POD);
  return dir;
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
