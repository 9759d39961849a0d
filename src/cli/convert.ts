// `convert --to ivpol PATH…`: Kyverno ClusterPolicy/Policy verifyImages rules → ImageValidatingPolicy
// YAML on stdout; what cannot be expressed is a `# convert:` comment there and a line on stderr (exit 1).

import type { Argv } from 'yargs';
import type { CommandContext, RegisterCommand } from './commands.js';
import { UsageError } from './verify.js';

interface ConvertFlags {
  to?: string;
  paths?: string[];
}

export const registerConvert: RegisterCommand = (cli: Argv, ctx: CommandContext) =>
  cli.command<ConvertFlags>(
    'convert [paths..]',
    'rewrite Kyverno ClusterPolicy/Policy verifyImages rules as ImageValidatingPolicy (policies.kyverno.io/v1) on stdout',
    (y) =>
      y
        .option('to', { type: 'string', describe: 'target format (ivpol)', default: 'ivpol' })
        .positional('paths', { type: 'string', array: true, describe: 'policy files or directories' })
        .example('$0 convert --to ivpol policies/ > ivpol/', 'convert every verifyImages policy in policies/') as Argv<ConvertFlags>,
    async (argv) => {
      ctx.setExitCode(await convertHandler(argv, ctx));
    },
  );

export async function convertHandler(argv: ConvertFlags, ctx: CommandContext): Promise<number> {
  if (argv.to !== 'ivpol') throw new UsageError(`--to ${argv.to}: the only target is ivpol`);
  const paths = argv.paths ?? [];
  if (paths.length === 0) throw new UsageError('name the policy files or directories to convert');
  const path = await import('node:path');
  const { readPolicyFiles } = await import('../config/policy-files.js');
  const { parsePolicyDocuments } = await import('../policy/document.js');
  const { loadPolicies, prepareLoaders } = await import('../policy/loaders.js');
  const { convertPolicy } = await import('../convert/ivpol.js');
  const { displayPath } = await import('../engine/run.js');
  const { files } = await readPolicyFiles(paths.filter((p) => p !== '-').map((p) => path.resolve(ctx.io.cwd, p)));
  const texts = files.map((f) => ({ file: displayPath(ctx.io.cwd, f.file), text: f.text }));
  if (paths.includes('-')) {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    texts.push({ file: '<stdin>', text: Buffer.concat(chunks).toString('utf8') });
  }
  // Valid policies only: what does not load is exit 2 with its file:line, as for verify.
  await prepareLoaders(texts);
  loadPolicies(texts);
  const out: string[] = [];
  let notes = 0;
  for (const { file, text } of texts) {
    for (const doc of parsePolicyDocuments(text, file)) {
      const { apiVersion, kind } = doc.value;
      if (typeof apiVersion !== 'string' || !apiVersion.startsWith('kyverno.io/') || (kind !== 'ClusterPolicy' && kind !== 'Policy')) continue;
      const converted = convertPolicy(doc);
      if (!converted) continue;
      out.push(converted.yaml);
      for (const n of converted.notes) ctx.io.stderr(`${n.file}:${n.line}: convert: ${n.message}\n`);
      notes += converted.notes.length;
    }
  }
  if (out.length === 0) {
    ctx.io.stderr('convert: no Kyverno ClusterPolicy or Policy with verifyImages rules found\n');
    return 1;
  }
  ctx.io.stdout(out.map((y) => `---\n${y}`).join(''));
  return notes > 0 ? 1 : 0;
}
