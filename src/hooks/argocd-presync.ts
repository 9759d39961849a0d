// `hook argocd-presync`: the sync-time re-check, run as a PreSync Job in the destination cluster.
// It learns what is being synced (env injected next to the Job, else the Argo CD API), fetches and
// renders that revision like Argo CD, verifies, and records the outcome where users look: the
// Job's termination message, an Event on the Application, and a PolicyReport.

import { writeFile } from 'node:fs/promises';
import type { AppSource } from '../sources/argocd-source.js';
import type { HookIO } from './argocd-cmp.js';
import { fetchApplication, targetFromApplication } from './argocd-api.js';
import { policyReport, type Subject, verdictEvent } from './policy-report.js';
import { oneLine, settingsFromEnv, verifyRendered } from './verify-rendered.js';

export interface PresyncOptions {
  app?: string;
  /** Namespace of the Application object (default: argocd). */
  appNamespace?: string;
  repo?: string;
  revision?: string;
  path?: string;
  argocdServer?: string;
  /** Where the PolicyReport goes (default: the Pod's namespace, else the Application's). */
  reportNamespace?: string;
  terminationLog?: string;
  kubeconfig?: string;
  /** false: do not write the Event and PolicyReport. */
  record?: boolean;
}

/** The app name from Argo CD's tracking annotation `<app>:<group>/<kind>:<ns>/<name>`. Pure. */
export function appFromTrackingId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const name = id.split(':')[0];
  return name && !name.includes('/') ? name.replace(/^.*_/, '') : undefined;
}

/** Options from the Job's environment; flags given on the command line win. Pure. */
export function presyncOptions(flags: PresyncOptions, env: NodeJS.ProcessEnv): PresyncOptions {
  return {
    app: flags.app ?? env.ARGOCD_APP_NAME ?? appFromTrackingId(env.VERIFY_IMAGES_TRACKING_ID),
    appNamespace: flags.appNamespace ?? env.VERIFY_IMAGES_APPLICATION_NAMESPACE ?? 'argocd',
    repo: flags.repo ?? env.VERIFY_IMAGES_REPO ?? env.ARGOCD_APP_SOURCE_REPO_URL,
    revision: flags.revision ?? env.VERIFY_IMAGES_REVISION ?? env.ARGOCD_APP_REVISION,
    path: flags.path ?? env.VERIFY_IMAGES_PATH ?? env.ARGOCD_APP_SOURCE_PATH,
    argocdServer: flags.argocdServer ?? env.ARGOCD_SERVER,
    reportNamespace: flags.reportNamespace ?? env.VERIFY_IMAGES_REPORT_NAMESPACE ?? env.POD_NAMESPACE,
    terminationLog: flags.terminationLog ?? env.VERIFY_IMAGES_TERMINATION_LOG ?? '/dev/termination-log',
    kubeconfig: flags.kubeconfig,
    record: flags.record ?? true,
  };
}

export class PresyncError extends Error {
  readonly code = 'USAGE_ERROR';
}

export async function argocdPresync(flags: PresyncOptions, io: HookIO): Promise<number> {
  const o = presyncOptions(flags, io.env);
  if (!o.app) throw new PresyncError('no application name: pass --app, or set ARGOCD_APP_NAME or VERIFY_IMAGES_TRACKING_ID (downward API of the argocd.argoproj.io/tracking-id annotation)');
  const subject: Subject = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', name: o.app, namespace: o.appNamespace ?? 'argocd' };
  const record = async (passed: boolean, line: string, report?: Record<string, unknown>) => {
    await writeFile(o.terminationLog!, `${line}\n`).catch((e: Error) => io.stderr(`verify-images: cannot write the termination message to ${o.terminationLog}: ${e.message}\n`));
    if (!o.record) return;
    const { recordOutcome } = await import('./kube-record.js');
    const problems = await recordOutcome({ kubeconfig: o.kubeconfig }, verdictEvent(subject, passed, line), report);
    for (const p of problems) io.stderr(`verify-images: ${p}\n`);
  };
  try {
    let repo = o.repo;
    let revision = o.revision;
    let path = o.path;
    let source: AppSource = {};
    let destination: string | undefined;
    if (o.argocdServer && (!repo || !revision)) {
      const token = io.env.ARGOCD_AUTH_TOKEN;
      if (!token) throw new PresyncError('ARGOCD_SERVER is set but ARGOCD_AUTH_TOKEN is not');
      const target = targetFromApplication(await fetchApplication(o.argocdServer, token, o.app, o.appNamespace));
      repo ??= target.repo;
      revision ??= target.revision;
      path ??= target.path;
      source = target.source;
      destination = target.namespace;
      if (target.uid) subject.uid = target.uid;
    }
    if (!repo || !revision) {
      throw new PresyncError('cannot tell what is being synced: set VERIFY_IMAGES_REPO and VERIFY_IMAGES_REVISION, or ARGOCD_SERVER and ARGOCD_AUTH_TOKEN so the Application can be read');
    }
    const { resolveGitOpsSource } = await import('../sources/gitops.js');
    const { renderSources } = await import('../sources/render.js');
    const src = await resolveGitOpsSource({ repo, revision, path, app: { name: o.app, namespace: destination }, source, env: io.env });
    try {
      const rendered = await renderSources(src.inputs);
      // The Job runs in the destination namespace (it names none), so its own namespace stands in when the API was not asked.
      const namespace = destination ?? io.env.POD_NAMESPACE;
      const { result, exitCode, warnings } = await verifyRendered(rendered, src.root, { ...settingsFromEnv(io.env), ...(namespace && { defaultNamespace: namespace }), ...(src.checkout && { revision: src.checkout }) }, path ?? '.');
      for (const w of warnings) io.stderr(`verify-images: warning: ${w}\n`);
      const { formats } = await import('../report/index.js');
      io.stdout(formats.get('table')!(result, { color: false }));
      const line = `${oneLine(result, exitCode)} (${o.app} at ${src.commit?.slice(0, 12) ?? revision})`;
      io.stderr(`${line}\n`);
      const report = policyReport(result, subject, new Date(), src.commit, o.reportNamespace ?? subject.namespace);
      await record(exitCode === 0, line, report);
      return exitCode;
    } finally {
      await src.cleanup();
    }
  } catch (e) {
    const line = `verify-images could not verify ${o.app}: ${(e as Error).message}`.replace(/\s+/g, ' ').slice(0, 1000);
    await record(false, line).catch(() => undefined);
    throw e;
  }
}
