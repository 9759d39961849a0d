import type { Result } from '../engine/result.js';

/** The canonical result, as CLI.md fixes it. */
export function format(result: Readonly<Result>): string {
  return `${JSON.stringify({ summary: result.summary, results: result.results }, null, 2)}\n`;
}
