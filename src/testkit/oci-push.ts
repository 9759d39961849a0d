// Test/demo/bench tooling: push OCI content to a registry over plain HTTP
// (monolithic blob upload POST+PUT, manifest PUT). Never used by the CLI.
import { createHash, randomBytes } from 'node:crypto';

export interface PushAuth {
  username: string;
  password: string;
}

export interface PushOptions {
  auth?: PushAuth;
}

export interface PushedDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** `127.0.0.1:5000` or `http://127.0.0.1:5000` → base URL. */
export function registryUrl(registry: string): string {
  return (registry.includes('://') ? registry : `http://${registry}`).replace(/\/+$/, '');
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function headers(opts: PushOptions, extra: Record<string, string> = {}): Record<string, string> {
  const h = { ...extra };
  if (opts.auth) h['authorization'] = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`;
  return h;
}

async function expectStatus(res: Response, wanted: number[], what: string): Promise<void> {
  if (!wanted.includes(res.status)) {
    const body = (await res.text()).slice(0, 500);
    throw new Error(`${what}: HTTP ${res.status} ${body}`);
  }
}

/** Monolithic upload: POST to open a session, PUT the bytes with `?digest=`. Returns the digest. */
export async function pushBlob(registry: string, repo: string, bytes: Uint8Array, opts: PushOptions = {}): Promise<string> {
  const base = registryUrl(registry);
  const digest = sha256Digest(bytes);
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: headers(opts) });
  await expectStatus(start, [202], `start upload to ${repo}`);
  await start.arrayBuffer();
  const location = new URL(start.headers.get('location') ?? '', base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: headers(opts, { 'content-type': 'application/octet-stream' }),
    body: bytes,
  });
  await expectStatus(put, [201], `upload blob to ${repo}`);
  await put.arrayBuffer();
  return digest;
}

/** PUTs manifest bytes under `reference` (tag or digest); returns the manifest digest. */
export async function pushManifest(
  registry: string,
  repo: string,
  reference: string,
  manifest: Uint8Array | string | object,
  mediaType = OCI_MANIFEST,
  opts: PushOptions = {},
): Promise<string> {
  const bytes =
    manifest instanceof Uint8Array ? manifest : Buffer.from(typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  const res = await fetch(`${registryUrl(registry)}/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: headers(opts, { 'content-type': mediaType }),
    body: bytes,
  });
  await expectStatus(res, [201], `push manifest ${repo}:${reference}`);
  await res.arrayBuffer();
  return sha256Digest(bytes);
}

/** GETs a manifest by tag or digest (null on 404) with its raw bytes. */
export async function getManifest(
  registry: string,
  repo: string,
  reference: string,
  opts: PushOptions = {},
): Promise<{ bytes: Uint8Array; json: Record<string, unknown>; mediaType: string } | null> {
  const res = await fetch(`${registryUrl(registry)}/v2/${repo}/manifests/${reference}`, {
    headers: headers(opts, { accept: [OCI_MANIFEST, OCI_INDEX].join(', ') }),
  });
  if (res.status === 404) {
    await res.arrayBuffer();
    return null;
  }
  await expectStatus(res, [200], `get manifest ${repo}:${reference}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { bytes, json: JSON.parse(Buffer.from(bytes).toString('utf8')), mediaType: res.headers.get('content-type') ?? OCI_MANIFEST };
}

/** Deterministic bytes from a seed (so a seed names one image), random without one. */
function contentFor(seed: string | undefined, label: string, size: number): Buffer {
  if (seed === undefined) return randomBytes(size);
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < size; i++) out.push(createHash('sha256').update(`${seed}/${label}/${i}`).digest());
  return Buffer.concat(out).subarray(0, size);
}

export interface ImageOptions extends PushOptions {
  seed?: string;
  architecture?: string;
  os?: string;
}

/** Pushes config + one layer + manifest; returns the manifest descriptor. */
export async function pushImageDescriptor(registry: string, repo: string, tag: string | undefined, opts: ImageOptions = {}): Promise<PushedDescriptor> {
  const architecture = opts.architecture ?? 'amd64';
  const os = opts.os ?? 'linux';
  const layer = contentFor(opts.seed, `layer-${architecture}`, 256);
  const config = Buffer.from(
    JSON.stringify({ architecture, os, rootfs: { type: 'layers', diff_ids: [sha256Digest(layer)] }, config: {} }),
  );
  await pushBlob(registry, repo, layer, opts);
  await pushBlob(registry, repo, config, opts);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: OCI_LAYER, digest: sha256Digest(layer), size: layer.length }],
    }),
  );
  const digest = await pushManifest(registry, repo, tag ?? sha256Digest(manifest), manifest, OCI_MANIFEST, opts);
  return { mediaType: OCI_MANIFEST, digest, size: manifest.length, platform: { architecture, os } };
}

/** A small single-platform OCI image under `tag`; returns its manifest digest. */
export async function pushImage(registry: string, repo: string, tag: string, opts: ImageOptions = {}): Promise<string> {
  return (await pushImageDescriptor(registry, repo, tag, opts)).digest;
}

/** A multi-arch OCI index (linux/amd64 + linux/arm64) under `tag`; returns the index digest and children. */
export async function pushIndexDescriptor(
  registry: string,
  repo: string,
  tag: string,
  opts: ImageOptions = {},
): Promise<{ digest: string; size: number; children: PushedDescriptor[] }> {
  const children = [
    await pushImageDescriptor(registry, repo, undefined, { ...opts, architecture: 'amd64' }),
    await pushImageDescriptor(registry, repo, undefined, { ...opts, architecture: 'arm64' }),
  ];
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children }));
  const digest = await pushManifest(registry, repo, tag, index, OCI_INDEX, opts);
  return { digest, size: index.length, children };
}

/** A multi-arch OCI index under `tag`; returns its digest. */
export async function pushIndex(registry: string, repo: string, tag: string, opts: ImageOptions = {}): Promise<string> {
  return (await pushIndexDescriptor(registry, repo, tag, opts)).digest;
}
