// Policy files as YAML documents that remember where each node was written,
// so every loader can answer "which line is path X on" for its exit-2 errors.

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { PolicyError } from './model.js';

export type Path = readonly (string | number)[];

/** One object of a policy file (a document, or one item of a `kind: List`). */
export interface PolicyDocument {
  file: string;
  /** Line where the object starts. */
  line: number;
  value: Record<string, unknown>;
  /** Line of the node at `path`, or of its nearest ancestor that exists. */
  lineOf(path: Path): number;
}

// A policy file is configuration from Git, but still input: bound alias expansion (billion laughs).
const MAX_ALIAS_COUNT = 100;

/** Parses every document of a (multi-doc) YAML or JSON text. Throws PolicyError on invalid YAML. */
export function parsePolicyDocuments(text: string, file: string): PolicyDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const out: PolicyDocument[] = [];
  for (const doc of Array.isArray(docs) ? docs : []) {
    const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
    const problem = doc.errors[0];
    if (problem) throw new PolicyError(`invalid YAML: ${problem.code}`, { file, line: lineAt(problem.pos[0]) });
    if (doc.contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      throw new PolicyError(`invalid YAML: ${(err as Error).message}`, { file, line: lineAt(doc.contents.range?.[0] ?? 0) });
    }
    if (!isRecord(value)) continue; // scalars and lists at top level are not Kubernetes objects
    const lineOf = (path: Path): number => nodeLine(doc, path, lineAt);
    if (value['kind'] === 'List' && Array.isArray(value['items'])) {
      value['items'].forEach((item, i) => {
        if (!isRecord(item)) return;
        const sub = (path: Path): number => lineOf(['items', i, ...path]);
        out.push({ file, line: sub([]), value: item, lineOf: sub });
      });
      continue;
    }
    out.push({ file, line: lineOf([]), value, lineOf });
  }
  return out;
}

/** What a loader may need from the other documents of the policy set. */
export interface LoadContext {
  /** policy-controller TrustRoot documents by metadata.name (`trustRootRef`). */
  trustRoots: ReadonlyMap<string, PolicyDocument>;
  /** Notation trust stores laid out beside a trust policy file (by that file, as shown): `ca:name` → certificate files. */
  trustStores?: ReadonlyMap<string, ReadonlyMap<string, readonly { file: string; bytes: Uint8Array }[]>>;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Walks the YAML node tree; a map entry's line is its key's line, a list item's is the item's. */
function nodeLine(doc: Document, path: Path, lineAt: (offset: number) => number): number {
  let node: unknown = doc.contents;
  let line = lineAt(rangeStart(node) ?? 0);
  for (const seg of path) {
    node = resolve(doc, node);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      line = lineAt(rangeStart(pair.key) ?? rangeStart(pair.value) ?? 0);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      const start = rangeStart(resolve(doc, item));
      if (start !== undefined) line = lineAt(start);
      node = item;
    } else {
      break;
    }
  }
  return line;
}

function resolve(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
