// One entry point for GitOps sources: a repository (fetched at a revision, or a local tree),
// an app path rendered like Argo CD, or a Flux Kustomization. Used by `verify --repo` and the hooks.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppSource } from './argocd-source.js';
import { SourceError } from './files.js';
import { type Checkout, checkoutRevision } from './git.js';
import { parseFluxKustomization, prepareFlux } from './flux.js';
import { prepareApp, type Tool } from './render.js';

export interface GitOpsSourceSpec {
  /** Repository URL or path to fetch at `revision`; without it `root` is used as it is. */
  repo?: string;
  revision?: string;
  /** A local tree (the CMP's checkout); default: the current directory. */
  root?: string;
  /** App path inside the repository. */
  path?: string;
  app?: { name?: string; namespace?: string };
  source?: AppSource;
  /** A Flux Kustomization file: relative to the repository root when `repo` is given. */
  fluxKustomization?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface GitOpsSource {
  /** The tree that was rendered: the checkout, or `root`. */
  root: string;
  /** The commit when fetched. */
  commit?: string;
  /** The fetched revision (its signatures can be read there). */
  checkout?: Checkout;
  tool: Tool | 'flux';
  /** Inputs for readSources()/run(). */
  inputs: string[];
  overrides: string[];
  cleanup(): Promise<void>;
}

export async function resolveGitOpsSource(spec: GitOpsSourceSpec): Promise<GitOpsSource> {
  const cwd = spec.cwd ?? process.cwd();
  let checkout: Checkout | undefined;
  if (spec.repo) checkout = await checkoutRevision({ repo: spec.repo, revision: spec.revision, env: spec.env });
  const root = checkout?.dir ?? path.resolve(cwd, spec.root ?? '.');
  try {
    if (spec.fluxKustomization) {
      const file = checkout ? path.resolve(root, spec.fluxKustomization) : path.resolve(cwd, spec.fluxKustomization);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        throw new SourceError(`--flux-kustomization ${spec.fluxKustomization}: cannot read the file`);
      }
      const ks = parseFluxKustomization(text, spec.fluxKustomization);
      if (spec.path) ks.path = spec.path;
      const prepared = await prepareFlux(root, ks);
      return {
        root,
        commit: checkout?.commit,
        ...(checkout && { checkout }),
        tool: 'flux',
        inputs: prepared.inputs,
        overrides: [],
        cleanup: async () => {
          await prepared.cleanup();
          await checkout?.cleanup();
        },
      };
    }
    const app = await prepareApp({ root, path: spec.path, app: spec.app, source: spec.source, env: spec.env });
    return {
      root,
      commit: checkout?.commit,
      ...(checkout && { checkout }),
      tool: app.tool,
      inputs: app.inputs,
      overrides: app.overrides,
      cleanup: async () => {
        await app.cleanup();
        await checkout?.cleanup();
      },
    };
  } catch (e) {
    await checkout?.cleanup();
    throw e;
  }
}
