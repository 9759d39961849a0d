// `hook argocd-cmp | argocd-presync | flux`: the GitOps gates. Registered together with the
// `verify --repo/--path/--flux-kustomization` source flags (one line in commands.ts).
// Handlers import the hook modules lazily.

import type { Argv } from 'yargs';
import type { CommandContext, RegisterCommand } from './commands.js';
import { registerGitOpsSource } from './gitops-source.js';

export const registerHook: RegisterCommand = (cli: Argv, ctx: CommandContext) =>
  registerGitOpsSource(cli, ctx).command('hook <gate>', 'run as an Argo CD / Flux gate (see hooks/ in the package)', (y) =>
    y
      .command(
        'argocd-cmp',
        'Argo CD Config Management Plugin generate: render, verify, print exactly the manifests (ARGOCD_APP_*, ARGOCD_ENV_VERIFY_IMAGES_*)',
        {},
        async () => {
          const { argocdCmp } = await import('../hooks/argocd-cmp.js');
          ctx.setExitCode(await argocdCmp(ctx.io));
        },
      )
      .command(
        'argocd-presync',
        'Argo CD PreSync Job: verify the revision being synced; record a termination message, an Event and a PolicyReport',
        (p) =>
          p
            .option('app', { type: 'string', describe: 'Application name (default ARGOCD_APP_NAME, or VERIFY_IMAGES_TRACKING_ID)' })
            .option('app-namespace', { type: 'string', describe: 'namespace of the Application object (default argocd)' })
            .option('repo', { type: 'string', describe: 'repository (default VERIFY_IMAGES_REPO, else from the Argo CD API)' })
            .option('revision', { type: 'string', describe: 'revision (default VERIFY_IMAGES_REVISION, else from the Argo CD API)' })
            .option('path', { type: 'string', describe: 'app path (default VERIFY_IMAGES_PATH, else from the Argo CD API)' })
            .option('argocd-server', { type: 'string', describe: 'Argo CD API address (default ARGOCD_SERVER); token from ARGOCD_AUTH_TOKEN' })
            .option('report-namespace', { type: 'string', describe: 'namespace for the PolicyReport (default POD_NAMESPACE, else the Application\'s)' })
            .option('termination-log', { type: 'string', describe: 'file for the one-line outcome (default /dev/termination-log)' })
            .option('kubeconfig', { type: 'string', describe: 'kubeconfig for writing the Event and PolicyReport (default: in-cluster)' })
            .option('record', { type: 'boolean', default: true, describe: 'write the Event and PolicyReport (--no-record to skip)' }),
        async (argv) => {
          const { argocdPresync } = await import('../hooks/argocd-presync.js');
          ctx.setExitCode(
            await argocdPresync(
              {
                app: argv.app,
                appNamespace: argv.appNamespace,
                repo: argv.repo as string | undefined,
                revision: argv.revision as string | undefined,
                path: argv.path as string | undefined,
                argocdServer: argv.argocdServer,
                reportNamespace: argv.reportNamespace,
                terminationLog: argv.terminationLog,
                kubeconfig: argv.kubeconfig,
                record: argv.record,
              },
              ctx.io,
            ),
          );
        },
      )
      .command(
        'flux',
        'Flux pre-deploy Job or CI: render a Flux Kustomization from its source and verify it',
        (p) =>
          p
            .option('kustomization', { type: 'string', demandOption: true, describe: 'Flux Kustomization file (kustomize.toolkit.fluxcd.io)' })
            .option('source', { type: 'string', describe: 'local checkout of the source (default: the current directory)' })
            .option('artifact-url', { type: 'string', describe: 'GitRepository artifact tarball URL (status.artifact.url)' })
            .option('gitrepository', { type: 'string', describe: 'GitRepository NS/NAME to read the artifact URL from (needs cluster access)' })
            .option('repo', { type: 'string', describe: 'repository to fetch at --revision instead' })
            .option('revision', { type: 'string', describe: 'revision for --repo' })
            .option('kubeconfig', { type: 'string', describe: 'kubeconfig (default: in-cluster, then KUBECONFIG)' })
            .option('record', { type: 'boolean', describe: 'write an Event and a PolicyReport on the Kustomization (default: when in a cluster)' })
            .option('termination-log', { type: 'string', describe: 'file for the one-line outcome (e.g. /dev/termination-log)' }),
        async (argv) => {
          const { fluxHook } = await import('../hooks/flux.js');
          ctx.setExitCode(
            await fluxHook(
              {
                kustomization: argv.kustomization,
                source: argv.source,
                artifactUrl: argv.artifactUrl,
                gitRepository: argv.gitrepository,
                repo: argv.repo as string | undefined,
                revision: argv.revision as string | undefined,
                kubeconfig: argv.kubeconfig,
                record: argv.record ?? Boolean(ctx.io.env.KUBERNETES_SERVICE_HOST),
                terminationLog: argv.terminationLog,
              },
              ctx.io,
            ),
          );
        },
      )
      .demandCommand(1, 'name a gate: argocd-cmp, argocd-presync or flux'),
  );
