// How a command's error reaches the user, for the yargs CLI and the plain `verify` path alike.

/** Errors whose message is the whole story for the user: exit 2, no stack. */
const USAGE_CODES = new Set(['USAGE_ERROR', 'CONFIG_ERROR', 'POLICY_ERROR', 'MANIFEST_ERROR', 'SOURCE_ERROR']);

/** Prints `err` on stderr (with a pointer to --help for usage errors); the exit code is 2. */
export function reportError(err: unknown, stderr: (text: string) => void, scriptName: string): number {
  const e = err as Error & { code?: string };
  if (e?.code && USAGE_CODES.has(e.code)) {
    stderr(`error: ${e.message}\n`);
    if (e.code === 'USAGE_ERROR') stderr(`Run '${scriptName} --help' for usage.\n`);
    return 2;
  }
  stderr(`error: ${e?.message ?? String(err)}\n`);
  return 2;
}
