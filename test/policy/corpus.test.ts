// Every real policy in the shared corpus loads, or names what it does not support.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { keyLeaves } from '../../src/policy/evaluate.js';
import type { Requirement } from '../../src/policy/model.js';
import { fixturesDir, load } from './helpers.js';

const dir = path.join(fixturesDir, 'policies');

function unsupportedFields(r: Requirement): string[] {
  if (r.kind === 'unsupported') return [r.field];
  if (r.kind === 'all' || r.kind === 'any' || r.kind === 'count') return r.of.flatMap(unsupportedFields);
  return [];
}

function decisive(r: Requirement): boolean {
  return keyLeaves(r).length > 0 || unsupportedFields(r).length > 0 || JSON.stringify(r).includes('"static"');
}

if (!existsSync(dir)) {
  t.plan(0, 'shared policy corpus not found at ../shared/fixtures/policies (relative to the project root)');
} else {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  t.ok(files.length > 50, `corpus has files (${files.length})`);
  for (const file of files) {
    t.test(file, async (t) => {
      const policies = load(readFileSync(path.join(dir, file), 'utf8'), file);
      t.equal(policies.length, 1, 'one policy per upstream file');
      const rules = policies.flatMap((p) => p.rules);
      t.ok(rules.length > 0, 'has image rules');
      for (const rule of rules) {
        t.ok(rule.images.include.length > 0, `${rule.path}: names images`);
        t.ok(rule.line > 0, `${rule.path}: has a line`);
        // Never a silent pass: each rule verifies keys, says what it cannot do, or is an explicit static.
        t.ok(decisive(rule.requirement), `${rule.path}: decides or says why not`);
      }
    });
  }
  t.test('known unsupported features are named, not dropped', async (t) => {
    const fields = (f: string): string[] =>
      load(readFileSync(path.join(dir, f), 'utf8'), f).flatMap((p) => p.rules.flatMap((r) => unsupportedFields(r.requirement)));
    t.ok(fields('kyverno-policies/other_verify-image-gcpkms_verify-image-gcpkms.yaml').includes('keys.kms'));
    t.ok(fields('kyverno-docs/notary-00.yaml').includes('type: Notary'));
    t.ok(fields('kyverno-docs/image-validating-policy-11.yaml').includes('ImageValidatingPolicy'));
    t.ok(fields('policy-controller/cip-keyless.yaml').includes('keyless'));
    t.ok(fields('policy-controller/cip-include-spec.yaml').includes('policy'));
    t.same(fields('kyverno-policies/other_verify-image_verify-image.yaml'), [], 'a plain key policy is fully supported');
    t.same(fields('policy-controller/cip-key.yaml'), []);
  });
}
