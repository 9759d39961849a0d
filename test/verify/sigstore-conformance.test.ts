// Every sigstore-conformance bundle case ends as its name says: `_fail` cases
// fail, the rest pass (one test per case), verified offline.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { loadPublicKey } from '../../src/verify/keys.js';
import { sha256Of, verifySigstoreBundle } from '../../src/verify/sigstore-bundle.js';
import { sigstoreTrust } from '../../src/verify/sigstore-trust.js';
import { fixturesDir, SKIP_FIXTURES } from './fixtures/helpers.js';

const dir = path.join(fixturesDir, 'interop/sigstore-conformance');
const DEFAULT_IDENTITY = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

const read = (c: string, f: string) => (existsSync(path.join(dir, c, f)) ? readFileSync(path.join(dir, c, f)) : undefined);

if (!existsSync(dir)) {
  t.test('sigstore-conformance cases', { skip: SKIP_FIXTURES }, async () => {});
} else {
  const cases = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  t.ok(cases.length >= 70, `${cases.length} cases`);
  for (const name of cases) {
    t.test(name, async (t) => {
      const mustFail = name.endsWith('_fail');
      const bundleText = read(name, 'bundle.sigstore.json')!.toString('utf8');
      const artifact = read(name, 'artifact') ?? readFileSync(path.join(dir, 'a.txt'));
      const rootText = read(name, 'trusted_root.json')?.toString('utf8');
      const keyPem = read(name, 'key.pub')?.toString('utf8');
      let result;
      try {
        const trust = sigstoreTrust(rootText === undefined ? {} : { trustedRoot: rootText });
        let isDsse = false;
        try {
          isDsse = 'dsseEnvelope' in (JSON.parse(bundleText) as object);
        } catch {
          // malformed JSON: verifySigstoreBundle says so
        }
        result = verifySigstoreBundle({
          bundle: bundleText,
          ...(isDsse ? { subjectDigest: sha256Of(artifact) } : { artifact }),
          trust,
          signer: keyPem
            ? { kind: 'key', keys: [loadPublicKey(keyPem)], tlog: 'require' }
            : {
                kind: 'certificate',
                requirement: {
                  kind: 'certificate', path: 'conformance', line: 1, source: 'fulcio', sct: 'require', tlog: 'require', annotations: {},
                  identities: [{ subject: read(name, 'identity')?.toString('utf8').trim() ?? DEFAULT_IDENTITY, issuer: read(name, 'issuer')?.toString('utf8').trim() ?? DEFAULT_ISSUER, match: 'cip' }],
                },
              },
        });
      } catch (err) {
        result = { ok: false, reason: `threw: ${(err as Error).message}` };
      }
      t.equal(result.ok, !mustFail, `${mustFail ? 'fails' : 'passes'}: ${result.reason ?? result.signer}`);
    });
  }
}
