// Policy files as YAML documents that remember where each node was written,
// so every loader can answer "which line is path X on" for its exit-2 errors.
// Read with js-yaml, whose node events give every node's line, unless the text uses a feature
// where it and `yaml` could disagree or js-yaml rejects it: then `yaml` reads it (its errors,
// its lines), exactly as before. `yaml` is loaded only then: most runs start without it.

import type * as JsYaml from 'js-yaml';
import type { Document, Node } from 'yaml';
import { countLines, documentRanges, jsYaml, MAX_DEPTH, needsYaml, skipSeparation, spansLinesQuotedOrFlow, WHOLE_TEXT } from '../manifests/js-yaml-core.js';
import { yamlLib } from '../manifests/yaml-lib.js';
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
  return fastPolicyDocuments(text, file) ?? yamlPolicyDocuments(text, file);
}

/** The documents and their objects as parsePolicyDocuments gives them, from a value and its line lookup. */
function objectsOf(value: unknown, file: string, lineOf: (path: Path) => number, out: PolicyDocument[]): void {
  if (!isRecord(value)) return; // scalars and lists at top level are not Kubernetes objects
  if (value['kind'] === 'List' && Array.isArray(value['items'])) {
    value['items'].forEach((item, i) => {
      if (!isRecord(item)) return;
      const sub = (path: Path): number => lineOf(['items', i, ...path]);
      out.push({ file, line: sub([]), value: item, lineOf: sub });
    });
    return;
  }
  out.push({ file, line: lineOf([]), value, lineOf });
}

/** js-yaml's reading, or undefined when `yaml` must read the text (see the header). */
export function fastPolicyDocuments(text: string, file: string): PolicyDocument[] | undefined {
  if (WHOLE_TEXT.test(text) || needsYaml(text)) return undefined;
  const { load, schema } = jsYaml();
  const out: PolicyDocument[] = [];
  for (const { start, end, line } of documentRanges(text)) {
    const source = text.slice(start, end);
    const events = new NodeEvents(source);
    let value: unknown;
    try {
      value = load(source, { schema, listener: events.listener, filename: file });
    } catch {
      return undefined;
    }
    if (events.needsYaml) return undefined;
    const root = events.root;
    if (value !== undefined && value !== null && root) {
      const lineAt = (offset: number) => line + countLines(source, 0, offset);
      objectsOf(value, file, (path) => eventLine(root, path, lineAt), out);
    }
  }
  return out;
}

/** A node as js-yaml's events saw it: where its first character is, its children in order (a mapping's alternate key, value). */
interface EventNode {
  start: number;
  kind: string | null;
  /** A scalar's value (mapping keys). */
  value?: unknown;
  children: EventNode[];
}

/**
 * Collects the node tree of one document from js-yaml's open/close events. Sets needsYaml where
 * `yaml` could place or read a node differently — a quoted scalar or flow collection over several
 * lines, a null key, deep nesting — and where the events do not line up with the value (js-yaml
 * sends none for an empty sequence item or a flow key without value): then a child's index
 * would not be its place.
 */
class NodeEvents {
  needsYaml = false;
  root: EventNode | undefined;
  private readonly stack: { position: number; line: number; children: EventNode[] }[] = [];

  constructor(private readonly source: string) {}

  readonly listener = (event: JsYaml.EventType, state: JsYaml.State): void => {
    if (event === 'open') {
      if (this.stack.length >= MAX_DEPTH) this.needsYaml = true;
      this.stack.push({ position: state.position, line: state.line, children: [] });
      return;
    }
    const frame = this.stack.pop()!;
    const start = skipSeparation(this.source, frame.position);
    if (spansLinesQuotedOrFlow(this.source, start, frame.line, state.line)) this.needsYaml = true;
    const result: unknown = state.result;
    if (state.kind === 'mapping') {
      // A null key (`~:`, `null:`, `: x`): "null" to js-yaml, "" to `yaml`.
      if (!isRecord(result) || Object.hasOwn(result, 'null') || frame.children.length !== 2 * Object.keys(result).length) this.needsYaml = true;
    } else if (state.kind === 'sequence') {
      if (!Array.isArray(result) || frame.children.length !== result.length) this.needsYaml = true;
    }
    // A scalar is a leaf (js-yaml may have read it once as a would-be key: an event inside it).
    const node: EventNode = state.kind === 'scalar' ? { start, kind: 'scalar', value: result, children: [] } : { start, kind: state.kind, children: frame.children };
    const parent = this.stack[this.stack.length - 1];
    if (parent) parent.children.push(node);
    else this.root = node;
  };
}

/** nodeLine() over the events' tree. */
function eventLine(root: EventNode, path: Path, lineAt: (offset: number) => number): number {
  let node = root;
  let line = lineAt(node.start);
  for (const seg of path) {
    if (node.kind === 'mapping') {
      let i = 0;
      while (i + 1 < node.children.length && !(node.children[i]!.kind === 'scalar' && String(node.children[i]!.value) === String(seg))) i += 2;
      if (i + 1 >= node.children.length) break;
      line = lineAt(node.children[i]!.start);
      node = node.children[i + 1]!;
    } else if (node.kind === 'sequence' && typeof seg === 'number') {
      const item = node.children[seg];
      if (item === undefined) break;
      line = lineAt(item.start);
      node = item;
    } else {
      break;
    }
  }
  return line;
}

/** `yaml`'s reading: every document, its errors, each node's range. */
export function yamlPolicyDocuments(text: string, file: string): PolicyDocument[] {
  const lineCounter = new (yamlLib().LineCounter)();
  const docs = yamlLib().parseAllDocuments(text, { lineCounter, prettyErrors: false, merge: true });
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
    objectsOf(value, file, (path) => nodeLine(doc, path, lineAt), out);
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
    if (yamlLib().isMap(node)) {
      const pair = node.items.find((p) => yamlLib().isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      line = lineAt(rangeStart(pair.key) ?? rangeStart(pair.value) ?? 0);
      node = pair.value;
    } else if (yamlLib().isSeq(node) && typeof seg === 'number') {
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
  return yamlLib().isAlias(node) ? node.resolve(doc) : node;
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}
