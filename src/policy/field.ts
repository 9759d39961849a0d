// Typed, position-aware access to a policy document: every "wrong type" or
// "missing field" becomes a PolicyError naming the file and the line.

import { isRecord, type Path, type PolicyDocument } from './document.js';
import { PolicyError } from './model.js';

export class Field {
  constructor(
    readonly doc: PolicyDocument,
    readonly path: Path,
    readonly value: unknown,
  ) {}

  static root(doc: PolicyDocument): Field {
    return new Field(doc, [], doc.value);
  }

  get line(): number {
    return this.doc.lineOf(this.path);
  }

  get file(): string {
    return this.doc.file;
  }

  /** Present and not null. */
  get exists(): boolean {
    return this.value !== undefined && this.value !== null;
  }

  /** `rules[0].verifyImages[1]`, relative to `from` (a prefix of this path). */
  rel(from: Field | Path = []): string {
    const base = from instanceof Field ? from.path : from;
    return formatPath(this.path.slice(base.length));
  }

  at(key: string | number): Field {
    const v = this.value;
    const child = typeof key === 'number' ? (Array.isArray(v) ? v[key] : undefined) : isRecord(v) ? v[key] : undefined;
    return new Field(this.doc, [...this.path, key], child);
  }

  error(message: string): PolicyError {
    return new PolicyError(`${formatPath(this.path) || 'document'}: ${message}`, { file: this.file, line: this.line });
  }

  string(): string | undefined {
    if (!this.exists) return undefined;
    if (typeof this.value !== 'string') throw this.error('must be a string');
    return this.value;
  }

  requiredString(): string {
    const s = this.string();
    if (s === undefined || s === '') throw this.error('is required');
    return s;
  }

  bool(fallback: boolean): boolean {
    if (!this.exists) return fallback;
    if (typeof this.value !== 'boolean') throw this.error('must be true or false');
    return this.value;
  }

  integer(): number | undefined {
    if (!this.exists) return undefined;
    if (typeof this.value !== 'number' || !Number.isInteger(this.value)) throw this.error('must be an integer');
    return this.value;
  }

  /** List items; absent is empty. */
  list(): Field[] {
    if (!this.exists) return [];
    if (!Array.isArray(this.value)) throw this.error('must be a list');
    return this.value.map((_, i) => this.at(i));
  }

  /** Map entries; absent is empty. */
  entries(): [string, Field][] {
    if (!this.exists) return [];
    if (!isRecord(this.value)) throw this.error('must be a map');
    return Object.keys(this.value).map((k) => [k, this.at(k)]);
  }

  stringList(): string[] {
    return this.list().map((f) => f.requiredString());
  }

  /** A map of scalars, stringified (annotations, labels). */
  stringMap(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, f] of this.entries()) {
      const v = f.value;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw f.error('must be a string');
      out[k] = String(v);
    }
    return out;
  }

  has(key: string): boolean {
    return this.at(key).exists;
  }
}

export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}
