// Shared by the policy tests: load literal YAML, make real keys, find the shared fixtures.

import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicies } from '../../src/policy/loaders.js';
import { loadCel } from '../../src/policy/ivpol/cel-runtime.js';
import type { Policy } from '../../src/policy/model.js';

// The CEL engine loads lazily (prepareLoaders()); load() is synchronous, so load it up front.
await loadCel();

export function load(text: string, file = 'policy.yaml'): Policy[] {
  return loadPolicies([{ file, text }]);
}

/** A fresh P-256 public key as PEM, indented for a YAML block scalar. */
export function ecKey(indent = 0): string {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString().trim();
  return pem
    .split('\n')
    .map((l) => ' '.repeat(indent) + l)
    .join('\n');
}

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = path.resolve(projectRoot, '../shared/fixtures');

/** 1-based line of the first line containing `needle` (for asserting error positions). */
export function lineOf(text: string, needle: string, from = 0): number {
  const lines = text.split('\n');
  const i = lines.findIndex((l, n) => n >= from && l.includes(needle));
  if (i < 0) throw new Error(`test bug: ${needle} not in text`);
  return i + 1;
}
