// Flux source artifacts: source-controller serves each GitRepository revision as a tarball at
// `status.artifact.url`. We read that status (kube API) and unpack the tarball with `tar`.

import { spawn } from 'node:child_process';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { SourceError } from '../sources/files.js';

export interface Artifact {
  url: string;
  revision?: string;
}

/** `status.artifact` of a GitRepository/OCIRepository/Bucket object. Pure. */
export function artifactOf(obj: Record<string, any>): Artifact {
  const a = obj.status?.artifact;
  if (!a?.url) throw new SourceError(`${obj.kind ?? 'source'} ${obj.metadata?.namespace}/${obj.metadata?.name} has no status.artifact.url yet (not reconciled?)`);
  return { url: String(a.url), revision: a.revision ? String(a.revision) : undefined };
}

/** Reads `GitRepository NS/NAME` (source.toolkit.fluxcd.io/v1) from the cluster. */
export async function readGitRepository(ref: string, kubeconfig?: string): Promise<Artifact> {
  const [namespace, name] = ref.includes('/') ? ref.split('/', 2) : ['flux-system', ref];
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const obj = await api.getNamespacedCustomObject({ group: 'source.toolkit.fluxcd.io', version: 'v1', namespace: namespace!, plural: 'gitrepositories', name: name! });
  return artifactOf(obj as Record<string, any>);
}

/** Downloads and unpacks an artifact tarball into a new temporary directory. */
export async function unpackArtifact(url: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'verify-images-artifact-')));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const res = await fetch(url);
    if (!res.ok || !res.body) throw new SourceError(`artifact ${url}: HTTP ${res.status}`);
    await new Promise<void>((resolve, reject) => {
      const tar = spawn('tar', ['-xzf', '-', '-C', dir, '--no-same-owner'], { stdio: ['pipe', 'ignore', 'pipe'] });
      const err: Buffer[] = [];
      tar.stderr.on('data', (b: Buffer) => err.push(b));
      tar.on('error', reject);
      tar.on('close', (code) => (code === 0 ? resolve() : reject(new SourceError(`artifact ${url}: tar: ${Buffer.concat(err).toString().trim()}`))));
      Readable.fromWeb(res.body as any).pipe(tar.stdin);
    });
    return { dir, cleanup };
  } catch (e) {
    await cleanup();
    if (e instanceof SourceError) throw e;
    throw new SourceError(`artifact ${url}: ${(e as Error).message}`);
  }
}
