import t from 'tap';
import { thrown } from '../helpers/errors.js';
import {
  canonicalName,
  cipName,
  kyvernoName,
  parseReference,
  ReferenceError,
  registryHost,
  repositoryName,
  withDigest,
} from '../../src/images/reference.js';

const H = 'a'.repeat(64);
const D = `sha256:${H}`;
const D512 = `sha512:${'b'.repeat(128)}`;

t.test('valid references parse into registry / repository / tag / digest', async (t) => {
  const cases: [string, { registry: string; repository: string; tag?: string; digest?: string }][] = [
    ['nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['nginx:1.25', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25' }],
    ['library/nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['myuser/app:v1', { registry: 'docker.io', repository: 'myuser/app', tag: 'v1' }],
    ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['index.docker.io/nginx:1', { registry: 'docker.io', repository: 'library/nginx', tag: '1' }],
    ['index.docker.io/org/app', { registry: 'docker.io', repository: 'org/app' }],
    ['ghcr.io/acme/web:1.4', { registry: 'ghcr.io', repository: 'acme/web', tag: '1.4' }],
    ['ghcr.io/web', { registry: 'ghcr.io', repository: 'web' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['localhost:5000/a/b/c:dev', { registry: 'localhost:5000', repository: 'a/b/c', tag: 'dev' }],
    ['127.0.0.1:5000/app', { registry: '127.0.0.1:5000', repository: 'app' }],
    ['[::1]:5000/app:t', { registry: '[::1]:5000', repository: 'app', tag: 't' }],
    ['[fe80::1]/app', { registry: '[fe80::1]', repository: 'app' }],
    ['Registry.Example.COM/app', { registry: 'Registry.Example.COM', repository: 'app' }],
    ['quay.io/a_b/c__d/e-f--g.h', { registry: 'quay.io', repository: 'a_b/c__d/e-f--g.h' }],
    [`ghcr.io/acme/web@${D}`, { registry: 'ghcr.io', repository: 'acme/web', digest: D }],
    [`ghcr.io/acme/web:1.4@${D}`, { registry: 'ghcr.io', repository: 'acme/web', tag: '1.4', digest: D }],
    [`nginx@${D512}`, { registry: 'docker.io', repository: 'library/nginx', digest: D512 }],
    ['app:_Tag.With-Mixed_9', { registry: 'docker.io', repository: 'library/app', tag: '_Tag.With-Mixed_9' }],
  ];
  for (const [raw, want] of cases) {
    const ref = parseReference(raw);
    t.same({ ...ref }, { raw, ...want }, raw);
  }
});

t.test('invalid references throw ReferenceError (INVALID_REFERENCE)', async (t) => {
  const bad = [
    '',
    ' nginx',
    'Nginx',
    'ghcr.io/Acme/web',
    'ghcr.io/acme/web:',
    'ghcr.io/acme/web:-bad',
    `ghcr.io/acme/web:${'t'.repeat(129)}`,
    'ghcr.io/acme/web@sha256:abc',
    `ghcr.io/acme/web@sha256:${'A'.repeat(64)}`,
    `ghcr.io/acme/web@sha256:${'a'.repeat(63)}`,
    `ghcr.io/acme/web@md5:${'a'.repeat(32)}`,
    `ghcr.io/acme/web@${D}@${D}`,
    'ghcr.io//web',
    'ghcr.io/acme/web/',
    '/web',
    'web-',
    '-host.io/web',
    'a..b',
    'http://ghcr.io/acme/web',
    H,
    `ghcr.io/${'a'.repeat(250)}`,
    ':tag',
  ];
  for (const raw of bad) {
    t.throws(() => parseReference(raw), { code: 'INVALID_REFERENCE' }, JSON.stringify(raw));
    t.ok(thrown(() => parseReference(raw)) instanceof ReferenceError, 'is a ReferenceError');
  }
  t.ok(parseReference(`ghcr.io/${'a'.repeat(247)}`), 'exactly 255 characters is allowed');
});

t.test('kyvernoName follows Kyverno ImageInfo.String()', async (t) => {
  const cases: [string, string][] = [
    // Kyverno adds the default registry but no library/ (pkg/utils/image/infos_test.go).
    ['nginx', 'docker.io/nginx:latest'],
    ['nginx:v10.3', 'docker.io/nginx:v10.3'],
    ['test/nginx', 'docker.io/test/nginx:latest'],
    ['docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['index.docker.io/nginx', 'index.docker.io/nginx:latest'],
    ['localhost:4443/test/nginx', 'localhost:4443/test/nginx:latest'],
    ['localhost/netd:v0.4.4-gke.0', 'localhost/netd:v0.4.4-gke.0'],
    [`docker.io/test/centos@${D}`, `docker.io/test/centos@${D}`],
    [`ghcr.io/acme/web:1.4@${D}`, `ghcr.io/acme/web@${D}`],
  ];
  for (const [raw, want] of cases) t.equal(kyvernoName(parseReference(raw)), want, raw);
});

t.test('cipName follows go-containerregistry Name()', async (t) => {
  const cases: [string, string][] = [
    ['busybox', 'index.docker.io/library/busybox:latest'],
    ['docker.io/busybox:1', 'index.docker.io/library/busybox:1'],
    ['index.docker.io/myuser/app', 'index.docker.io/myuser/app:latest'],
    ['ghcr.io/acme/web:1.4', 'ghcr.io/acme/web:1.4'],
    ['ghcr.io/web', 'ghcr.io/web:latest'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    // ggcr only takes a first component with '.' or ':' as a registry.
    ['localhost/app', 'index.docker.io/localhost/app:latest'],
    [`ghcr.io/acme/web@${D}`, `ghcr.io/acme/web@${D}`],
    // name:tag@digest parses as a Digest whose Name() drops the tag.
    [`nginx:1.25@${D}`, `index.docker.io/library/nginx@${D}`],
  ];
  for (const [raw, want] of cases) t.equal(cipName(parseReference(raw)), want, raw);
});

t.test('registry host, repository name, canonical name, withDigest', async (t) => {
  t.equal(registryHost(parseReference('nginx')), 'registry-1.docker.io');
  t.equal(registryHost(parseReference('index.docker.io/x/y')), 'registry-1.docker.io');
  t.equal(registryHost(parseReference('localhost:5000/x')), 'localhost:5000');
  t.equal(repositoryName(parseReference('nginx:1')), 'docker.io/library/nginx');
  t.equal(repositoryName(parseReference('index.docker.io/library/nginx')), 'docker.io/library/nginx');
  t.equal(canonicalName(parseReference('nginx')), 'docker.io/library/nginx');
  t.equal(canonicalName(parseReference(`ghcr.io/a/b:1@${D}`)), `ghcr.io/a/b:1@${D}`);

  const pinned = withDigest(parseReference('ghcr.io/a/b:1'), D);
  t.same({ ...pinned }, { raw: `ghcr.io/a/b:1@${D}`, registry: 'ghcr.io', repository: 'a/b', tag: '1', digest: D });
  const repinned = withDigest(parseReference(`nginx:1@${D}`), D512);
  t.equal(repinned.raw, `nginx:1@${D512}`);
  t.throws(() => withDigest(parseReference('nginx'), 'sha256:short'), { code: 'INVALID_REFERENCE' });
});

t.test('names derive from the fields when raw is not a reference (hand-built refs)', async (t) => {
  const ref = { raw: 'not a ref', registry: 'ghcr.io', repository: 'a/b', tag: '2' };
  t.equal(kyvernoName(ref), 'ghcr.io/a/b:2');
  t.equal(cipName(ref), 'ghcr.io/a/b:2');
});
