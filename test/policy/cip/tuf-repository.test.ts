import t, { type Test } from 'tap';
import { gzipSync } from 'node:zlib';
import { readMirror, TufRepositoryError, verifiedTarget } from '../../../src/policy/cip/tuf-repository.js';
import { loadPolicies } from '../../../src/policy/loaders.js';
import { PolicyError, type Requirement } from '../../../src/policy/model.js';
import { ecKey, lineOf } from '../helpers.js';
import { buildRepo, mirrorTarball, trustedRootJson, trustRootYaml, type RepoOptions } from './tuf-repo.js';

const TARGET = '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[]}';
const REQ = { targets: 'targets', target: 'trusted_root.json' };

function only<K extends Requirement['kind']>(r: Requirement, kind: K): Extract<Requirement, { kind: K }> {
  if (r.kind !== kind) throw new Error(`expected ${kind}, got ${r.kind}`);
  return r as Extract<Requirement, { kind: K }>;
}

/** The repository's files as read back from its tarball. */
function mirrored(t: Test, opts: RepoOptions): { root: Buffer; files: Map<string, Buffer>; tgz: Buffer } {
  const repo = buildRepo(opts);
  const tgz = mirrorTarball(t.testdir(), repo.files);
  return { root: repo.root, files: readMirror(tgz), tgz };
}

function refusal(t: Test, fn: () => unknown, code: string, message: RegExp): void {
  try {
    fn();
    t.fail(`expected ${code}`);
  } catch (err) {
    t.type(err, TufRepositoryError);
    t.equal((err as TufRepositoryError).code, code);
    t.match((err as Error).message, message);
  }
}

t.test('readMirror: regular files of the tar.gz, without the repository/ prefix', async (t) => {
  const { files } = mirrored(t, { target: TARGET });
  t.ok(files.has('timestamp.json'));
  t.ok(files.has('1.root.json'));
  t.ok([...files.keys()].some((k) => /^targets\/[0-9a-f]{64}\.trusted_root\.json$/.test(k)), 'targets keep their directory');
  t.notOk([...files.keys()].some((k) => k.startsWith('repository') || k.endsWith('/')), 'no prefix, no directories');
});

t.test('readMirror: refuses what is not a gzip-compressed tar', async (t) => {
  refusal(t, () => readMirror(Buffer.from('plain text')), 'MIRROR_UNREADABLE', /not a gzip/);
  refusal(t, () => readMirror(gzipSync(Buffer.alloc(1024, 7))), 'MIRROR_UNREADABLE', /not a readable tar\.gz/);
  const { tgz } = mirrored(t, { target: TARGET });
  refusal(t, () => readMirror(tgz.subarray(0, tgz.length - 40)), 'MIRROR_UNREADABLE', /not a readable tar\.gz/);
});

t.test('verifiedTarget: consistent snapshots (hash-prefixed targets, versioned metadata)', async (t) => {
  const { root, files } = mirrored(t, { target: TARGET });
  t.equal(verifiedTarget(files, root, REQ).toString(), TARGET);
});

t.test('verifiedTarget: plain names, another targets directory and target name', async (t) => {
  const { root, files } = mirrored(t, { target: TARGET, consistentSnapshot: false, targetsDir: 'blobs', targetName: 'custom/root.json' });
  t.equal(verifiedTarget(files, root, { targets: 'blobs', target: 'custom/root.json' }).toString(), TARGET);
  refusal(t, () => verifiedTarget(files, root, { targets: 'targets', target: 'custom/root.json' }), 'TUF_FILE_MISSING', /targets\/custom\/root\.json is missing/);
  refusal(t, () => verifiedTarget(files, root, REQ), 'TUF_FILE_MISSING', /target trusted_root\.json is not listed/);
});

t.test('verifiedTarget: follows root rotation (N+1.root.json) before trusting the timestamp key', async (t) => {
  const { root, files } = mirrored(t, { target: TARGET, rotateTimestampKey: true });
  t.equal(verifiedTarget(files, root, REQ).toString(), TARGET, 'the timestamp is signed by the key of 2.root.json');
  files.delete('2.root.json');
  refusal(t, () => verifiedTarget(files, root, REQ), 'TUF_VERIFY_FAILED', /at timestamp\.json: .*signed by 0\/1/);
});

t.test('verifiedTarget: finds the target in a delegated role', async (t) => {
  const { root, files } = mirrored(t, { target: TARGET, delegate: true });
  t.equal(verifiedTarget(files, root, REQ).toString(), TARGET);
});

t.test('verifiedTarget: a tampered target fails its hash check', async (t) => {
  const same = TARGET.replace('tlogs', 'tlogz'); // same length: the hash is what catches it
  const { root, files } = mirrored(t, { target: TARGET, servedTarget: same });
  refusal(t, () => verifiedTarget(files, root, REQ), 'TUF_VERIFY_FAILED', /at targets\/[0-9a-f]{64}\.trusted_root\.json: .*Expected hash/);
});

t.test('verifiedTarget: an expired timestamp fails', async (t) => {
  const { root, files } = mirrored(t, { target: TARGET, timestampExpires: new Date(Date.now() - 3600_000) });
  refusal(t, () => verifiedTarget(files, root, REQ), 'TUF_VERIFY_FAILED', /at timestamp\.json: ExpiredMetadataError: Final timestamp\.json is expired/);
});

t.test('verifiedTarget: metadata signed by a key the root does not trust fails', async (t) => {
  const { root, files } = mirrored(t, { target: TARGET, rogueTimestampKey: true });
  refusal(t, () => verifiedTarget(files, root, REQ), 'TUF_VERIFY_FAILED', /at timestamp\.json: .*timestamp was signed by 0\/1 keys/);
});

t.test('verifiedTarget: a root from another repository does not verify this one', async (t) => {
  const { files } = mirrored(t, { target: TARGET });
  const other = buildRepo({ target: TARGET }).root;
  refusal(t, () => verifiedTarget(files, other, REQ), 'TUF_VERIFY_FAILED', /at timestamp\.json/);
  refusal(t, () => verifiedTarget(files, Buffer.from('{"signed":{}}'), REQ), 'TUF_ROOT_INVALID', /the initial root/);
});

t.test('snapshot bytes that differ from the timestamp hash fail', async (t) => {
  const { root, files } = mirrored(t, { target: TARGET });
  const snap = files.get('1.snapshot.json')!;
  files.set('1.snapshot.json', Buffer.from(snap.toString().replace('"version": 1', '"version":  1')));
  refusal(t, () => verifiedTarget(files, root, REQ), 'TUF_VERIFY_FAILED', /at 1\.snapshot\.json/);
});

const CIP = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: cip
spec:
  images:
  - glob: "**"
  authorities:
  - keyless:
      trustRootRef: vendored
      identities: [{issuer: i, subject: s}]
    ctlog:
      trustRootRef: vendored
  - key:
      data: |
${ecKey(8)}
    ctlog:
      trustRootRef: vendored
`;

t.test('TrustRoot repository: the trusted root comes from the verified repository', async (t) => {
  const { json, rekorPem } = trustedRootJson();
  const repo = buildRepo({ target: json });
  const yaml = trustRootYaml('vendored', repo.root, mirrorTarball(t.testdir(), repo.files));
  const [policy] = loadPolicies([
    { file: 'cip.yaml', text: CIP },
    { file: 'trust.yaml', text: yaml },
  ]);
  const any = only(policy!.rules[0]!.requirement, 'any');
  t.equal(only(any.of[0]!, 'certificate').trustedRoot, json, 'keyless: the target text, as is');
  t.same(only(any.of[1]!, 'key').rekorPublicKeys, [rekorPem], 'key + ctlog: the Rekor keys of that trusted root');
});

t.test('TrustRoot repository: root given as JSON text, custom targets and trustedRootTarget', async (t) => {
  const { json } = trustedRootJson();
  const repo = buildRepo({ target: json, consistentSnapshot: false, targetsDir: 'files', targetName: 'sigstore/trusted.json' });
  const tgz = mirrorTarball(t.testdir(), repo.files);
  const yaml = `apiVersion: policy.sigstore.dev/v1alpha1
kind: TrustRoot
metadata:
  name: vendored
spec:
  repository:
    root: '${repo.root.toString().replace(/\n\s*/g, '')}'
    mirrorFS: ${tgz.toString('base64')}
    targets: files
    trustedRootTarget: sigstore/trusted.json
`;
  const [policy] = loadPolicies([
    { file: 'cip.yaml', text: CIP },
    { file: 'trust.yaml', text: yaml },
  ]);
  t.equal(only(only(policy!.rules[0]!.requirement, 'any').of[0]!, 'certificate').trustedRoot, json);
});

t.test('TrustRoot repository: failures are policy errors at the TrustRoot field', async (t) => {
  const { json } = trustedRootJson();
  const load = (yaml: string): unknown =>
    loadPolicies([
      { file: 'cip.yaml', text: CIP },
      { file: 'trust.yaml', text: yaml },
    ]);
  const expectError = (yaml: string, field: string, message: RegExp): void => {
    try {
      load(yaml);
      t.fail(`expected a PolicyError at ${field}`);
    } catch (err) {
      t.type(err, PolicyError);
      t.equal((err as PolicyError).code, 'POLICY_ERROR');
      t.same((err as PolicyError).source, { file: 'trust.yaml', line: lineOf(yaml, `${field}:`) });
      t.match((err as Error).message, message);
    }
  };
  const good = buildRepo({ target: json });
  const tgz = mirrorTarball(t.testdir(), good.files);

  expectError(trustRootYaml('vendored', good.root, tgz).replace(/mirrorFS: \S+/, 'mirrorFS: "not base64!"'), 'mirrorFS', /mirrorFS: must be base64/);
  expectError(trustRootYaml('vendored', good.root, Buffer.from('not a tarball')), 'mirrorFS', /not a gzip-compressed tar/);
  expectError(trustRootYaml('vendored', Buffer.from('{"signed":{}}'), tgz), 'root', /spec\.repository\.root: TUF verification failed at the initial root/);

  const tampered = buildRepo({ target: json, servedTarget: json.replace('rekor', 'rekoR') });
  expectError(trustRootYaml('vendored', tampered.root, mirrorTarball(t.testdir(), tampered.files)), 'mirrorFS', /Expected hash/);

  const expired = buildRepo({ target: json, timestampExpires: new Date(Date.now() - 1000) });
  expectError(trustRootYaml('vendored', expired.root, mirrorTarball(t.testdir(), expired.files)), 'mirrorFS', /timestamp\.json is expired/);

  const notRoot = buildRepo({ target: 'hello' });
  expectError(trustRootYaml('vendored', notRoot.root, mirrorTarball(t.testdir(), notRoot.files)), 'repository', /not a usable trusted root: trusted_root\.json: not valid JSON/);
});
