// A signed manifest message: base64 of gzip of what was signed, which is the signed YAML
// (kubectl sigstore sign's default) or a tar.gz of YAML files (its deprecated `--tarball yes`).
// Read as k8s-manifest-sigstore reads it (BlobManifestFetcher, GetYAMLsInArtifact).

import { gunzipSync } from 'node:zlib';
import { Parser } from 'tar';
import { parseAllDocuments } from 'yaml';
import { base64Bytes } from './annotations.js';

export class MessageError extends Error {}

/** The bytes the signature covers (the message once gunzipped) and the objects in them. */
export async function decodeMessage(base64: string): Promise<{ signed: Buffer; objects: Record<string, unknown>[] }> {
  const bytes = base64Bytes(base64);
  if (!bytes) throw new MessageError('the message annotation is not base64');
  const signed = gunzipOrSame(bytes);
  return { signed, objects: await artifactObjects(signed) };
}

/** A layer of a manifest bundle image, or a decoded message: YAML text, else a tar.gz of YAML files. */
export async function artifactObjects(blob: Buffer): Promise<Record<string, unknown>[]> {
  const direct = yamlObjects(blob.toString('utf8'));
  if (direct.length > 0) return direct;
  if (!isGzip(blob)) return [];
  return (await tarYamlFiles(gunzipSync(blob))).flatMap((text) => yamlObjects(text));
}

/** The objects of a multi-document YAML text; a document that does not parse ends the reading, as Go's decoder loop does. */
export function yamlObjects(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: false })) {
    if (doc.errors.length > 0) break;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value && typeof value === 'object' && !Array.isArray(value)) out.push(value as Record<string, unknown>);
    else if (value !== null && value !== undefined) break;
  }
  return out;
}

function gunzipOrSame(data: Buffer): Buffer {
  if (!isGzip(data)) return data;
  try {
    return gunzipSync(data);
  } catch {
    return data;
  }
}

function isGzip(data: Buffer): boolean {
  return data.length > 2 && data[0] === 0x1f && data[1] === 0x8b;
}

/** The `.yaml`/`.yml` regular files of a tar (paths starting with `..` skipped, as the library does). */
async function tarYamlFiles(tarball: Buffer): Promise<string[]> {
  const files: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      onReadEntry: (entry) => {
        if (entry.type !== 'File' || entry.path.startsWith('..') || !/\.ya?ml$/.test(entry.path)) {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => files.push(Buffer.concat(chunks).toString('utf8')));
      },
    });
    parser.on('error', reject);
    parser.on('close', () => resolve());
    parser.end(tarball);
  });
  return files.filter((t) => /(^|\n)kind:/.test(t) && /(^|\n)apiVersion:/.test(t));
}
