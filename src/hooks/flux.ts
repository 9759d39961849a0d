// `hook flux`: the same gate for Flux. Given a Kustomization and its source (a local checkout,
// a GitRepository artifact URL, a GitRepository in the cluster, or a repo + revision), render it
// the way kustomize-controller does, verify, and report (exit code, termination message, and a
// PolicyReport on the Kustomization when a cluster is reachable).

import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HookIO } from './argocd-cmp.js';
import { policyReport, verdictEvent } from './policy-report.js';
import { oneLine, settingsFromEnv, verifyRendered } from './verify-rendered.js';

export interface FluxHookOptions {
  kustomization: string;
  source?: string;
  artifactUrl?: string;
  gitRepository?: string;
  repo?: string;
  revision?: string;
  kubeconfig?: string;
  record?: boolean;
  terminationLog?: string;
}

export class FluxHookError extends Error {
  readonly code = 'USAGE_ERROR';
}

export async function fluxHook(o: FluxHookOptions, io: HookIO): Promise<number> {
  const given = [o.source, o.artifactUrl, o.gitRepository, o.repo].filter(Boolean).length;
  if (given > 1) throw new FluxHookError('give one source: --source DIR, --artifact-url URL, --gitrepository NS/NAME or --repo URL');
  const { readFile } = await import('node:fs/promises');
  const { parseFluxKustomization, prepareFlux } = await import('../sources/flux.js');
  const { renderSources } = await import('../sources/render.js');
  const { checkoutRevision } = await import('../sources/git.js');
  const cleanups: (() => Promise<void>)[] = [];
  try {
    let root = path.resolve(io.cwd, o.source ?? '.');
    let revision = o.revision;
    let fetched: import('../sources/git.js').Checkout | undefined;
    let artifactUrl = o.artifactUrl;
    if (o.gitRepository) {
      const { readGitRepository } = await import('./flux-artifact.js');
      const artifact = await readGitRepository(o.gitRepository, o.kubeconfig);
      artifactUrl = artifact.url;
      revision = artifact.revision;
    }
    if (artifactUrl) {
      const { unpackArtifact } = await import('./flux-artifact.js');
      const unpacked = await unpackArtifact(artifactUrl);
      cleanups.push(unpacked.cleanup);
      root = unpacked.dir;
    } else if (o.repo) {
      const checkout = await checkoutRevision({ repo: o.repo, revision: o.revision, env: io.env });
      cleanups.push(checkout.cleanup);
      root = checkout.dir;
      revision = checkout.commit;
      fetched = checkout;
    }
    // The Kustomization file comes from the working directory (it is usually in another repository).
    const ksFile = path.resolve(io.cwd, o.kustomization);
    // `-`: the Kustomization piped in (e.g. `kubectl get kustomization app -o yaml | … hook flux --kustomization -`).
    const ksText = o.kustomization === '-' ? await readAll(io.stdin ?? process.stdin) : await readFile(ksFile, 'utf8').catch(() => {
      throw new FluxHookError(`--kustomization ${o.kustomization}: cannot read the file`);
    });
    const ks = parseFluxKustomization(ksText, o.kustomization === '-' ? '<stdin>' : o.kustomization);
    if (ks.substituteFrom.length > 0) io.stderr(`verify-images: postBuild.substituteFrom (${ks.substituteFrom.join(', ')}) needs the cluster's values and is not applied; only inline substitute values are\n`);
    const prepared = await prepareFlux(root, ks);
    cleanups.push(prepared.cleanup);
    const rendered = await renderSources(prepared.inputs);
    const { result, exitCode, warnings } = await verifyRendered(rendered, root, { ...settingsFromEnv(io.env), ...(fetched && { revision: fetched }) }, ks.path ?? '.');
    for (const w of warnings) io.stderr(`verify-images: warning: ${w}\n`);
    const { formats } = await import('../report/index.js');
    io.stdout(formats.get('table')!(result, { color: false }));
    const line = `${oneLine(result, exitCode)} (Kustomization ${ks.namespace ?? 'flux-system'}/${ks.name}${revision ? ` at ${revision}` : ''})`;
    io.stderr(`${line}\n`);
    if (o.terminationLog) await writeFile(o.terminationLog, `${line}\n`).catch(() => undefined);
    if (o.record) {
      const subject = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', name: ks.name, namespace: ks.namespace ?? 'flux-system' };
      const { recordOutcome } = await import('./kube-record.js');
      const problems = await recordOutcome({ kubeconfig: o.kubeconfig }, verdictEvent(subject, exitCode === 0, line), policyReport(result, subject, new Date(), revision));
      for (const p of problems) io.stderr(`verify-images: ${p}\n`);
    }
    return exitCode;
  } finally {
    for (const c of cleanups.reverse()) await c();
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  const { decodeText } = await import('../sources/files.js');
  return decodeText(Buffer.concat(chunks), '<stdin>');
}
