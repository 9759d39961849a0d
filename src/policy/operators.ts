// Kyverno's condition operators (pkg/engine/variables/operator), on values whose
// variables are already substituted. Pure. Quirks kept on purpose: a type Kyverno
// does not handle makes the operator false, for the negative operators too.

import { kyvernoGlobMatch as wildcard } from '../images/glob.js';
import type { ConditionOperator } from './model.js';
import { compareSemver, parseFloatStrict, parseGoDuration, parseQuantity, parseSemver } from './scalars.js';

export const OPERATORS: readonly ConditionOperator[] = [
  'Equals', 'NotEquals', 'Equal', 'NotEqual',
  'In', 'AnyIn', 'AllIn', 'NotIn', 'AnyNotIn', 'AllNotIn',
  'GreaterThan', 'GreaterThanOrEquals', 'LessThan', 'LessThanOrEquals',
  'DurationGreaterThan', 'DurationGreaterThanOrEquals', 'DurationLessThan', 'DurationLessThanOrEquals',
];

export function isOperator(op: string): op is ConditionOperator {
  return (OPERATORS as readonly string[]).includes(op);
}

export function applyOperator(op: ConditionOperator, key: unknown, value: unknown): boolean {
  switch (op) {
    case 'Equals':
    case 'Equal':
      return equals(key, value);
    case 'NotEquals':
    case 'NotEqual':
      return !equals(key, value);
    case 'In':
      return inSet(key, value, 'in');
    case 'NotIn':
      return inSet(key, value, 'notIn');
    case 'AnyIn':
      return inSet(key, value, 'anyIn');
    case 'AllIn':
      return inSet(key, value, 'allIn');
    case 'AnyNotIn':
      return inSet(key, value, 'anyNotIn');
    case 'AllNotIn':
      return inSet(key, value, 'allNotIn');
    case 'GreaterThan':
      return ordered(compare(key, value), (c) => c > 0);
    case 'GreaterThanOrEquals':
      return ordered(compare(key, value), (c) => c >= 0);
    case 'LessThan':
      return ordered(compare(key, value), (c) => c < 0);
    case 'LessThanOrEquals':
      return ordered(compare(key, value), (c) => c <= 0);
    case 'DurationGreaterThan':
      return ordered(compareDurations(key, value), (c) => c > 0);
    case 'DurationGreaterThanOrEquals':
      return ordered(compareDurations(key, value), (c) => c >= 0);
    case 'DurationLessThan':
      return ordered(compareDurations(key, value), (c) => c < 0);
    case 'DurationLessThanOrEquals':
      return ordered(compareDurations(key, value), (c) => c <= 0);
  }
}

function ordered(c: number | undefined, test: (c: number) => boolean): boolean {
  return c !== undefined && !Number.isNaN(c) && test(c);
}

/** Go's fmt.Sprint for JSON scalars. */
function sprint(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// --- Equals -------------------------------------------------------------------

function equals(key: unknown, value: unknown): boolean {
  if (typeof key === 'boolean') return typeof value === 'boolean' && key === value;
  if (typeof key === 'number') {
    if (typeof value === 'number') return key === value;
    if (typeof value === 'string') return parseFloatStrict(value) === key;
    return false;
  }
  if (typeof key === 'string') {
    // Durations first: the only form that may compare with another type (`5s` Equals 5).
    const d = durations(key, value);
    if (d) return d[0] === d[1];
    if (typeof value === 'string') {
      const qk = parseQuantity(key);
      const qv = parseQuantity(value);
      if (qk !== undefined && qv !== undefined) return qk === qv;
      return wildcard(value, key);
    }
    return false;
  }
  if (key === null || key === undefined) return value === null || value === undefined;
  return deepEqual(key, value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as never)[k], (b as never)[k]));
}

// --- set operators -----------------------------------------------------------

type SetOp = 'in' | 'notIn' | 'anyIn' | 'allIn' | 'anyNotIn' | 'allNotIn';

function inSet(key: unknown, value: unknown, op: SetOp): boolean {
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') {
    const found = scalarIn(sprint(key), value);
    if (found === undefined) return false; // Kyverno: invalid value type → false whatever the operator
    return op === 'in' || op === 'anyIn' || op === 'allIn' ? found : !found;
  }
  if (!Array.isArray(key)) return false;
  const keys = key.map(sprint);
  const values = valueList(keys, value);
  if (values === undefined) return false;
  if (values === 'single') return op === 'in' || op === 'anyIn' || op === 'allIn';
  switch (op) {
    case 'in': // deprecated: exact set inclusion, no wildcards
      return keys.every((k) => values.includes(k));
    case 'notIn':
      return !keys.every((k) => values.includes(k));
    case 'anyIn':
      return keys.some((k) => values.some((v) => matchEither(k, v)));
    case 'allIn':
      return keys.every((k) => values.some((v) => matchEither(k, v)));
    case 'anyNotIn':
      return keys.some((k) => !values.some((v) => matchEither(k, v)));
    case 'allNotIn':
      return keys.every((k) => !values.some((v) => matchEither(k, v)));
  }
}

function matchEither(a: string, b: string): boolean {
  return wildcard(a, b) || wildcard(b, a);
}

/** A scalar key against the value: true/false, or undefined when Kyverno finds the value's type invalid. */
function scalarIn(key: string, value: unknown): boolean | undefined {
  if (Array.isArray(value)) return value.some((v) => matchEither(sprint(v), key));
  if (typeof value === 'string') {
    if (wildcard(value, key)) return true;
    const arr = jsonStringArray(value);
    return arr === undefined ? undefined : arr.includes(key);
  }
  return undefined;
}

/** The value as a list for a list key; `single` when a one-element key equals a string value. */
function valueList(keys: string[], value: unknown): string[] | 'single' | undefined {
  if (Array.isArray(value)) return value.map(sprint);
  if (typeof value === 'string') {
    if (keys.length === 1 && keys[0] === value) return 'single';
    return jsonStringArray(value);
  }
  return undefined;
}

function jsonStringArray(text: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

// --- numeric / duration ------------------------------------------------------

/** Seconds of a duration operand: a number is seconds, a string a Go duration. */
function durationOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseGoDuration(v);
  return undefined;
}

/** Kyverno's parseDuration: both sides durations, at least one written as a duration string. */
function durations(key: unknown, value: unknown): [number, number] | undefined {
  if (typeof key !== 'string' && typeof value !== 'string') return undefined;
  const k = durationOf(key);
  const v = durationOf(value);
  if (k === undefined || v === undefined) return undefined;
  // A bare "0" string is a valid Go duration, but then "0" vs 5 is numeric either way.
  return [k, v];
}

function compareDurations(key: unknown, value: unknown): number | undefined {
  const k = durationOf(key);
  const v = durationOf(value);
  return k === undefined || v === undefined ? undefined : k - v;
}

/** Kyverno's NumericOperatorHandler order: durations, quantities, versions, then floats. */
function compare(key: unknown, value: unknown): number | undefined {
  if (typeof key === 'number') {
    if (typeof value === 'number') return key - value;
    if (typeof value === 'string') {
      const d = durations(key, value);
      if (d) return d[0] - d[1];
      const f = parseFloatStrict(value);
      return f === undefined ? undefined : key - f;
    }
    return undefined;
  }
  if (typeof key !== 'string') return undefined;
  const d = durations(key, value);
  if (d) return d[0] - d[1];
  if (typeof value === 'string') {
    const qk = parseQuantity(key);
    const qv = parseQuantity(value);
    if (qk !== undefined && qv !== undefined) return qk - qv;
    const vk = parseSemver(key);
    const vv = parseSemver(value);
    if (vk && vv) return compareSemver(vk, vv);
  }
  const f = parseFloatStrict(key);
  if (f === undefined) return undefined;
  if (typeof value === 'number') return f - value;
  if (typeof value === 'string') {
    const g = parseFloatStrict(value);
    return g === undefined ? undefined : f - g;
  }
  return undefined;
}
