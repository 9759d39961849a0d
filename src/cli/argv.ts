// kubectl habits, mended before yargs sees the arguments (pure):
// - a lone `-` (stdin) is dropped by yargs 18, as a positional and as `-f -`: it is
//   carried through as a placeholder and turned back into `-` by restoreStdin();
// - kubectl's verbosity levels `-v=6`, `-v 6`, `--v=6` mean "verbose", never a path.

/** Stands for `-` while yargs parses; never a real path (NUL cannot appear in one). */
export const STDIN_ARG = '\u0000stdin';

const LEVEL = /^\d+$/;

export function protectArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(arg, ...args.slice(i + 1).map((a) => (a === '-' ? STDIN_ARG : a)));
      break;
    }
    if (arg === '-') {
      out.push(STDIN_ARG);
      continue;
    }
    const eq = /^(--?[A-Za-z][\w-]*)=-$/.exec(arg);
    if (eq) {
      out.push(`${eq[1]}=${STDIN_ARG}`);
      continue;
    }
    const level = /^--?v(?:=(\d+))?$/.exec(arg);
    if (level) {
      // `-v=6`, `--v=6`, `-v 6`, `--v 6`: kubectl's klog levels; 0 is kubectl's quiet default.
      let n = level[1];
      if (n === undefined && LEVEL.test(args[i + 1] ?? '')) n = args[++i];
      if (n === undefined || Number(n) > 0) out.push('--verbose');
      continue;
    }
    out.push(arg);
  }
  return out;
}

/**
 * Arguments after `--` are paths (`verify -- -odd-name.yaml`). yargs (with populate--) leaves
 * them in `argv['--']`, not in the command's `[paths..]`: without this, `verify -- DIR` verified `.`.
 */
export function mergeDoubleDash(argv: Record<string, unknown>): void {
  const rest = argv['--'];
  if (!Array.isArray(rest)) return;
  delete argv['--'];
  if (rest.length === 0) return;
  const paths = Array.isArray(argv.paths) ? argv.paths : [];
  argv.paths = [...paths, ...rest.map(String)];
}

/** `-` again in everything yargs handed back (a yargs middleware: every command sees `-`). */
export function restoreStdin(argv: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(argv)) {
    if (value === STDIN_ARG) argv[key] = '-';
    else if (Array.isArray(value) && value.includes(STDIN_ARG)) argv[key] = value.map((v) => (v === STDIN_ARG ? '-' : v));
  }
}
