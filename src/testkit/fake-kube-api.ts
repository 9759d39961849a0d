// Test-only FAKE Kubernetes API server: no real API server runs here, so tests of
// everything that talks to a cluster (k8s:// keys, live-cluster audit) point
// @kubernetes/client-node or kubectl at this in-memory stand-in. Generic over
// resources: any `/api/v1/...` or `/apis/<group>/<version>/...` path works, with
// a built-in table of the kinds this project reads (plus any kind seeded or
// created). HTTPS with a throwaway self-signed certificate by default, because
// kubectl (client-go) never sends a bearer token over plain HTTP; `tls: false`
// serves plain HTTP (the kubeconfig then sets `insecure-skip-tls-verify`, which
// client-node requires for `http:` servers). Never used by the CLI.
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { webcrypto } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/** Any Kubernetes object: `apiVersion`, `kind`, `metadata.name` (+ `namespace`) are required. */
export type KubeObject = Record<string, any>;

export interface FakeKubeRequest {
  method: string;
  /** URL path without the query string. */
  path: string;
  /** Raw query string without `?` ('' when none). */
  query: string;
  /** Parsed JSON body (POST/PUT/PATCH). */
  body?: unknown;
}

export interface StartFakeKubeApiOptions {
  /** Objects present at start (deep-copied). */
  objects?: object[];
  /** Bearer token required on every request (401 otherwise). No auth when unset. */
  token?: string;
  /** Default namespace of the kubeconfig's 'fake' context ('default'). */
  namespace?: string;
  /** HTTPS with a self-signed certificate (default true); false: plain HTTP. */
  tls?: boolean;
  /** Extra resource types: `{ group: '' | 'apps' | ..., version, kind, plural, namespaced }`. */
  resources?: FakeResourceType[];
}

export interface FakeKubeApi {
  /** `https://127.0.0.1:PORT` (`http://` with `tls: false`). */
  url: string;
  /** PEM CA certificate of the server (HTTPS only), e.g. for undici `new Agent({ connect: { ca } })`. */
  ca?: string;
  /** Path of a temp kubeconfig: cluster/user/context all named 'fake', current-context 'fake'. */
  kubeconfig: string;
  /** Deep copies of the objects currently stored. */
  objects(): KubeObject[];
  /** Every request served, in order (including rejected ones). */
  requests(): FakeKubeRequest[];
  /** Store more objects (replacing same apiVersion/kind/namespace/name). */
  add(...objects: object[]): void;
  stop(): Promise<void>;
}

export interface FakeResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const BUILTIN: FakeResourceType[] = [
  ...[
    ['Pod', 'pods', true],
    ['Secret', 'secrets', true],
    ['ConfigMap', 'configmaps', true],
    ['ServiceAccount', 'serviceaccounts', true],
    ['Service', 'services', true],
    ['Event', 'events', true],
    ['ReplicationController', 'replicationcontrollers', true],
    ['Namespace', 'namespaces', false],
    ['Node', 'nodes', false],
  ].map(([kind, plural, namespaced]) => ({ group: '', version: 'v1', kind, plural, namespaced }) as FakeResourceType),
  ...[
    ['Deployment', 'deployments'],
    ['StatefulSet', 'statefulsets'],
    ['DaemonSet', 'daemonsets'],
    ['ReplicaSet', 'replicasets'],
  ].map(([kind, plural]) => ({ group: 'apps', version: 'v1', kind, plural, namespaced: true }) as FakeResourceType),
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true },
  { group: 'batch', version: 'v1', kind: 'CronJob', plural: 'cronjobs', namespaced: true },
  { group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  { group: 'kyverno.io', version: 'v1', kind: 'ClusterPolicy', plural: 'clusterpolicies', namespaced: false },
  { group: 'kyverno.io', version: 'v1', kind: 'Policy', plural: 'policies', namespaced: true },
  ...['v1alpha1', 'v1beta1'].flatMap((version) => [
    { group: 'policy.sigstore.dev', version, kind: 'ClusterImagePolicy', plural: 'clusterimagepolicies', namespaced: false },
    { group: 'policy.sigstore.dev', version, kind: 'TrustRoot', plural: 'trustroots', namespaced: false },
  ]),
];

const SUBRESOURCES_AS_SELF = new Set(['status']);

export async function startFakeKubeApi(opts: StartFakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const types = new ResourceTypes([...BUILTIN, ...(opts.resources ?? [])]);
  const store = new Map<string, KubeObject>();
  const log: FakeKubeRequest[] = [];
  let resourceVersion = 1;

  const stamp = (obj: KubeObject): KubeObject => {
    obj.metadata ??= {};
    obj.metadata.uid ??= randomUUID();
    obj.metadata.creationTimestamp ??= new Date().toISOString();
    obj.metadata.resourceVersion = String(++resourceVersion);
    return obj;
  };
  const put = (obj: KubeObject) => {
    const type = types.forObject(obj);
    store.set(keyOf(type, obj.metadata?.namespace, obj.metadata.name), stamp(obj));
  };
  const add = (...objects: object[]) => {
    for (const o of objects) {
      const obj = structuredClone(o) as KubeObject;
      if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) throw new Error('fake kube api: objects need apiVersion, kind and metadata.name');
      put(obj);
    }
  };
  add(...(opts.objects ?? []));

  const listener: RequestListener = (req, res) => {
    readBody(req)
      .then((raw) => {
        const url = new URL(req.url ?? '/', 'http://fake');
        let body: unknown;
        if (raw.length > 0) {
          try {
            body = JSON.parse(raw);
          } catch {
            log.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1) });
            return sendStatus(res, 400, 'BadRequest', 'request body is not JSON');
          }
        }
        log.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), ...(body === undefined ? {} : { body }) });
        if (opts.token !== undefined && req.headers.authorization !== `Bearer ${opts.token}`) {
          return sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
        }
        handle(req, res, url, body);
      })
      .catch((err) => sendStatus(res, 500, 'InternalError', String(err)));
  };
  const tls = opts.tls === false ? undefined : await selfSignedCertificate();
  const server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, listener) : createHttpServer(listener);

  function handle(req: IncomingMessage, res: ServerResponse, url: URL, body: unknown): void {
    const method = req.method ?? 'GET';
    const discovery = discoveryDoc(url.pathname, types);
    if (discovery) return method === 'GET' ? send(res, 200, discovery) : sendStatus(res, 405, 'MethodNotAllowed', 'method not allowed');
    const target = parsePath(url.pathname, types, method);
    if (!target) return sendStatus(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    const { type, namespace, name, subresource } = target;
    if (subresource && !SUBRESOURCES_AS_SELF.has(subresource)) {
      return sendStatus(res, 404, 'NotFound', `subresource ${subresource} is not served by the fake`);
    }
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      return sendStatus(res, 405, 'MethodNotAllowed', 'watch is not served by the fake');
    }
    const notFound = () =>
      sendStatus(res, 404, 'NotFound', `${type.plural}${type.group ? `.${type.group}` : ''} "${name}" not found`, { name, group: type.group, kind: type.plural });

    if (name === undefined) {
      if (method === 'GET' || method === 'DELETE') {
        const items = select(store, type, namespace, url.searchParams);
        if (method === 'DELETE') for (const item of items) store.delete(keyOf(type, item.metadata?.namespace, item.metadata.name));
        return send(res, 200, {
          kind: `${type.kind}List`,
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion: String(resourceVersion) },
          items,
        });
      }
      if (method === 'POST') {
        if (!isObject(body)) return sendStatus(res, 400, 'BadRequest', 'body must be an object');
        const obj = structuredClone(body) as KubeObject;
        obj.apiVersion ??= apiVersionOf(type);
        obj.kind ??= type.kind;
        obj.metadata ??= {};
        if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + randomUUID().slice(0, 5);
        if (!obj.metadata.name) return sendStatus(res, 422, 'Invalid', 'metadata.name: Required value');
        if (type.namespaced) obj.metadata.namespace = namespace ?? obj.metadata.namespace ?? 'default';
        const key = keyOf(type, obj.metadata.namespace, obj.metadata.name);
        if (store.has(key)) {
          return sendStatus(res, 409, 'AlreadyExists', `${type.plural} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, kind: type.plural });
        }
        store.set(key, stamp(obj));
        return send(res, 201, obj);
      }
      return sendStatus(res, 405, 'MethodNotAllowed', 'method not allowed');
    }

    const key = keyOf(type, namespace, name);
    const current = store.get(key);
    switch (method) {
      case 'GET':
        return current ? send(res, 200, current) : notFound();
      case 'DELETE':
        if (!current) return notFound();
        store.delete(key);
        return send(res, 200, current);
      case 'PUT': {
        if (!current) return notFound();
        if (!isObject(body)) return sendStatus(res, 400, 'BadRequest', 'body must be an object');
        const next = structuredClone(body) as KubeObject;
        next.metadata = { ...next.metadata, name, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp };
        if (type.namespaced) next.metadata.namespace = namespace;
        store.set(key, stamp(next));
        return send(res, 200, next);
      }
      case 'PATCH': {
        if (!current) return notFound();
        const contentType = String(req.headers['content-type'] ?? '').split(';')[0]!.trim();
        let next: unknown;
        try {
          next = contentType === 'application/json-patch+json' ? jsonPatch(current, body) : mergePatch(current, body);
        } catch (err) {
          return sendStatus(res, 422, 'Invalid', (err as Error).message);
        }
        if (!isObject(next)) return sendStatus(res, 422, 'Invalid', 'patch result is not an object');
        const obj = next as KubeObject;
        obj.metadata = { ...obj.metadata, name, uid: current.metadata.uid };
        if (type.namespaced) obj.metadata.namespace = namespace;
        store.set(key, stamp(obj));
        return send(res, 200, obj);
      }
      default:
        return sendStatus(res, 405, 'MethodNotAllowed', 'method not allowed');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'kvi-fake-kube-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, kubeconfigText(url, tls?.cert, opts.token, opts.namespace ?? 'default'), { mode: 0o600 });

  return {
    url,
    ...(tls ? { ca: tls.cert } : {}),
    kubeconfig,
    objects: () => [...store.values()].map((o) => structuredClone(o)),
    requests: () => log.map((r) => structuredClone(r)),
    add,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** ECDSA P-256 self-signed certificate for 127.0.0.1/localhost, valid one day. */
async function selfSignedCertificate(): Promise<{ key: string; cert: string }> {
  // @peculiar/x509 2 resolves its services with tsyringe, which needs the Reflect metadata polyfill first.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomUUID().replace(/-/g, '').slice(0, 16),
      name: 'CN=fake-kube-api',
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + 86_400_000),
      keys,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'dns', value: 'localhost' },
        ]),
      ],
    },
    webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { key, cert: cert.toString('pem') + '\n' };
}

function kubeconfigText(url: string, caPem: string | undefined, token: string | undefined, namespace: string): string {
  const user = token === undefined ? '{}' : `\n    token: ${JSON.stringify(token)}`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${url}`,
    caPem ? `    certificate-authority-data: ${Buffer.from(caPem).toString('base64')}` : '    insecure-skip-tls-verify: true',
    'users:',
    '- name: fake',
    `  user: ${user}`,
    'contexts:',
    '- name: fake',
    '  context:',
    '    cluster: fake',
    '    user: fake',
    `    namespace: ${namespace}`,
    'current-context: fake',
    '',
  ].join('\n');
}

class ResourceTypes {
  private readonly list: FakeResourceType[];
  constructor(initial: FakeResourceType[]) {
    this.list = [...initial];
  }
  all(): FakeResourceType[] {
    return this.list;
  }
  byPlural(group: string, version: string, plural: string): FakeResourceType | undefined {
    return this.list.find((t) => t.group === group && t.version === version && t.plural === plural);
  }
  /** The type of an object, registering an unknown kind (plural guessed the way Kubernetes names them). */
  forObject(obj: KubeObject): FakeResourceType {
    const [group, version] = splitApiVersion(String(obj.apiVersion));
    const found = this.list.find((t) => t.group === group && t.version === version && t.kind === obj.kind);
    if (found) return found;
    const type = { group, version, kind: String(obj.kind), plural: guessPlural(String(obj.kind)), namespaced: obj.metadata?.namespace !== undefined };
    this.list.push(type);
    return type;
  }
  /** Unknown plural under a path: registered so that POST of a new kind works. */
  forPath(group: string, version: string, plural: string, namespaced: boolean): FakeResourceType {
    const found = this.byPlural(group, version, plural);
    if (found) return found;
    const kind = plural.replace(/ies$/, 'y').replace(/(ses|xes)$/, (m) => m.slice(0, -2)).replace(/s$/, '');
    const type = { group, version, kind: kind.charAt(0).toUpperCase() + kind.slice(1), plural, namespaced };
    this.list.push(type);
    return type;
  }
  groupVersions(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const t of this.list) {
      if (!t.group) continue;
      const versions = groups.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      groups.set(t.group, versions);
    }
    return groups;
  }
}

function guessPlural(kind: string): string {
  const lower = kind.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return lower.slice(0, -1) + 'ies';
  if (/(s|x|ch|sh)$/.test(lower)) return lower + 'es';
  return lower + 's';
}

function splitApiVersion(apiVersion: string): [string, string] {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

function apiVersionOf(type: FakeResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

function keyOf(type: FakeResourceType, namespace: string | undefined, name: string): string {
  return [type.group, type.version, type.plural, type.namespaced ? (namespace ?? '') : '', name].join('|');
}

interface Target {
  type: FakeResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** `/api/v1/...` or `/apis/<g>/<v>/...` → resource type, namespace, name, subresource. */
function parsePath(pathname: string, types: ResourceTypes, method: string): Target | undefined {
  const segs = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    [group, version, rest] = ['', segs[1]!, segs.slice(2)];
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    [group, version, rest] = [segs[1]!, segs[2]!, segs.slice(3)];
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  // `namespaces/<ns>/<plural>...` is a namespaced resource; `namespaces/<name>[/status]` is a Namespace.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(group === '' && SUBRESOURCES_AS_SELF.has(rest[2]!) && rest.length === 3)) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const [plural, name, subresource] = rest as [string, string | undefined, string | undefined];
  const known = types.byPlural(group, version, plural);
  // Unknown kinds are only invented by a create (POST to the collection).
  if (!known && !(method === 'POST' && name === undefined)) return undefined;
  const type = known ?? types.forPath(group, version, plural, namespace !== undefined);
  if (type.namespaced === false && namespace !== undefined) return undefined;
  return { type, namespace, name, subresource };
}

function discoveryDoc(pathname: string, types: ResourceTypes): object | undefined {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/version') {
    return { major: '1', minor: '31', gitVersion: 'v1.31.0-fake', gitCommit: 'fake', platform: 'linux/amd64', goVersion: 'go1.22.0', compiler: 'gc', buildDate: '2026-01-01T00:00:00Z' };
  }
  if (path === '/api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  }
  if (path === '/apis') {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...types.groupVersions()].map(([name, versions]) => groupDoc(name, versions)),
    };
  }
  const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
  if (groupMatch) {
    const versions = types.groupVersions().get(groupMatch[1]!);
    return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(groupMatch[1]!, versions) } : undefined;
  }
  const gv = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
  if (gv) {
    const [group, version] = splitApiVersion(gv[1]!);
    const resources = types.all().filter((t) => t.group === group && t.version === version);
    if (resources.length === 0) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv[1],
      resources: resources.flatMap((t) => [
        {
          name: t.plural,
          singularName: t.kind.toLowerCase(),
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update'],
        },
        { name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] },
      ]),
    };
  }
  return undefined;
}

function groupDoc(name: string, versions: string[]) {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  // Preferred: the last listed (v1beta1 over v1alpha1 for policy.sigstore.dev).
  return { name, versions: list, preferredVersion: list[list.length - 1] };
}

function select(store: Map<string, KubeObject>, type: FakeResourceType, namespace: string | undefined, params: URLSearchParams): KubeObject[] {
  const labels = parseLabelSelector(params.get('labelSelector') ?? '');
  const fields = parseFieldSelector(params.get('fieldSelector') ?? '');
  const out: KubeObject[] = [];
  for (const obj of store.values()) {
    if (`${obj.apiVersion}/${obj.kind}` !== `${apiVersionOf(type)}/${type.kind}`) continue;
    if (namespace !== undefined && obj.metadata?.namespace !== namespace) continue;
    if (!labels(obj.metadata?.labels ?? {})) continue;
    if (!fields(obj)) continue;
    out.push(obj);
  }
  return out.sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
}

/** Kubernetes label selector syntax: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`. */
export function parseLabelSelector(selector: string): (labels: Record<string, string>) => boolean {
  const terms = selector.match(/(?:[^,(]|\([^)]*\))+/g) ?? [];
  const tests = terms
    .map((t) => t.trim())
    .filter(Boolean)
    .map((term): ((l: Record<string, string>) => boolean) => {
      let m: RegExpExecArray | null;
      if ((m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
        const [, key, op, list] = m;
        const values = list!.split(',').map((v) => v.trim());
        return op === 'in' ? (l) => key! in l && values.includes(l[key!]!) : (l) => !(key! in l) || !values.includes(l[key!]!);
      }
      if ((m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term))) {
        const [, key, op, value] = m;
        return op === '!=' ? (l) => l[key!] !== value : (l) => l[key!] === value;
      }
      if ((m = /^!\s*(\S+)$/.exec(term))) return (l) => !(m![1]! in l);
      return (l) => term in l;
    });
  return (labels) => tests.every((t) => t(labels));
}

/** Field selectors on dotted paths with `=`, `==`, `!=` (enough for metadata.name/namespace, spec.nodeName...). */
function parseFieldSelector(selector: string): (obj: KubeObject) => boolean {
  const tests = selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((term) => {
      const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(term);
      if (!m) return () => false;
      const [, path, op, value] = m;
      const get = (obj: KubeObject) => String(path!.split('.').reduce<any>((o, k) => (o == null ? undefined : o[k]), obj) ?? '');
      return op === '!=' ? (o: KubeObject) => get(o) !== value : (o: KubeObject) => get(o) === value;
    });
  return (obj) => tests.every((t) => t(obj));
}

/** RFC 7386 JSON merge patch (strategic merge patches are treated the same by the fake). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch: add, remove, replace, test (client-node's default patch type). */
function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new Error('json patch must be an array');
  let doc = structuredClone(target);
  for (const op of ops as { op: string; path: string; value?: unknown }[]) {
    const tokens = op.path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (tokens.length === 0) {
      if (op.op === 'add' || op.op === 'replace') doc = structuredClone(op.value);
      else throw new Error(`unsupported json patch op on root: ${op.op}`);
      continue;
    }
    const last = tokens.pop()!;
    let parent: any = doc;
    for (const t of tokens) {
      parent = parent?.[Array.isArray(parent) && t === '-' ? parent.length : t];
      if (parent === undefined || parent === null) throw new Error(`json patch path not found: ${op.path}`);
    }
    const isArr = Array.isArray(parent);
    const index = isArr ? (last === '-' ? parent.length : Number(last)) : last;
    switch (op.op) {
      case 'add':
        if (isArr) parent.splice(index, 0, structuredClone(op.value));
        else parent[index] = structuredClone(op.value);
        break;
      case 'replace':
        if (!(index in parent)) throw new Error(`json patch path not found: ${op.path}`);
        parent[index] = structuredClone(op.value);
        break;
      case 'remove':
        if (!(index in parent)) throw new Error(`json patch path not found: ${op.path}`);
        if (isArr) parent.splice(index, 1);
        else delete parent[index];
        break;
      case 'test':
        if (JSON.stringify(parent[index]) !== JSON.stringify(op.value)) throw new Error(`json patch test failed at ${op.path}`);
        break;
      default:
        throw new Error(`unsupported json patch op: ${op.op}`);
    }
  }
  return doc;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string, details?: object): void {
  send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}
