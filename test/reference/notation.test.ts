// Issue 23.2: verdict for verdict with the real notation. Signatures are made BY `notation sign`
// (JWS and COSE) with notation's own test certificates (`notation cert generate-test`) and with a
// certificate that has expired, then judged by `notation verify` and by this tool under the same
// trustpolicy.json (every level, overrides, a wrong trust store) and under Kyverno `type: Notary`.
// Each case runs on the tag schema (distribution) and on the referrers API (go-containerregistry).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { pushImage } from '../../src/testkit/oci-push.js';
import { makeCertificate } from '../../src/testkit/notation-signer.js';
import { bothRegistries, referenceTool, run, type TestRegistryLike } from '../helpers/reference.js';
import { repo, verify } from '../parity/fixture.js';
import { indent } from '../helpers/engine.js';

const notationTool = referenceTool('notation');
const craneTool = referenceTool('crane');
if ('skip' in notationTool || 'skip' in craneTool) {
  t.plan(0, 'skip' in notationTool ? notationTool.skip : (craneTool as { skip: string }).skip);
} else {
  await suite(notationTool.path, craneTool.path);
}

type Level = 'strict' | 'permissive' | 'audit' | 'skip';

async function suite(notation: string, crane: string): Promise<void> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'vi-notation-diff-'));
  const config = path.join(home, 'notation');
  const env = { HOME: home, XDG_CONFIG_HOME: home, NOTATION_EXPERIMENTAL: '' };
  const must = (args: string[]) => {
    const r = run(notation, args, { env });
    if (r.status !== 0) throw new Error(`notation ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  // notation's test certificate: a self-signed signing certificate, added to the trust store ca:good.
  must(['cert', 'generate-test', 'good']);
  const goodCert = readFileSync(path.join(config, 'localkeys', 'good.crt'), 'utf8');
  // Another trust store, holding a certificate nobody signs with.
  const stranger = await makeCertificate({ subject: 'C=US, ST=WA, O=Stranger, CN=stranger' });

  // notation 1.3 reads trustpolicy.oci.json, and trustpolicy.json when that is absent.
  const writeTrustPolicy = (policy: object) => writeFileSync(path.join(config, 'trustpolicy.json'), JSON.stringify(policy));
  const registries = await bothRegistries(crane);
  t.teardown(() => Promise.all(registries.map((r) => r.stop())));

  const trustPolicy = (host: string, level: Level, store: string, override?: Record<string, string>) => ({
    version: '1.0',
    trustPolicies: [
      {
        name: 'diff',
        registryScopes: [`${host}/diff/app`],
        signatureVerification: { level, ...(override && { override }) },
        ...(level === 'skip' ? {} : { trustStores: [store], trustedIdentities: ['*'] }),
      },
    ],
  });

  for (const reg of registries) {
    t.test(`on ${reg.flavour} (${reg.host})`, async (t) => {
      let n = 0;
      const signed = async (key: string | undefined, format: 'jws' | 'cose', expiry?: string) => {
        const digest = await pushImage(reg.host, 'diff/app', `${format}-${key ?? 'none'}-${n}`, { seed: `${reg.flavour}-${key}-${format}-${n++}` });
        const at = `${reg.host}/diff/app@${digest}`;
        if (key) {
          const r = run(notation, ['sign', '--insecure-registry', '--signature-format', format, '--key', key, ...(expiry ? ['--expiry', expiry] : []), at], { env });
          if (r.status !== 0) throw new Error(`notation sign: ${r.stderr}`);
        }
        return at;
      };
      const artifacts: [string, string][] = [];
      for (const format of ['jws', 'cose'] as const) {
        artifacts.push([`${format} by the test certificate`, await signed('good', format)]);
        artifacts.push([`${format} whose signature expired (--expiry 1s)`, await signed('good', format, '1s')]);
      }
      await new Promise((r) => setTimeout(r, 2000)); // let the 1 s signatures expire
      artifacts.push(['unsigned', await signed(undefined, 'jws')]);

      const policies: [string, Level, string, Record<string, string> | undefined][] = [
        ['strict, ca:good', 'strict', 'ca:good', undefined],
        ['permissive, ca:good', 'permissive', 'ca:good', undefined],
        ['audit, ca:good', 'audit', 'ca:good', undefined],
        ['skip', 'skip', '', undefined],
        ['strict, expiry logged', 'strict', 'ca:good', { expiry: 'log' }],
        ['strict, ca:stranger (wrong store)', 'strict', 'ca:stranger', undefined],
        // User-defined overrides of the level's actions.
        ['strict, authenticity logged, ca:stranger', 'strict', 'ca:stranger', { authenticity: 'log' }],
        ['permissive, expiry enforced', 'permissive', 'ca:good', { expiry: 'enforce' }],
        ['strict, revocation skipped', 'strict', 'ca:good', { revocation: 'skip' }],
        ['audit, authenticity enforced, ca:stranger', 'audit', 'ca:stranger', { authenticity: 'enforce' }],
      ];
      for (const [pname, level, store, override] of policies) {
        // notation reads the trust policy and stores from its own config directory.
        const policy = trustPolicy(reg.host, level, store, override);
        writeTrustPolicy(policy);
        mkdirSync(path.join(config, 'truststore', 'x509', 'ca', 'stranger'), { recursive: true });
        writeFileSync(path.join(config, 'truststore', 'x509', 'ca', 'stranger', 'stranger.crt'), stranger.pem);
        if (level === 'strict' && store === 'ca:good') writeFileSync(path.join(config, 'truststore', 'x509', 'ca', 'good', 'good.crt'), goodCert);
        for (const [aname, at] of artifacts) {
          const reference = run(notation, ['verify', '--insecure-registry', at], { env });
          // notation passes a signature whose failed check is only logged; this gate says `warn` for exactly that.
          const logsExpiry = override?.expiry ? override.expiry === 'log' : level === 'permissive' || level === 'audit';
          const logsAuthenticity = override?.authenticity ? override.authenticity === 'log' : level === 'audit';
          const logged = (aname.includes('expired') && logsExpiry) || (store === 'ca:stranger' && logsAuthenticity && aname !== 'unsigned');
          const expected = reference.status !== 0 ? 'fail' : logged ? 'warn' : 'pass';
          await t.test(`${aname} · ${pname}: notation says ${expected}`, async (t) => {
            const files: Record<string, string> = { 'policies/trustpolicy.json': JSON.stringify(policy, null, 2), 'pod.yaml': pod(at) };
            for (const s of ['good', 'stranger']) files[`policies/truststore/x509/ca/${s}/${s}.crt`] = s === 'good' ? goodCert : stranger.pem;
            const dir = await repo(t, files);
            const ours = await verify(dir, ['pod.yaml', '--policy', 'policies']);
            // Level skip: notation verify succeeds without checking; this gate says `skip` (not checked on purpose).
            const verdict = Object.values(ours.verdicts)[0] === 'skip' ? 'pass' : Object.values(ours.verdicts)[0];
            t.ok(verdict === expected, `${aname} under ${pname} (${reg.flavour}): notation ${expected}, ours ${verdict}\nnotation: ${(reference.stderr || reference.stdout).trim().split('\n').slice(-2).join(' ')}\nours: ${ours.stdout.slice(0, 500)}${ours.stderr}`);
          });
        }
      }
      // Kyverno type: Notary (strict, any identity, the certificate as a ca store) on the same artifacts.
      writeTrustPolicy(trustPolicy(reg.host, 'strict', 'ca:good'));
      for (const [aname, at] of artifacts) {
        const reference = run(notation, ['verify', '--insecure-registry', at], { env });
        const expected = reference.status === 0 ? 'pass' : 'fail';
        await t.test(`${aname} · Kyverno type: Notary: notation says ${expected}`, async (t) => {
          const dir = await repo(t, { 'p.yaml': kyvernoNotary(reg.host, goodCert), 'pod.yaml': pod(at) });
          const ours = await verify(dir, ['pod.yaml', '--policy', 'p.yaml']);
          t.equal(Object.values(ours.verdicts)[0], expected, `${aname}: notation ${expected}\nours: ${ours.stdout.slice(0, 500)}${ours.stderr}`);
        });
      }
      void cpSync;
    });
  }
}

const pod = (image: string) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: ${image}\n`;
const kyvernoNotary = (host: string, cert: string) => `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: notary}
spec:
  validationFailureAction: Enforce
  rules:
    - name: check
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - type: Notary
          imageReferences: ["${host}/*"]
          mutateDigest: false
          verifyDigest: false
          attestors:
            - entries:
                - certificates:
                    cert: |-
${indent(cert, 22)}
`;
