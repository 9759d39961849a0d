// -o name, as kubectl's: one `image/<reference>` line per image, as written in
// the manifests, in result order; the verdict is in the exit code only.

import type { Result } from '../engine/result.js';

export function format(result: Readonly<Result>): string {
  return result.results.map((r) => `image/${r.image}\n`).join('');
}
