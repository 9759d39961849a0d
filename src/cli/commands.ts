// Subcommands besides `verify` and `version`. Each lives in its own module and
// registers itself with one line below; handlers import what they need lazily.
import type { Argv } from 'yargs';
import type { CliIO } from './verify.js';
import { registerHook } from './hook.js';
import { registerCluster } from './cluster.js';
import { registerCompletion } from './completion.js';
import { registerPin } from './pin.js';
import { registerConvert } from './convert.js';
import { registerTest } from './test.js';

export interface CommandContext {
  io: CliIO;
  /** `kubectl verify-images` or `kubectl-verify-images`, for usage text. */
  scriptName: string;
  /** Handlers report their exit code here (0/1/3; usage errors are thrown). */
  setExitCode(code: number): void;
}

export type RegisterCommand = (cli: Argv, ctx: CommandContext) => Argv;

export const commands: RegisterCommand[] = [
  registerHook,
  registerCluster,
  registerCompletion,
  registerPin,
  registerConvert,
  registerTest,
  // one line per command module, e.g. registerPin,
];
