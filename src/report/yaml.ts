import { yamlLib } from '../manifests/yaml-lib.js';
import type { Result } from '../engine/result.js';

/** The canonical result as YAML (same fields as -o json). */
export function format(result: Readonly<Result>): string {
  return yamlLib().stringify({ summary: result.summary, results: result.results }, { lineWidth: 0 });
}
