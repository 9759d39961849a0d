import type { Result } from '../engine/result.js';

/** The canonical result, whose shape other tools rely on. */
export function format(result: Readonly<Result>): string {
  return `${JSON.stringify({ summary: result.summary, results: result.results }, null, 2)}\n`;
}
