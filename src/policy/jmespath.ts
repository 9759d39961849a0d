// JMESPath as Kyverno speaks it: the community JMESPath library plus the Kyverno
// custom functions policies in the wild use (regex_match, time_since, to_upper…).
// Kyverno's full function list is longer; an unknown function is a policy error at load.

import { createRequire } from 'node:module';
import type * as Jmes from '@jmespath-community/jmespath';
import { kyvernoGlobMatch } from '../images/glob.js';
import { goRegExp } from './regexp.js';
import { formatGoDuration, parseGoDuration } from './scalars.js';

let clock: () => Date = () => new Date();

/** Runs `fn` with `now` as the time seen by time_since/time_now (keeps evaluation pure for tests). */
export function withClock<T>(now: Date | undefined, fn: () => T): T {
  if (!now) return fn();
  const saved = clock;
  clock = () => now;
  try {
    return fn();
  } finally {
    clock = saved;
  }
}

type JSONValue = Jmes.JSONValue;

// Loaded on first use (its CommonJS build, synchronously): only policies with
// conditions need it, and the CLI's start-up stays lean.
// A literal require() lets esbuild put it in the single binary; under native ESM, createRequire.
let lib: typeof Jmes | undefined;
function jmes(): typeof Jmes {
  if (!lib) {
    const loaded = (
      typeof require === 'function' ? require('@jmespath-community/jmespath') : createRequire(import.meta.url)('@jmespath-community/jmespath')
    ) as typeof Jmes;
    for (const [name, fn, types] of kyvernoFunctions(loaded.TYPE_STRING, loaded.TYPE_NUMBER)) {
      loaded.register(name, fn as never, types.map((t) => ({ types: t as never })), { override: true });
    }
    lib = loaded;
  }
  return lib;
}

export function jmesSearch(data: unknown, expression: string): unknown {
  return jmes().search(data as JSONValue, expression);
}

/** Throws when the expression does not parse (checked at policy load). */
export function jmesCompile(expression: string): void {
  jmes().compile(expression);
}

// Go's time.Parse layouts are not JS; the empty layout (RFC 3339) is what policies use.
function parseTime(layout: string, text: string): Date {
  if (layout !== '' && layout !== '2006-01-02T15:04:05Z07:00') throw new Error(`time layout ${layout} is not supported`);
  const d = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(d.getTime())) throw new Error(`invalid RFC 3339 time ${text}`);
  return d;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

type Fn = (args: JSONValue[]) => JSONValue;
function kyvernoFunctions(TYPE_STRING: number, TYPE_NUMBER: number): [string, Fn, number[][]][] {
  return [
    ['regex_match', ([re, s]) => goRegExp(String(re)).test(str(s)), [[TYPE_STRING], [TYPE_STRING, TYPE_NUMBER]]],
    ['pattern_match', ([p, s]) => kyvernoGlobMatch(String(p), str(s)), [[TYPE_STRING], [TYPE_STRING, TYPE_NUMBER]]],
    [
      'regex_replace_all',
      ([re, s, r]) => str(s).replace(new RegExp(goRegExp(String(re)).source, 'g'), String(r).replace(/\$\{?(\d+)\}?/g, '$$$1')),
      [[TYPE_STRING], [TYPE_STRING, TYPE_NUMBER], [TYPE_STRING, TYPE_NUMBER]],
    ],
    ['replace_all', ([s, a, b]) => String(s).split(String(a)).join(String(b)), [[TYPE_STRING], [TYPE_STRING], [TYPE_STRING]]],
    ['to_upper', ([s]) => String(s).toUpperCase(), [[TYPE_STRING]]],
    ['to_lower', ([s]) => String(s).toLowerCase(), [[TYPE_STRING]]],
    ['equal_fold', ([a, b]) => String(a).toLowerCase() === String(b).toLowerCase(), [[TYPE_STRING], [TYPE_STRING]]],
    ['trim_prefix', ([s, p]) => (String(s).startsWith(String(p)) ? String(s).slice(String(p).length) : String(s)), [[TYPE_STRING], [TYPE_STRING]]],
    ['truncate', ([s, n]) => String(s).slice(0, Math.max(0, Number(n))), [[TYPE_STRING], [TYPE_NUMBER]]],
    ['compare', ([a, b]) => (a === b ? 0 : String(a) < String(b) ? -1 : 1), [[TYPE_STRING], [TYPE_STRING]]],
    ['to_boolean', ([s]) => toBoolean(String(s)), [[TYPE_STRING]]],
    ['base64_decode', ([s]) => Buffer.from(String(s), 'base64').toString('utf8'), [[TYPE_STRING]]],
    ['base64_encode', ([s]) => Buffer.from(String(s), 'utf8').toString('base64'), [[TYPE_STRING]]],
    ['parse_json', ([s]) => JSON.parse(String(s)) as JSONValue, [[TYPE_STRING]]],
    ['time_now', () => clock().toISOString().replace(/\.\d+Z$/, 'Z'), []],
    ['time_now_utc', () => clock().toISOString().replace(/\.\d+Z$/, 'Z'), []],
    [
      'time_since',
      ([layout, a, b]) => {
        const from = parseTime(String(layout), String(a));
        const to = String(b) === '' ? clock() : parseTime(String(layout), String(b));
        return formatGoDuration((to.getTime() - from.getTime()) / 1000);
      },
      [[TYPE_STRING], [TYPE_STRING], [TYPE_STRING]],
    ],
    ['time_before', ([a, b]) => parseTime('', String(a)) < parseTime('', String(b)), [[TYPE_STRING], [TYPE_STRING]]],
    ['time_after', ([a, b]) => parseTime('', String(a)) > parseTime('', String(b)), [[TYPE_STRING], [TYPE_STRING]]],
    [
      'time_add',
      ([t, d]) => {
        const secs = parseGoDuration(String(d));
        if (secs === undefined) throw new Error(`invalid duration ${String(d)}`);
        return new Date(parseTime('', String(t)).getTime() + secs * 1000).toISOString().replace(/\.000Z$/, 'Z');
      },
      [[TYPE_STRING], [TYPE_STRING]],
    ],
    ['add', ([a, b]) => Number(a) + Number(b), [[TYPE_NUMBER], [TYPE_NUMBER]]],
    ['subtract', ([a, b]) => Number(a) - Number(b), [[TYPE_NUMBER], [TYPE_NUMBER]]],
    ['multiply', ([a, b]) => Number(a) * Number(b), [[TYPE_NUMBER], [TYPE_NUMBER]]],
    ['divide', ([a, b]) => Number(a) / Number(b), [[TYPE_NUMBER], [TYPE_NUMBER]]],
  ];
}

function toBoolean(s: string): boolean {
  const lower = s.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new Error(`to_boolean: ${s} is not true or false`);
}

