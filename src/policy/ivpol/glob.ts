// ImageValidatingPolicy `matchImageReferences[].glob`: gobwas/glob compiled without separators,
// so `*` (and `**`) match any run of characters including `/` and `:`; `?` one character;
// `[abc]`, `[a-z]`, `[!x]` classes; `{a,b}` alternatives; `\` escapes. Matched against the
// image string as written. Pure.

const cache = new Map<string, RegExp>();

export function ivpolGlobMatch(glob: string, image: string): boolean {
  let re = cache.get(glob);
  if (!re) cache.set(glob, (re = new RegExp(`^${translate(glob)}$`, 's')));
  return re.test(image);
}

function translate(glob: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) out += escape(glob[++i]!);
    else if (c === '*') {
      while (glob[i + 1] === '*') i++;
      out += '.*';
    } else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) out += '|';
    else out += escape(c);
  }
  return out + ')'.repeat(depth);
}

function escape(c: string): string {
  return /[.+^${}()|[\]\\*?/]/.test(c) ? `\\${c}` : c;
}
