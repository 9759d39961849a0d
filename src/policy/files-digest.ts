// What a set of policy files is, as one digest (a VSA's `policy.digest`): order-independent, each
// file's path and sha256 in the sha256sum format, sorted. Pure.

import { createHash } from 'node:crypto';

export function policyDigest(files: readonly { file: string; text: string }[]): string {
  const lines = files.map((f) => `${createHash('sha256').update(f.text).digest('hex')}  ${f.file}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
