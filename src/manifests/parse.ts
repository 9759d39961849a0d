// Multi-document YAML/JSON → Kubernetes objects with where each starts. Pure.

import { isMap, isSeq, LineCounter, parseAllDocuments, type Document, type YAMLMap } from 'yaml';
import { ManifestError, type ManifestObject } from './types.js';

/** Aliases expanded per document; more is an alias bomb ("billion laughs"), refused. */
const MAX_ALIAS_COUNT = 100;

/**
 * Every Kubernetes object in `text`: all documents, `kind: List` / `*List` items flattened
 * (each with its own position). Documents that are empty, not a mapping, or lack
 * apiVersion/kind are not Kubernetes objects and are skipped. Malformed YAML throws
 * ManifestError at the first error's file:line:column.
 */
export function parseManifests(text: string, file: string): ManifestObject[] {
  const lineCounter = new LineCounter();
  // merge: Kubernetes reads YAML with go-yaml, which honours `<<` merge keys.
  const docs = parseAllDocuments(text, { lineCounter, merge: true, prettyErrors: false });
  const out: ManifestObject[] = [];
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new ManifestError(`malformed YAML: ${firstLine(error.message)}`, at(error.pos[0]));
    const root = doc.contents;
    if (!isMap(root)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      throw new ManifestError(`cannot read document: ${firstLine((e as Error).message)}`, at(root.range?.[0] ?? 0));
    }
    collect(value, root, doc, lineCounter, at, out);
  }
  return out;
}

function collect(
  value: unknown,
  node: YAMLMap,
  doc: Document,
  lineCounter: LineCounter,
  at: (offset: number) => { file: string; line: number; column: number },
  out: ManifestObject[],
): void {
  if (!isKubernetesObject(value)) return;
  const kind = value.kind as string;
  if (kind.endsWith('List') && Array.isArray(value.items)) {
    const itemsNode = node.get('items', true);
    const itemNodes = isSeq(itemsNode) ? itemsNode.items : [];
    value.items.forEach((item, i) => {
      const itemNode = itemNodes[i];
      // An item written as an alias or merged in has no map of its own: use the list's node.
      collect(item, isMap(itemNode) ? itemNode : node, doc, lineCounter, at, out);
    });
    return;
  }
  const obj: ManifestObject = { ...at(node.range?.[0] ?? 0), object: value };
  // Non-enumerable: parser handles must not leak into JSON output or deep equality.
  Object.defineProperty(obj, 'yaml', { value: { doc, node, lineCounter }, enumerable: false });
  out.push(obj);
}

function isKubernetesObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.apiVersion === 'string' && o.apiVersion !== '' && typeof o.kind === 'string' && o.kind !== '';
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
