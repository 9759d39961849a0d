// JSON read as cosign 3.1.6 reads signed payloads (encoding/json/v2, sigstore/cosign#5252): a
// member name given twice in one object, anywhere, makes the document unreadable; where a
// document is decoded into Go structs (encoding/json v1 matched field names without regard to
// case), two names that differ only by case are refused too. Otherwise two parsers could read
// one signed payload two ways, and a signature would vouch for what the signer never saw.

type Path = readonly (string | number)[];

/** Which objects hold struct fields (names compared without case); the others are maps (exact names). */
export type StructFields = (path: Path) => boolean;

export class AmbiguousJsonError extends Error {
  override name = 'AmbiguousJsonError';
}

/**
 * JSON.parse, after checking member names. Throws SyntaxError for text that is not JSON and
 * AmbiguousJsonError (naming the member) for a duplicate or case-variant name.
 */
export function parseStrictJson(text: string, structFields: StructFields = () => false): unknown {
  const value: unknown = JSON.parse(text);
  checkMemberNames(text, structFields);
  return value;
}

interface Frame {
  kind: 'object' | 'array';
  path: (string | number)[];
  names?: Map<string, string>;
  expectName?: boolean;
  index?: number;
  /** The member or element being read: where a nested value sits. */
  current?: string | number;
}

/** Walks valid JSON text (JSON.parse has accepted it) and checks each object's member names. */
function checkMemberNames(text: string, structFields: StructFields): void {
  const stack: Frame[] = [];
  const childPath = (): (string | number)[] => {
    const top = stack.at(-1);
    return top ? [...top.path, top.current ?? 0] : [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '{' || c === '[') {
      const path = childPath();
      stack.push(c === '{' ? { kind: 'object', path, names: new Map(), expectName: true } : { kind: 'array', path, index: 0, current: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.kind === 'object') top.expectName = true;
      else if (top?.kind === 'array') top.current = top.index = (top.index ?? 0) + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack.at(-1);
      if (top?.kind === 'object' && top.expectName) {
        const name = JSON.parse(text.slice(i, j + 1)) as string;
        const where = [...top.path, name].join('.') || '(top level)';
        const caseless = structFields(top.path);
        const key = caseless ? name.toLowerCase() : name;
        const seen = top.names!.get(key);
        if (seen !== undefined) {
          throw new AmbiguousJsonError(seen === name ? `member "${where}" appears twice` : `members "${seen}" and "${name}" differ only by case at ${top.path.join('.') || 'the top level'}`);
        }
        top.names!.set(key, name);
        top.expectName = false;
        top.current = name;
      }
      i = j;
    }
  }
}
