// The read path for verification: the same Kubernetes objects and image positions as
// parseManifests(), about ten times faster on large rendered output. Documents are cut at their
// `---` lines and read with js-yaml, whose node events give the offsets of the `image` (and
// `reference`) values; everything else a position is asked for (custom resource fields) is read
// from a full `yaml` parse of that one document, on demand. Documents using YAML features where
// the two parsers could disagree (anchors, aliases, tags, merge keys, complex or null keys,
// directives) and any text js-yaml rejects go through parseManifests() itself, so errors and
// those documents are exactly as before. Pure.

import type * as JsYaml from 'js-yaml';
import type { Document, LineCounter, YAMLMap } from 'yaml';
import { countLines, documentRanges, jsYaml, MAX_DEPTH, needsYaml, skipSeparation, spansLinesQuotedOrFlow, WHOLE_TEXT } from './js-yaml-core.js';
import { yamlLib } from './yaml-lib.js';
import { isKubernetesObject, MAX_ALIAS_COUNT, parseManifests, unread, type TextBase } from './parse.js';
import type { ManifestObject, ManifestYaml } from './types.js';

export function parseManifestsFast(text: string, file: string, base?: TextBase): ManifestObject[] {
  return [...readManifests(text, file, base)];
}

/**
 * The objects of `text` one document at a time: a consumer that keeps only what it extracts
 * holds one document in memory, not the file. When js-yaml cannot read a document, the whole
 * text is read by parseManifests() (its error, or its objects from that document on).
 */
export function* readManifests(text: string, file: string, base: TextBase = { offset: 0, line: 1 }): Generator<ManifestObject> {
  if (WHOLE_TEXT.test(text)) return yield* parseManifests(text, file, base);
  for (const { start, end, line } of documentRanges(text, base.line)) {
    if (end === start) continue;
    const objects = readDocument(text, start, end, line, file, base.offset);
    if (!objects) {
      // Everything before this document was read alike by both parsers (tested): the rest from `yaml`.
      return yield* parseManifests(text, file, base).filter((o) => o.line >= line);
    }
    yield* objects;
  }
}

/** The objects of one document `text[start, end)` starting on `line`; undefined when it must be read with the whole text. */
function readDocument(text: string, start: number, end: number, line: number, file: string, offset: number): ManifestObject[] | undefined {
  const source = text.slice(start, end);
  const document = new DocumentText(source, offset + start, line, file);
  if (needsYaml(source)) return document.objectsFromYaml();
  const { load, schema } = jsYaml();
  // One reader for all documents: parsing is synchronous, and its tables are reset per document.
  const events = (sharedEvents ??= new ImageEvents());
  events.reset(source);
  let value: unknown;
  try {
    value = load(source, { schema, listener: events.listener, filename: file });
  } catch {
    return undefined;
  }
  if (events.needsYaml) return document.objectsFromYaml();
  const out: ManifestObject[] = [];
  collect(value, [], document, events.result(), out);
  return out;
}

let sharedEvents: ImageEvents | undefined;

/** `items`: the List item indices leading to `value` (Lists flattened as parseManifests does). */
function collect(value: unknown, items: number[], document: DocumentText, found: FoundPositions, out: ManifestObject[]): void {
  if (!isKubernetesObject(value)) return;
  const kind = value.kind as string;
  if (kind.endsWith('List') && Array.isArray(value.items)) {
    value.items.forEach((item, i) => collect(item, [...items, i], document, found, out));
    return;
  }
  out.push(new FastManifestObject(value, items, document, found));
}

/** What the events found in one document: image value offsets by their mapping, object starts. */
interface FoundPositions {
  images: Map<object, Map<string, number>> | undefined;
  starts: Map<object, number> | undefined;
  rootStart: number;
}

/**
 * An object read by the fast path. Image positions come from the events; the full `yaml` nodes
 * (custom resource fields, byte ranges) are parsed from its document on first use.
 */
class FastManifestObject implements ManifestObject {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  // Private: parser handles stay out of JSON output and deep equality, as parseManifests' do.
  readonly #items: readonly number[];
  readonly #document: DocumentText;
  readonly #found: FoundPositions;
  #yaml: ManifestYaml | undefined;

  constructor(
    readonly object: Record<string, unknown>,
    items: readonly number[],
    document: DocumentText,
    found: FoundPositions,
  ) {
    const at = document.position(found.starts?.get(object) ?? found.rootStart);
    this.file = document.file;
    this.line = at.line;
    this.column = at.column;
    this.#items = items;
    this.#document = document;
    this.#found = found;
  }

  get yaml(): ManifestYaml | undefined {
    return (this.#yaml ??= this.#document.yamlFor(this.#items));
  }

  valueAt(parent: object, key: string): { line: number; column: number } | undefined {
    const offset = this.#found.images?.get(parent)?.get(key);
    return offset === undefined ? undefined : this.#document.position(offset);
  }
}

/**
 * js-yaml's node events, reduced to what positions need: the offset where each `image` /
 * `reference` string value starts (by the mapping object holding it) and where each mapping with
 * apiVersion starts (objects, List items). In a mapping the children close as key, value, key,
 * value…; a pair is recorded only when the finished mapping really holds that value.
 */
class ImageEvents {
  /** Set when the document needs `yaml` after all: a quoted scalar or flow collection over several lines, a null key, deep nesting. */
  needsYaml = false;
  private source = '';
  private images: Map<object, Map<string, number>> | undefined;
  private starts: Map<object, number> | undefined;
  private rootStart = 0;
  /** Per depth: offset and line where the open node began, children closed so far, which image key the last key was (0: none). */
  private readonly open = new Int32Array(MAX_DEPTH + 2);
  private readonly openLine = new Int32Array(MAX_DEPTH + 2);
  private readonly count = new Int32Array(MAX_DEPTH + 2);
  private readonly lastKey = new Uint8Array(MAX_DEPTH + 2);
  /** Candidate `image`/`reference` values: depth of the pair, key, value, where the value starts. */
  private readonly pending: { depth: number; key: string; value: string; offset: number }[] = [];
  /** Nesting depth of the node an event is about (1: the document's root). */
  private depth = 0;

  reset(source: string): void {
    this.source = source;
    this.needsYaml = false;
    this.images = undefined;
    this.starts = undefined;
    this.rootStart = 0;
    this.depth = 0;
    this.pending.length = 0;
  }

  result(): FoundPositions {
    return { images: this.images, starts: this.starts, rootStart: this.rootStart };
  }

  readonly listener = (event: JsYaml.EventType, state: JsYaml.State): void => {
    if (event === 'open') {
      const d = ++this.depth;
      if (d > MAX_DEPTH) return void (this.needsYaml = true);
      this.open[d] = state.position;
      this.openLine[d] = state.line;
      this.count[d + 1] = 0;
      this.lastKey[d + 1] = 0;
      return;
    }
    const d = this.depth--;
    if (d > MAX_DEPTH) return;
    const index = this.count[d]!++;
    const result = state.result;
    const open = this.open[d]!;
    if (spansLinesQuotedOrFlow(this.source, skipSeparation(this.source, open), this.openLine[d]!, state.line)) this.needsYaml = true;
    if (state.kind === 'scalar') {
      // In a mapping, even children are keys and odd ones their values.
      if ((index & 1) === 0) this.lastKey[d] = result === 'image' ? 1 : result === 'reference' ? 2 : 0;
      else if (this.lastKey[d] !== 0 && typeof result === 'string') {
        this.pending.push({ depth: d, key: this.lastKey[d] === 1 ? 'image' : 'reference', value: result, offset: skipSeparation(this.source, open) });
      }
    } else if ((index & 1) === 0) this.lastKey[d] = 0;
    if (state.kind === 'mapping' && typeof result === 'object' && result !== null) this.mappingClosed(result as Record<string, unknown>, d, open);
    // Candidates below this node belong to it (or to a sequence): never to a later mapping.
    while (this.pending.length > 0 && this.pending[this.pending.length - 1]!.depth > d) this.pending.pop();
  };

  private mappingClosed(map: Record<string, unknown>, d: number, open: number): void {
    // A null key (`~:`, `null:`, `: x`): "null" to js-yaml, "" to `yaml`.
    if (Object.hasOwn(map, 'null')) this.needsYaml = true;
    for (let i = this.pending.length - 1; i >= 0 && this.pending[i]!.depth === d + 1; i--) {
      const p = this.pending[i]!;
      if (map[p.key] !== p.value) continue;
      this.images ??= new Map();
      let byKey = this.images.get(map);
      if (!byKey) this.images.set(map, (byKey = new Map()));
      if (!byKey.has(p.key)) byKey.set(p.key, p.offset);
    }
    if (typeof map.apiVersion === 'string') (this.starts ??= new Map()).set(map, skipSeparation(this.source, open));
    if (d === 1) this.rootStart = skipSeparation(this.source, open);
  }
}

/** One document's text with where it sits in its file. */
class DocumentText {
  constructor(
    readonly source: string,
    readonly offset: number,
    readonly line: number,
    readonly file: string,
  ) {}

  /** File line and 1-based column of an offset in the document. */
  position(offset: number): { line: number; column: number } {
    const lineStart = this.source.lastIndexOf('\n', offset - 1) + 1;
    return { line: this.line + countLines(this.source, 0, offset), column: offset - lineStart + 1 };
  }

  private parsed(): { doc: Document; lineCounter: LineCounter } | undefined {
    const lineCounter = new (yamlLib().LineCounter)();
    const [doc] = yamlLib().parseAllDocuments(this.source, { lineCounter, merge: true, prettyErrors: false });
    return doc ? { doc, lineCounter } : undefined;
  }

  private handle(doc: Document, node: YAMLMap, lineCounter: LineCounter): ManifestYaml {
    return {
      doc,
      node,
      offset: this.offset,
      linePos: (offset: number) => {
        const p = lineCounter.linePos(offset);
        return { line: p.line + this.line - 1, col: p.col };
      },
    };
  }

  /** The `yaml` nodes of an object: the root, or the List item at these indices (the List's node for an alias, as parseManifests does). */
  yamlFor(items: readonly number[]): ManifestYaml | undefined {
    const p = this.parsed();
    const root = p?.doc.contents;
    if (!p || !yamlLib().isMap(root)) return undefined;
    let node: YAMLMap = root;
    for (const i of items) {
      const list = node;
      const itemsNode = list.get('items', true);
      const item: unknown = yamlLib().isSeq(itemsNode) ? itemsNode.items[i] : undefined;
      node = yamlLib().isMap(item) ? (item as YAMLMap) : list;
    }
    return this.handle(p.doc, node, p.lineCounter);
  }

  /**
   * The document read entirely by `yaml`, as parseManifests() reads it (positions in the file);
   * undefined when it is not readable, so the caller reports the error exactly as before.
   */
  objectsFromYaml(): ManifestObject[] | undefined {
    const p = this.parsed();
    if (!p) return [];
    const at = (offset: number) => {
      const { line, col } = p.lineCounter.linePos(offset);
      return { file: this.file, line: line + this.line - 1, column: col };
    };
    if (p.doc.errors.length > 0 || unread(this.source, [p.doc]) !== undefined) return undefined;
    const root = p.doc.contents;
    if (!yamlLib().isMap(root)) return [];
    let value: unknown;
    try {
      value = p.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch {
      return undefined;
    }
    const out: ManifestObject[] = [];
    const visit = (v: unknown, node: YAMLMap) => {
      if (!isKubernetesObject(v)) return;
      const kind = v.kind as string;
      if (kind.endsWith('List') && Array.isArray(v.items)) {
        const itemsNode = node.get('items', true);
        const itemNodes = yamlLib().isSeq(itemsNode) ? itemsNode.items : [];
        v.items.forEach((item, i) => visit(item, yamlLib().isMap(itemNodes[i]) ? (itemNodes[i] as YAMLMap) : node));
        return;
      }
      const obj: ManifestObject = { ...at(node.range?.[0] ?? 0), object: v };
      Object.defineProperty(obj, 'yaml', { value: this.handle(p.doc, node, p.lineCounter), enumerable: false });
      out.push(obj);
    };
    visit(value, root);
    return out;
  }
}
