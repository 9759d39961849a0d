// The CMP tells the PreSync Job what it rendered: the Job's container (args `hook
// argocd-presync`) gets VERIFY_IMAGES_REPO/_REVISION/_PATH from the ARGOCD_APP_* build env, so
// the sync-time re-check needs no Argo CD API token. Only that Job's document is rewritten.

import { isMap, isSeq, parseAllDocuments, type YAMLMap } from 'yaml';

export interface RenderedFrom {
  repo?: string;
  revision?: string;
  path?: string;
}

/** `text` with the env injected into every PreSync verification Job; other documents byte for byte. Pure. */
export function injectRevision(text: string, from: RenderedFrom): string {
  const env: [string, string][] = (
    [
      ['VERIFY_IMAGES_REPO', from.repo],
      ['VERIFY_IMAGES_REVISION', from.revision],
      ['VERIFY_IMAGES_PATH', from.path],
    ] as [string, string | undefined][]
  ).filter((e): e is [string, string] => !!e[1]);
  if (env.length === 0) return text;
  const edits: { start: number; end: number; value: string }[] = [];
  for (const doc of parseAllDocuments(text)) {
    const root = doc.contents;
    if (!isMap(root) || !root.range || (doc.toJS() as { kind?: unknown } | null)?.kind !== 'Job') continue;
    const containers = doc.getIn(['spec', 'template', 'spec', 'containers']);
    if (!isSeq(containers)) continue;
    let changed = false;
    for (const item of containers.items) {
      if (!isMap(item)) continue;
      const args = (item.toJSON() as { args?: unknown }).args;
      if (!Array.isArray(args) || !args.includes('argocd-presync')) continue;
      setEnv(item, env, doc);
      changed = true;
    }
    if (!changed) continue;
    const [start, , end] = root.range;
    edits.push({ start, end, value: doc.toString({ lineWidth: 0 }).replace(/^---\n/, '').trimEnd() + '\n' });
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) {
    const rest = out.slice(e.end);
    out = out.slice(0, e.start) + e.value + (rest.startsWith('\n') ? rest.slice(1) : rest);
  }
  return out;
}

function setEnv(container: YAMLMap, env: [string, string][], doc: ReturnType<typeof parseAllDocuments>[number]): void {
  const current = ((container.toJSON() as { env?: { name: string }[] }).env ?? []).filter((e) => !env.some(([n]) => n === e.name));
  container.set('env', doc.createNode([...current, ...env.map(([name, value]) => ({ name, value }))]));
}
