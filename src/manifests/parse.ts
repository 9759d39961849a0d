// Multi-document YAML/JSON → Kubernetes objects with where each starts. Pure.

import type { Document, YAMLMap } from 'yaml';
import { yamlLib } from './yaml-lib.js';
import { ManifestError, type ManifestObject, type ManifestYaml } from './types.js';

/** Aliases expanded per document; more is an alias bomb ("billion laughs"), refused. */
export const MAX_ALIAS_COUNT = 100;

/**
 * Every Kubernetes object in `text`: all documents, `kind: List` / `*List` items flattened
 * (each with its own position). Documents that are empty, not a mapping, or lack
 * apiVersion/kind are not Kubernetes objects and are skipped. Malformed YAML throws
 * ManifestError at the first error's file:line:column.
 */
export function parseManifests(text: string, file: string, base: TextBase = START): ManifestObject[] {
  const counter = new (yamlLib().LineCounter)();
  // merge: Kubernetes reads YAML with go-yaml, which honours `<<` merge keys.
  const docs = yamlLib().parseAllDocuments(text, { lineCounter: counter, merge: true, prettyErrors: false });
  const out: ManifestObject[] = [];
  const linePos = (offset: number) => {
    const p = counter.linePos(offset);
    return { line: p.line + base.line - 1, col: p.col };
  };
  const at = (offset: number) => {
    const { line, col } = linePos(offset);
    return { file, line, column: col };
  };
  const dropped = unread(text, docs);
  if (dropped !== undefined) throw new ManifestError('malformed YAML: the text from here on is not part of any document (an unterminated quote?)', at(dropped));
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw new ManifestError(`malformed YAML: ${firstLine(error.message)}`, at(error.pos[0]));
    const root = doc.contents;
    if (!yamlLib().isMap(root)) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      throw new ManifestError(`cannot read document: ${firstLine((e as Error).message)}`, at(root.range?.[0] ?? 0));
    }
    collect(value, root, doc, { offset: base.offset, linePos }, at, out);
  }
  return out;
}

/** Where a text starts in its file (a slice of whole documents starts a line). */
export interface TextBase {
  offset: number;
  line: number;
}
const START: TextBase = { offset: 0, line: 1 };

/**
 * Where text that no document covers starts, if any: `yaml` can stop reading at an unterminated
 * quote without an error, which would silently drop the documents after it.
 */
export function unread(text: string, docs: readonly Document[]): number | undefined {
  const end = docs.at(-1)?.range?.[2] ?? 0;
  if (end >= text.length) return undefined;
  const rest = text.slice(end);
  return rest.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('#')) ? end : undefined;
}

function collect(
  value: unknown,
  node: YAMLMap,
  doc: Document,
  where: Pick<ManifestYaml, 'offset' | 'linePos'>,
  at: (offset: number) => { file: string; line: number; column: number },
  out: ManifestObject[],
): void {
  if (!isKubernetesObject(value)) return;
  const kind = value.kind as string;
  if (kind.endsWith('List') && Array.isArray(value.items)) {
    const itemsNode = node.get('items', true);
    const itemNodes = yamlLib().isSeq(itemsNode) ? itemsNode.items : [];
    value.items.forEach((item, i) => {
      const itemNode = itemNodes[i];
      // An item written as an alias or merged in has no map of its own: use the list's node.
      collect(item, yamlLib().isMap(itemNode) ? itemNode : node, doc, where, at, out);
    });
    return;
  }
  const obj: ManifestObject = { ...at(node.range?.[0] ?? 0), object: value };
  // Non-enumerable: parser handles must not leak into JSON output or deep equality.
  const yaml: ManifestYaml = { doc, node, ...where };
  Object.defineProperty(obj, 'yaml', { value: yaml, enumerable: false });
  out.push(obj);
}

export function isKubernetesObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.apiVersion === 'string' && o.apiVersion !== '' && typeof o.kind === 'string' && o.kind !== '';
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
