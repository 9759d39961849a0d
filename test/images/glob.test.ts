import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseAllDocuments } from 'yaml';
import { cipGlobMatch, compileCipGlob, GlobError, kyvernoGlobMatch, validateCipGlob } from '../../src/images/glob.js';
import { kyvernoName, parseReference } from '../../src/images/reference.js';

const D = `sha256:${'c'.repeat(64)}`;
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixtures = path.resolve(projectRoot, '../shared/fixtures');

t.test('kyvernoGlobMatch: go-wildcard semantics', async (t) => {
  const cases: [string, string, boolean][] = [
    ['*', 'anything/at/all:1', true],
    ['', '', true],
    ['', 'x', false],
    ['ghcr.io/org/*', 'ghcr.io/org/a/b:tag', true], // '*' crosses '/'
    ['ghcr.io/org/*', 'ghcr.io/other/a:1', false],
    ['ghcr.io/org/app:*', 'ghcr.io/org/app:v1', true],
    ['ghcr.io/org/app:*', `ghcr.io/org/app@${D}`, false],
    ['ghcr.io/org/app*', `ghcr.io/org/app@${D}`, true],
    ['ghcr.io/org/app', 'ghcr.io/org/app:latest', false], // anchored
    ['*/org/app:?', 'ghcr.io/org/app:1', true],
    ['*/org/app:?', 'ghcr.io/org/app:10', false],
    ['*/org/app:?', 'ghcr.io/org/app:', false], // '?' needs exactly one
    ['my-bucket?abc*', 'my-bucket/abc', true], // '?' matches '/'
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['*a*a*a*a*a*a*a*a*b', 'a'.repeat(60), false], // no exponential backtracking
    ['docker.io/*', kyvernoName(parseReference('nginx')), true],
    ['docker.io/library/*', kyvernoName(parseReference('nginx')), false], // Kyverno has no library/
    ['[a-z]*', '[a-z]x', true], // brackets are literal
    ['ü?', 'üß', true], // runes, not bytes
  ];
  for (const [pattern, name, want] of cases) t.equal(kyvernoGlobMatch(pattern, name), want, `${pattern} ~ ${name}`);
});

t.test('cipGlobMatch: policy-controller glob semantics', async (t) => {
  const cases: [string, string, boolean][] = [
    ['**', 'anything/at/all', true],
    ['index.docker.io/library/busybox:latest', 'busybox', true],
    ['index.docker.io/library/busybox:*', 'busybox:1.36', true],
    ['*', 'busybox', true], // legacy: index.docker.io/library/*
    ['*', 'ghcr.io/org/app', false],
    ['*/*', 'myuser/app', true], // legacy: index.docker.io/*/*
    ['*/*', 'busybox', true], // index.docker.io/library/busybox:latest
    ['ghcr.io/org/*', 'ghcr.io/org/app:v1', true], // '*' crosses ':'
    ['ghcr.io/org/*', 'ghcr.io/org/a/b', false], // '*' stops at '/'
    ['ghcr.io/org/**', 'ghcr.io/org/a/b:1', true],
    ['ghcr.io/org/app*', `ghcr.io/org/app@${D}`, true], // '*' crosses '@'
    ['ghcr.io/org/app:**', 'ghcr.io/org/app', true], // :latest added
    ['ghcr.io/org/app', 'ghcr.io/org/app', true], // raw fallback (Name() is …:latest)
    ['myuser/myapp', 'myuser/myapp', true], // raw fallback
    ['foo', 'foo', true],
    ['foo', 'foo:1', false],
    ['ghcr.io/org/app:v1', 'ghcr.io/org/app:v1-rc', false], // anchored
    ['ghcr.io.evil/*', 'ghcrXio.evil/x', false], // '.' is literal
    [`ghcr.io/org/app@${D}`, `ghcr.io/org/app:v1@${D}`, true], // Name() drops the tag
    ['ghcr.io/org/app:v1*', `ghcr.io/org/app:v1@${D}`, true], // … the raw fallback keeps it
    ['**demo**', 'ghcr.io/acme/demo-app:1', true],
    ['docker.io/kyverno/kyverno*', 'kyverno/kyverno:v1', false], // Name() says index.docker.io
    ['index.docker.io/kyverno/kyverno*', 'docker.io/kyverno/kyverno:v1', true],
  ];
  for (const [glob, image, want] of cases) t.equal(cipGlobMatch(glob, parseReference(image)), want, `${glob} ~ ${image}`);
});

t.test('invalid globs are rejected with GlobError (INVALID_GLOB)', async (t) => {
  for (const glob of ['[a-z]*', 'ghcr.io/app?', 'a b', '', 'ghcr.io/(x|y)', 'a+b', 'a$']) {
    t.throws(() => validateCipGlob(glob), { code: 'INVALID_GLOB' }, glob);
    try {
      validateCipGlob(glob);
    } catch (e) {
      t.ok(e instanceof GlobError);
    }
    t.throws(() => cipGlobMatch(glob, parseReference('nginx')), { code: 'INVALID_GLOB' });
  }
  for (const glob of ['**', '*', 'ghcr.io/a-b_c/*:**', `x@${D}`]) t.doesNotThrow(() => validateCipGlob(glob), glob);
  t.equal(compileCipGlob('ghcr.io/*'), compileCipGlob('ghcr.io/*'), 'compiled once');
});

function fixturesExist(): boolean {
  try {
    return statSync(path.join(fixtures, 'policies')).isDirectory();
  } catch {
    return false;
  }
}

const skipFixtures = !fixturesExist() && 'shared fixtures (../shared/fixtures/policies) not found';

t.test('every glob in the ClusterImagePolicy fixtures is valid', { skip: skipFixtures }, async (t) => {
  const globs: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(e.name)) {
        for (const doc of parseAllDocuments(readFileSync(full, 'utf8'))) {
          if (doc.errors.length) continue;
          const v = doc.toJS() as { kind?: string; spec?: { images?: { glob?: unknown }[] } } | null;
          if (v?.kind !== 'ClusterImagePolicy') continue;
          for (const img of v.spec?.images ?? []) if (typeof img.glob === 'string') globs.push(img.glob);
        }
      }
    }
  };
  walk(path.join(fixtures, 'policies'));
  t.ok(globs.length > 0, 'found CIP globs');
  for (const g of globs) t.doesNotThrow(() => validateCipGlob(g), g);
});
