// `hook argocd-cmp`: the generate command of an Argo CD Config Management Plugin. Argo CD runs it
// in the app directory of its checkout with the ARGOCD_APP_* build environment. Contract
// (config-management-plugins.md): stdout is only the manifests, diagnostics go to stderr, and a
// failure is a non-zero exit — never an empty success, which would make Argo CD prune the app.

import path from 'node:path';
import { parseManifests } from '../manifests/parse.js';
import { setting, settingsFromEnv, verifyRendered } from './verify-rendered.js';

export interface HookIO {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  /** For `hook flux --kustomization -`. */
  stdin?: NodeJS.ReadableStream;
}

/**
 * The repository root: Argo CD starts us in `<root>/<ARGOCD_APP_SOURCE_PATH>`. Without that
 * variable (or when it does not match), the current directory is the root.
 */
export function cmpRoot(cwd: string, sourcePath: string | undefined): string {
  const abs = path.resolve(cwd);
  if (!sourcePath || sourcePath === '.' || sourcePath === './') return abs;
  const suffix = path.normalize(sourcePath).replace(/[\\/]+$/, '');
  return abs.endsWith(path.sep + suffix) ? abs.slice(0, abs.length - suffix.length - 1) : abs;
}

export async function argocdCmp(io: HookIO): Promise<number> {
  const env = io.env;
  const root = cmpRoot(io.cwd, env.ARGOCD_APP_SOURCE_PATH);
  const appPath = path.relative(root, path.resolve(io.cwd)) || '.';
  const { resolveGitOpsSource } = await import('../sources/gitops.js');
  const { renderSources } = await import('../sources/render.js');
  const { sourceFromParameters } = await import('./cmp-parameters.js');
  const source = await resolveGitOpsSource({
    root,
    path: appPath,
    app: { name: env.ARGOCD_APP_NAME, namespace: env.ARGOCD_APP_NAMESPACE },
    source: sourceFromParameters(env.ARGOCD_APP_PARAMETERS),
    fluxKustomization: undefined,
    env,
    cwd: root,
  });
  let rendered: Awaited<ReturnType<typeof renderSources>>;
  let verified: Awaited<ReturnType<typeof verifyRendered>> | undefined;
  try {
    rendered = await renderSources(source.inputs);
    // Verified while the rendering is still there: verdicts name the source files. Objects that name
    // no namespace are judged in the destination namespace (ARGOCD_APP_NAMESPACE), where Argo CD applies them.
    if (parseManifests(rendered.text, 'rendered').length > 0) verified = await verifyRendered(rendered, root, { ...settingsFromEnv(env), ...(env.ARGOCD_APP_NAMESPACE && { defaultNamespace: env.ARGOCD_APP_NAMESPACE }) }, appPath);
  } finally {
    await source.cleanup();
  }
  const text = rendered.text;
  if (!verified) {
    io.stderr(`verify-images: ${appPath} rendered no Kubernetes objects; refusing to print an empty manifest set (Argo CD would prune the app)\n`);
    return 2;
  }
  const { result, exitCode } = verified;
  for (const w of verified.warnings) io.stderr(`verify-images: warning: ${w}\n`);
  if (exitCode !== 0) {
    const { formats } = await import('../report/index.js');
    io.stderr(formats.get('table')!(result, { color: false }));
    io.stderr(`verify-images: ${env.ARGOCD_APP_NAME ?? appPath} at ${env.ARGOCD_APP_REVISION ?? 'unknown revision'} is blocked (exit ${exitCode}); nothing was generated\n`);
    return exitCode;
  }
  let output = text;
  if (env.ARGOCD_APP_REVISION) {
    const { injectRevision } = await import('./inject-revision.js');
    output = injectRevision(output, { repo: env.ARGOCD_APP_SOURCE_REPO_URL, revision: env.ARGOCD_APP_REVISION, path: env.ARGOCD_APP_SOURCE_PATH });
  }
  if (setting(env, 'VERIFY_IMAGES_ANNOTATE') === 'true') {
    const { annotateOutput } = await import('./annotate-output.js');
    output = annotateOutput(output, result.results);
  }
  if (setting(env, 'VERIFY_IMAGES_PIN') === 'true') {
    const { pinImages } = await import('./pin-output.js');
    output = pinImages(output, result.results);
  }
  io.stdout(output);
  return 0;
}
