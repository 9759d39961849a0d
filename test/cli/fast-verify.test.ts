// The plain `verify` path parses without yargs; it must hand verify's handler exactly what the
// full yargs CLI hands it, or step aside. Compared on hand-picked and generated argument lists.
import { Readable } from 'node:stream';
import t from 'tap';
import { COMMAND_NAMES, parseVerifyArgs } from '../../src/cli/fast-verify.js';
import { main } from '../../src/cli/main.js';
import { renderHelp } from '../../src/cli/render-help.js';

/** What the full CLI hands the default command, or undefined when it does not run it. */
async function viaYargs(args: string[]): Promise<Record<string, unknown> | undefined> {
  let seen: Record<string, unknown> | undefined;
  const io = { cwd: '/nonexistent', env: {}, isTTY: false, stdin: Readable.from([]), stdout: () => {}, stderr: () => {} };
  await main(args, { scriptName: 'kubectl verify-images', io, verify: async (argv) => ((seen = argv as Record<string, unknown>), 0) });
  return seen;
}

/** The flags a handler reads: camelCase keys with a value (yargs also keeps kebab-case and alias copies). */
function flags(argv: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(argv)) {
    if (key === '_' || key === '$0' || key.includes('-') || key.length === 1 || value === undefined) continue;
    out[key] = value;
  }
  if (Array.isArray(out.paths) && out.paths.length === 0) delete out.paths;
  return out;
}

async function agree(t: { ok(v: unknown, m: string): void; same(a: unknown, b: unknown, m: string): void }, args: string[]) {
  const fast = parseVerifyArgs(args);
  if (!fast) return false;
  const full = await viaYargs(args);
  t.ok(full, `${JSON.stringify(args)}: the full CLI runs verify too`);
  if (full) t.same(flags(fast), flags(full), `${JSON.stringify(args)}: the same flags`);
  return true;
}

t.test('hand-picked invocations: the same flags as yargs, or the full CLI', async (t) => {
  const fastOnes = [
    [],
    ['.'],
    ['verify', 'apps/', '-p', 'policies'],
    ['-p', 'a', 'b', '-p', 'c'],
    ['-', '-f', '-', '--filename=-'],
    ['-v=6', 'x'],
    ['-v', '6', 'x'],
    ['--v=0', 'x'],
    ['--no-cache', '--no-color', '--no-headers', '-R', 'x'],
    ['--cache=false', '--offline', 'true', 'x'],
    ['-o', 'json', '-o', 'yaml'],
    ['--concurrency', '4', '--concurrency=abc'],
    ['--cache-dir', 'd', '--cacheDir', 'e'],
    ['--insecure-registry', 'a:1', 'p', '--insecure-registry=b'],
    ['--timeout', '90s', '--request-timeout=2s', '--kubeconfig', 'k', '--context', 'c'],
    ['--vsa-format', 'bundle', '--publish-vsa', '--vsa-key', 'k'],
    ['-vo', 'json', 'x'],
    ['--', '-p', 'x', '-'],
    ['verify', 'verify'],
    ['123', '0x10'],
    ['-n', 'prod', 'apps', '--namespace=dev'],
  ];
  for (const args of fastOnes) t.ok(await agree(t, args), `${JSON.stringify(args)}: parsed without yargs`);
  const fullOnes = [
    ['--help'],
    ['-h', 'x'],
    ['--version', 'x'],
    ['version'],
    ['pin', 'x'],
    ['hook', 'argocd-cmp'],
    ['test'],
    ['--cluster'],
    ['--repo', 'https://example.com/r.git'],
    ['--polcy', 'x'],
    ['-p'],
    ['--vsa-format', 'other'],
    ['--get-yargs-completions', 'kubectl-verify_images'],
    ['-p', 'x', 'verify', 'apps'],
  ];
  for (const args of fullOnes) t.equal(parseVerifyArgs(args), undefined, `${JSON.stringify(args)}: left to the full CLI`);
});

t.test('generated invocations: whenever the fast path parses, yargs agrees', async (t) => {
  const words = [
    'apps', 'verify', '-', '--', '-p', 'pol', '-f', '-k', '-o', 'json', 'yaml', '-v', '-v=2', '6', '--v=0', '--no-cache', '--cache', 'false', 'true',
    '--concurrency', '8', 'x8', '--cache-dir', '--cache-dir=', '--offline', '--no-offline', '--color', '--no-headers', '--headers', '-R', '--recursive', '--timeout',
    '5s', '--request-timeout=1s', '--insecure-registry', 'r:5000', '--registry-ca', 'ca.pem', '--trusted-root', '--kubeconfig', '--context', '--config',
    '--vsa-format', 'legacy', '--publish-vsa', '--cache-url', 'redis://h', '-pfoo', '-ojson', '-vR', '--policy=x', '-f=-', '--unknown', 'pin', '-n', '--cluster', '-h',
  ];
  let seed = 20261127;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  let parsed = 0;
  const runs = 600;
  for (let i = 0; i < runs; i++) {
    const args = Array.from({ length: rand(7) }, () => words[rand(words.length)]!);
    if (await agree(t, args)) parsed++;
  }
  t.ok(parsed > runs / 3, `most generated lists are parsed without yargs (${parsed}/${runs}), so the comparison means something`);
});

t.test("the command names are the full CLI's (a new command must be added to COMMAND_NAMES)", async (t) => {
  const help = (await renderHelp()).texts['kubectl verify-images']!['110']!;
  const section = /^Commands:\n([\s\S]*?)\n\n/m.exec(help)![1]!;
  const listed = [...section.matchAll(/^ {2}kubectl verify-images ([a-z-]+)/gm)].map((m) => m[1]);
  t.same([...listed].sort(), [...COMMAND_NAMES].sort());
});
