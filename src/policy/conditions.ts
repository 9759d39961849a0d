// Kyverno attestation `conditions`: `{{ }}` variables resolved with JMESPath over
// the predicate (Kyverno merges the predicate into the context root) and the
// `image.*` special variables, then compared with Kyverno's operators. Pure.

import { kyvernoName, type ImageRef } from '../images/reference.js';
import { jmesCompile, jmesSearch, withClock } from './jmespath.js';
import type { Condition, ConditionBlock } from './model.js';
import { applyOperator } from './operators.js';

/** Kyverno's `image.*` special variables (pkg/utils/image ImageInfo). */
export interface ImageVars {
  reference: string;
  referenceWithTag: string;
  registry: string;
  path: string;
  name: string;
  tag: string;
  digest: string;
}

/** Kyverno's form of the image (docker.io default registry, path as written), pinned to `digest` when given. */
export function imageVars(ref: ImageRef, digest?: string): ImageVars {
  const at = ref.raw.indexOf('@');
  const bare = kyvernoName({ ...ref, raw: at === -1 ? ref.raw : ref.raw.slice(0, at), digest: undefined });
  // bare is registry/path:tag (tag defaulted to latest).
  const slash = bare.indexOf('/');
  const registry = bare.slice(0, slash);
  const rest = bare.slice(slash + 1);
  const colon = rest.lastIndexOf(':');
  const path = rest.slice(0, colon);
  const d = digest ?? ref.digest ?? '';
  // Kyverno defaults the tag to latest only when there is neither tag nor digest.
  const tag = ref.tag ?? (ref.digest ? '' : rest.slice(colon + 1));
  const repo = `${registry}/${path}`;
  const referenceWithTag = tag ? `${repo}:${tag}` : repo;
  return {
    reference: d ? `${repo}@${d}` : referenceWithTag,
    referenceWithTag,
    registry,
    path,
    name: path.slice(path.lastIndexOf('/') + 1),
    tag,
    digest: d,
  };
}

export interface ConditionContext {
  /** The in-toto statement's predicate: the JMESPath root (Kyverno AddJSONObject). */
  predicate: unknown;
  /** The whole statement; not part of Kyverno's context, kept for explanations and CIP-style inputs. */
  statement: unknown;
  image: ImageVars;
  /** Kyverno attestation `name`: the predicate is also reachable under it. */
  name?: string;
  /** Clock for time_since/time_now (tests); default now. */
  now?: Date;
}

export interface ConditionResult {
  ok: boolean;
  reasons: string[];
  /** Conditions that could not be evaluated (a variable that does not resolve): never read as "false" by a deny. */
  errors: string[];
}

/** Every block must hold; in a block all `all` conditions and (when given) one of `any`. */
export function evaluateConditions(blocks: readonly ConditionBlock[], ctx: ConditionContext): ConditionResult {
  const root = contextRoot(ctx);
  return withClock(ctx.now, () => {
    const reasons: string[] = [];
    const errors: string[] = [];
    const checked = (c: Condition) => {
      const r = check(c, root);
      if (r?.error) errors.push(r.reason);
      return r?.reason;
    };
    let ok = true;
    for (const block of blocks) {
      const all = (block.all ?? []).map(checked);
      const any = (block.any ?? []).map(checked);
      const allOk = all.every((r) => r === undefined);
      const anyOk = any.length === 0 || any.some((r) => r === undefined);
      if (!allOk) reasons.push(...all.filter((r): r is string => r !== undefined));
      if (!anyOk) reasons.push(any.length === 1 ? any[0]! : `none of ${any.length} "any" conditions held: ${any.join('; ')}`);
      if (!allOk || !anyOk) ok = false;
    }
    return { ok, reasons, errors };
  });
}

function contextRoot(ctx: ConditionContext): Record<string, unknown> {
  const predicate = isObject(ctx.predicate) ? ctx.predicate : {};
  const root: Record<string, unknown> = { image: ctx.image, ...predicate };
  if (ctx.name && !Object.hasOwn(predicate, ctx.name)) root[ctx.name] = ctx.predicate;
  return root;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** undefined when the condition holds, else the reason (and whether it could not be evaluated at all). */
function check(c: Condition, root: Record<string, unknown>): { reason: string; error?: true } | undefined {
  let key: unknown;
  let value: unknown;
  try {
    key = substitute(c.key, root);
    value = substitute(c.value, root);
  } catch (err) {
    return { reason: `${describe(c)}: cannot evaluate: ${(err as Error).message}`, error: true };
  }
  if (applyOperator(c.operator, key, value)) return undefined;
  const found = `found ${show(key)}, wanted ${c.operator} ${show(value)}`;
  return { reason: c.message ? `${describe(c)}: ${c.message} (${found})` : `${describe(c)}: ${found}` };
}

function describe(c: Condition): string {
  return `condition ${show(c.key)} ${c.operator} ${show(c.value)} (line ${c.line})`;
}

function show(v: unknown): string {
  if (v === undefined) return 'null';
  const s = JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

// Innermost `{{ … }}` first (Kyverno substitutes nested variables inside out); single
// braces are allowed inside for JMESPath multiselect hashes.
const VARIABLE = /\{\{((?:[^{}]|\{[^{}]*\})*)\}\}/;

/** Every `{{ }}` in strings of a JSON value replaced; a string that is one variable takes its value's type. */
export function substitute(v: unknown, root: unknown): unknown {
  if (typeof v === 'string') return substituteString(v, root);
  if (Array.isArray(v)) return v.map((x) => substitute(x, root));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, root)]));
  return v;
}

function substituteString(text: string, root: unknown): unknown {
  let s = text;
  for (let guard = 0; guard < 100; guard++) {
    const m = VARIABLE.exec(s);
    if (!m) return s;
    const result = resolve(m[1]!.trim(), root);
    if (m[0].length === s.length) return result;
    s = s.slice(0, m.index) + (typeof result === 'string' ? result : JSON.stringify(result ?? null)) + s.slice(m.index + m[0].length);
  }
  throw new Error(`too many nested variables in ${text}`);
}

function resolve(expression: string, root: unknown): unknown {
  // `@` alone is the whole context in Kyverno; JMESPath agrees.
  const result = jmesSearch(root, expression);
  return result === undefined ? null : result;
}

/**
 * The JMESPath problems of a condition key/value, checked at load time (exit 2):
 * every variable must parse once its inner variables are replaced.
 */
export function conditionSyntaxError(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.map(conditionSyntaxError).find((e) => e !== undefined);
  if (isObject(v)) return Object.values(v).map(conditionSyntaxError).find((e) => e !== undefined);
  if (typeof v !== 'string') return undefined;
  let s = v;
  for (let guard = 0; guard < 100; guard++) {
    const m = VARIABLE.exec(s);
    if (!m) return undefined;
    const expression = m[1]!.trim();
    try {
      jmesCompile(expression);
    } catch (err) {
      return `invalid JMESPath {{ ${expression} }}: ${(err as Error).message}`;
    }
    s = s.slice(0, m.index) + 'x' + s.slice(m.index + m[0].length);
  }
  return 'too many nested variables';
}
