// policy-controller's `fetchConfigFile` input: the image's config file per platform
// ({OS}/{Architecture}[/{Variant}][:{OSVersion}], go-containerregistry's Platform.String()), every
// manifest of an index followed (pkg/webhook/validator.go getConfigs). Manifests and blobs come
// through the evidence reader, digest-checked.

import type { Repository } from '../registry/types.js';
import { parseStrictJson } from '../verify/strict-json.js';
import type { Evidence } from './evidence.js';

const INDEXES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
const IMAGES = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'];
/** An index of indexes is followed this deep at most (a hostile registry could nest forever). */
const MAX_DEPTH = 4;

export async function configFiles(evidence: Evidence, repo: Repository, digest: string, depth = 0): Promise<Record<string, unknown>> {
  const manifest = await evidence.manifest(repo, digest);
  if (!manifest) throw new Error(`no manifest ${digest} in ${repo.registry}/${repo.repository}`);
  const mediaType = manifest.mediaType || (typeof manifest.json['mediaType'] === 'string' ? manifest.json['mediaType'] : '');
  if (INDEXES.includes(mediaType)) {
    if (depth >= MAX_DEPTH) throw new Error(`index ${digest} nests more than ${MAX_DEPTH} deep`);
    const children = Array.isArray(manifest.json['manifests']) ? (manifest.json['manifests'] as { digest?: unknown }[]) : [];
    const out: Record<string, unknown> = {};
    for (const child of children) {
      if (typeof child.digest !== 'string') throw new Error(`index ${digest} lists a manifest without a digest`);
      Object.assign(out, await configFiles(evidence, repo, child.digest, depth + 1));
    }
    return out;
  }
  if (!IMAGES.includes(mediaType)) throw new Error(`unknown mime type for ${digest}: ${mediaType}`);
  const config = (manifest.json['config'] ?? {}) as { digest?: unknown };
  if (typeof config.digest !== 'string') throw new Error(`image ${digest} names no config`);
  const file = parseStrictJson(Buffer.from(await evidence.blob(repo, config.digest)).toString('utf8')) as Record<string, unknown>;
  return { [platform(file)]: file };
}

function platform(cf: Record<string, unknown>): string {
  const s = (k: string) => (typeof cf[k] === 'string' ? (cf[k] as string) : '');
  let p = `${s('os')}/${s('architecture')}`;
  if (s('variant')) p += `/${s('variant')}`;
  if (s('os.version')) p += `:${s('os.version')}`;
  return p;
}
