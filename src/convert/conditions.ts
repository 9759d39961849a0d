// Kyverno conditions → CEL, for `convert`: `{{ path }}` keys over the attestation predicate
// become field selections on the payload; literals become CEL literals; each operator its CEL
// form. Anything else (JMESPath functions, projections, image variables) has no translation.

const PATH = /^[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*$/;

/** A condition key or value as CEL over `payload`; undefined when it is not a plain path or literal. */
export function celOperand(v: unknown, payload: string, attestationName: string | undefined): string | undefined {
  if (typeof v === 'string') {
    const m = /^\s*\{\{\s*(.+)\s*\}\}\s*$/s.exec(v);
    if (m) return celExpression(m[1]!.trim(), payload, attestationName);
    if (v.includes('{{')) return undefined;
    return JSON.stringify(v);
  }
  return literal(v);
}

/** A JMESPath expression: a path, a one-level projection, or regex_match over one. */
function celExpression(expr: string, payload: string, attestationName: string | undefined): string | undefined {
  const regex = /^regex_match\(\s*'((?:[^'\\]|\\.)*)'\s*,\s*'\{\{\s*([^{}]+?)\s*\}\}'\s*\)$/.exec(expr);
  if (regex) {
    const subject = celExpression(regex[2]!, payload, attestationName);
    return subject && `string(${subject}).matches(${JSON.stringify(regex[1])})`;
  }
  // `list[*].field` / `list[].field`: a projection, one level.
  const projection = /^(.+?)\[\*?\]\.([A-Za-z_][\w.-]*)$/.exec(expr);
  if (projection) {
    const list = celKey(projection[1]!, payload, attestationName);
    const field = celKey(projection[2]!, 'e', undefined);
    return list && field && `${list}.map(e, ${field})`;
  }
  return celKey(expr, payload, attestationName);
}

/** `a.b[0].c-d` → `payload.a.b[0]["c-d"]`; the attestation's name may prefix it. */
export function celKey(path: string, payload: string, attestationName: string | undefined): string | undefined {
  let p = path.trim();
  if (attestationName && (p === attestationName || p.startsWith(`${attestationName}.`))) p = p.slice(attestationName.length).replace(/^\./, '');
  if (p === '' || p === '@') return payload;
  if (!PATH.test(p) || p.startsWith('image.') || p === 'image') return undefined;
  let out = payload;
  for (const seg of p.match(/[^.[\]]+|\[\d+\]/g) ?? []) {
    if (seg.startsWith('[')) out += seg;
    else out += /^[A-Za-z_]\w*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function literal(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return v.includes('{{') ? undefined : JSON.stringify(v);
  if (Array.isArray(v)) {
    const items = v.map(literal);
    return items.includes(undefined) ? undefined : `[${items.join(', ')}]`;
  }
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, literal(x)] as const);
    return entries.some(([, x]) => x === undefined) ? undefined : `{${entries.map(([k, x]) => `${JSON.stringify(k)}: ${x}`).join(', ')}}`;
  }
  return undefined;
}

/** One Kyverno operator (common_types.go) as CEL over key K and value V. */
export function celCondition(operator: string, k: string, v: string, rawValue: unknown): string | undefined {
  const list = Array.isArray(rawValue) ? v : `[${v}]`;
  const isList = `type(${k}) == list`;
  switch (operator) {
    case 'Equals':
    case 'Equal':
      return typeof rawValue === 'string' && /[*?]/.test(rawValue) && !rawValue.includes('{{') ? `string(${k}).matches(${JSON.stringify(wildcard(rawValue))})` : `${k} == ${v}`;
    case 'NotEquals':
    case 'NotEqual':
      return typeof rawValue === 'string' && /[*?]/.test(rawValue) && !rawValue.includes('{{') ? `!string(${k}).matches(${JSON.stringify(wildcard(rawValue))})` : `${k} != ${v}`;
    case 'In':
    case 'AllIn':
      return `(${isList} ? ${k}.all(x, x in ${list}) : ${k} in ${list})`;
    case 'AnyIn':
      return `(${isList} ? ${k}.exists(x, x in ${list}) : ${k} in ${list})`;
    case 'NotIn':
    case 'AllNotIn':
      return `(${isList} ? ${k}.all(x, !(x in ${list})) : !(${k} in ${list}))`;
    case 'AnyNotIn':
      return `(${isList} ? ${k}.exists(x, !(x in ${list})) : !(${k} in ${list}))`;
    case 'GreaterThan':
      return `double(${k}) > double(${v})`;
    case 'GreaterThanOrEquals':
      return `double(${k}) >= double(${v})`;
    case 'LessThan':
      return `double(${k}) < double(${v})`;
    case 'LessThanOrEquals':
      return `double(${k}) <= double(${v})`;
    case 'DurationGreaterThan':
      return `duration(${k}) > duration(${v})`;
    case 'DurationGreaterThanOrEquals':
      return `duration(${k}) >= duration(${v})`;
    case 'DurationLessThan':
      return `duration(${k}) < duration(${v})`;
    case 'DurationLessThanOrEquals':
      return `duration(${k}) <= duration(${v})`;
    default:
      return undefined;
  }
}

function wildcard(pattern: string): string {
  return `^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`;
}
