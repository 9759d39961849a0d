// CEL for ImageValidatingPolicy through @bufbuild/cel: expressions are parsed when the policy
// loads and checked for what the evaluator cannot check (unknown functions and variables), so
// a policy that does not compile is exit 2 at its line; evaluation converts JSON to CEL values
// and back. Functions that need the engine (verifyImageSignatures…) read the evaluation's context.

import { celEnv, type CelEnv, type CelFunc, isCelError, isCelList, isCelMap, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { libraries } from './libraries.js';

/** What the engine answers for the functions that need a registry (see ivpol-rule.ts). */
export interface EvalContext {
  verifySignatures(image: string, attestors: string[]): number;
  verifyAttestations(image: string, attestation: string, attestors: string[]): number;
  extractPayload(image: string, attestation: string): unknown;
  imageData(image: string): unknown;
}

let active: EvalContext | undefined;

/** The context of the evaluation in progress (CEL evaluation is synchronous). */
export function activeContext(): EvalContext {
  if (!active) throw new Error('this function needs the verification engine');
  return active;
}

let env: CelEnv | undefined;
function environment(): CelEnv {
  return (env ??= celEnv({ funcs: [...(strings as CelFunc[]), ...libraries()] }));
}

/** A compiled expression: evaluate with bindings (plain JSON values), in a context. */
export interface CompiledExpr {
  source: string;
  eval(bindings: Record<string, unknown>, ctx?: EvalContext): unknown;
}

/** An evaluation failure: the image's `error`, with the expression's words. */
export class CelRuntimeError extends Error {}

/** Names CEL itself binds in macros and comprehensions. */
const BUILTIN_IDENTS = new Set(['@result', 'null', 'true', 'false', 'int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'type', 'null_type', 'dyn']);

/**
 * Parses `source` and checks it only calls known functions and names known variables (and, with
 * `output`, that a literal result has that type); throws Error with the reason in Kubernetes'
 * field-error words, as Kyverno's policy webhook refuses the policy: `Invalid value: "<expr>":
 * ERROR: <input>:line:column: …` (the loader puts it at the field's file:line).
 */
export function compile(source: string, variables: readonly string[], output?: 'bool' | 'string'): CompiledExpr {
  const refuse = (detail: string) => new Error(`Invalid value: ${JSON.stringify(source)}: ${detail}`);
  let parsed;
  try {
    parsed = parse(source);
  } catch (err) {
    const m = /^<input>:(\d+):(\d+): (.*)/.exec(firstLine((err as Error).message));
    throw refuse(m ? `ERROR: <input>:${m[1]}:${m[2]}: Syntax error: ${m[3]}` : `ERROR: <input>: Syntax error: ${firstLine((err as Error).message)}`);
  }
  const problem = checkNames(parsed.expr, new Set(variables));
  if (problem) {
    const offset = Number((parsed.sourceInfo?.positions as Record<string, number> | undefined)?.[String(problem.id)] ?? 0);
    const before = source.slice(0, offset).split('\n');
    throw refuse(`ERROR: <input>:${before.length}:${before.at(-1)!.length + 1}: ${problem.message}`);
  }
  const literal = output && literalType(parsed.expr);
  if (literal && literal !== output) throw refuse(`output is expected to be of type ${output}, not ${literal}`);
  const program = plan(environment(), parsed);
  return {
    source,
    eval(bindings, ctx) {
      const outer = active;
      active = ctx;
      try {
        const input: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(bindings)) input[k] = toCel(v);
        const result = program(input as never);
        if (isCelError(result)) throw new CelRuntimeError(firstLine(result.message));
        return fromCel(result);
      } finally {
        active = outer;
      }
    },
  };
}

// --- static checks -----------------------------------------------------------------------

interface ExprNode {
  exprKind: { case?: string; value?: any };
}

interface NameProblem {
  message: string;
  id: unknown;
}

/** The type of a result CEL knows without type-checking: a literal, a list or a map at the top. */
function literalType(expr: ExprNode | undefined): string | undefined {
  const { case: kind, value } = expr?.exprKind ?? {};
  if (kind === 'listExpr') return 'list';
  if (kind === 'structExpr') return value.messageName ? value.messageName : 'map';
  if (kind !== 'constExpr') return undefined;
  const c: string | undefined = value.constantKind?.case;
  return ({ boolValue: 'bool', stringValue: 'string', int64Value: 'int', uint64Value: 'uint', doubleValue: 'double', bytesValue: 'bytes', nullValue: 'null_type' } as Record<string, string>)[c ?? ''];
}

function checkNames(expr: ExprNode | undefined, known: ReadonlySet<string>, bound: ReadonlySet<string> = new Set()): NameProblem | undefined {
  if (!expr) return undefined;
  const at = (message: string): NameProblem => ({ message, id: (expr as { id?: unknown }).id });
  const { case: kind, value } = expr.exprKind;
  switch (kind) {
    case 'identExpr':
      return known.has(value.name) || bound.has(value.name) || BUILTIN_IDENTS.has(value.name) ? undefined : at(`undeclared reference to '${value.name}' (in container '')`);
    case 'selectExpr':
      // `a.b.c` may name a qualified function's namespace only in call position: a plain select reads a variable.
      return checkNames(value.operand, known, bound);
    case 'callExpr': {
      const name: string = value.function;
      const qualified = value.target && qualifiedName(value.target);
      const isFunction = (n: string) => environment().funcs.find(n) !== undefined || n.startsWith('_') || n === '@in' || n === '@not_strictly_false';
      if (qualified && isFunction(`${qualified}.${name}`) && !known.has(qualified.split('.')[0]!)) {
        return first(value.args.map((a: ExprNode) => checkNames(a, known, bound)));
      }
      if (!isFunction(name)) return at(`undeclared reference to '${qualified ? `${qualified}.` : ''}${name}' (in container '')`);
      return first([checkNames(value.target, known, bound), ...value.args.map((a: ExprNode) => checkNames(a, known, bound))]);
    }
    case 'listExpr':
      return first(value.elements.map((e: ExprNode) => checkNames(e, known, bound)));
    case 'structExpr':
      return first(value.entries.flatMap((e: { keyKind: { case: string; value: ExprNode }; value: ExprNode }) => [e.keyKind.case === 'mapKey' ? checkNames(e.keyKind.value, known, bound) : undefined, checkNames(e.value, known, bound)]));
    case 'comprehensionExpr': {
      const inner = new Set([...bound, value.iterVar, value.iterVar2, value.accuVar].filter(Boolean));
      return first([
        checkNames(value.iterRange, known, bound),
        checkNames(value.accuInit, known, bound),
        checkNames(value.loopCondition, known, inner),
        checkNames(value.loopStep, known, inner),
        checkNames(value.result, known, inner),
      ]);
    }
    default:
      return undefined;
  }
}

function qualifiedName(expr: ExprNode): string | undefined {
  const { case: kind, value } = expr.exprKind;
  if (kind === 'identExpr') return value.name;
  if (kind === 'selectExpr') {
    const base = qualifiedName(value.operand);
    return base ? `${base}.${value.field}` : undefined;
  }
  return undefined;
}

function first(problems: (NameProblem | undefined)[]): NameProblem | undefined {
  return problems.find((p) => p !== undefined);
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

// --- values ------------------------------------------------------------------------------

/** JSON (from YAML) → CEL input: objects as maps, whole numbers as int, as Kubernetes converts them. */
export function toCel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toCel);
  if (v instanceof Map || v instanceof Uint8Array || v instanceof Date) return v;
  if (v && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return v;
}

/** CEL result → JSON-like: lists as arrays, maps as objects, ints as numbers when safe. */
export function fromCel(v: unknown): unknown {
  if (isCelList(v)) return [...(v as Iterable<unknown>)].map(fromCel);
  if (isCelMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v as unknown as Iterable<[unknown, unknown]>) out[String(k)] = fromCel(x);
    return out;
  }
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), fromCel(x)]));
  if (Array.isArray(v)) return v.map(fromCel);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v && typeof v === 'object' && 'value' in (v as object) && typeof (v as { value: unknown }).value === 'bigint') return Number((v as { value: bigint }).value);
  return v;
}
