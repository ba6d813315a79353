import { InvalidInputError, type ErrorContext } from '../errors';
import { LONE_SURROGATE } from './validate';

/**
 * Serialises a JSON-like value, refusing what JSON would silently change:
 * functions, symbols, BigInts, non-finite numbers, circular references, Maps,
 * Sets and other values whose contents `JSON.stringify` drops, and strings
 * (values or keys) holding a lone UTF-16 surrogate, which not every database
 * accepts in JSON (see `LONE_SURROGATE`). NUL characters are kept: they are
 * written as the `\u0000` escape, which every dialect's JSON column stores.
 * `undefined` object properties are omitted, as JSON does. Objects with
 * `toJSON` (Dates) are stored as what `toJSON` returns.
 *
 * @throws InvalidInputError naming the path of the first offending value.
 */
export function encodeJson(value: unknown, field: string, context: ErrorContext): string {
  const problem = firstProblem(value, []);
  if (problem) {
    throw new InvalidInputError(`${pathOf(field, problem.at)} is ${problem.what}, which JSON cannot hold`, {
      ...context, field: pathOf(field, problem.at),
    });
  }
  return JSON.stringify(value);
}

/** What is wrong and where (keys and indexes from the root). */
interface Problem {
  readonly what: string;
  readonly at: readonly (string | number)[];
}

/** `field.a[0].b` from a key path; only built when a value is refused. */
function pathOf(field: string, at: readonly (string | number)[]): string {
  let path = field;
  for (const key of at) path += typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
  return path;
}

/** Any UTF-16 surrogate: a cheap test that lets the exact one run only on strings that have one. */
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

const hasLoneSurrogate = (text: string): boolean => ANY_SURROGATE.test(text) && LONE_SURROGATE.test(text);

/**
 * The first value JSON would change, depth first, or `undefined`. `ancestors`
 * holds the objects above `value` (cycle detection) and doubles as the
 * recursion stack; key paths are rebuilt only for a refused value, so a valid
 * record costs one pass with no string building.
 */
function firstProblem(value: unknown, ancestors: object[]): Problem | undefined {
  switch (typeof value) {
    case 'string':
      return hasLoneSurrogate(value) ? { what: 'a string with a lone UTF-16 surrogate', at: [] } : undefined;
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : { what: String(value), at: [] };
    case 'bigint':
      return { what: 'a BigInt', at: [] };
    case 'function':
      return { what: 'a function', at: [] };
    case 'symbol':
      return { what: 'a symbol', at: [] };
    default: {
      if (value === null) return undefined;
      const object = value as object;
      if (ancestors.includes(object)) return { what: 'a circular reference', at: [] };
      if (typeof (object as { toJSON?: unknown }).toJSON === 'function') return undefined;
      if (Array.isArray(object)) {
        ancestors.push(object);
        for (let i = 0; i < object.length; i++) {
          const item: unknown = object[i];
          const problem = item === undefined ? { what: 'undefined inside an array', at: [] } : firstProblem(item, ancestors);
          if (problem) {
            ancestors.pop();
            return { what: problem.what, at: [i, ...problem.at] };
          }
        }
        ancestors.pop();
        return undefined;
      }
      const proto: unknown = Object.getPrototypeOf(object);
      if (proto !== Object.prototype && proto !== null) {
        const what = exoticObject(object);
        if (what) return { what, at: [] };
      }
      ancestors.push(object);
      for (const key in object) {
        if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
        if (hasLoneSurrogate(key)) {
          ancestors.pop();
          return { what: 'a key with a lone UTF-16 surrogate', at: [key] };
        }
        const problem = firstProblem((object as Record<string, unknown>)[key], ancestors);
        if (problem) {
          ancestors.pop();
          return { what: problem.what, at: [key, ...problem.at] };
        }
      }
      ancestors.pop();
      return undefined;
    }
  }
}

/** Why a non-plain object cannot be stored as JSON, or `undefined` if it can. */
function exoticObject(value: object): string | undefined {
  if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
    return `a ${value.constructor.name}`;
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return 'binary data';
  if (value instanceof RegExp) return 'a RegExp';
  return undefined;
}

/**
 * Reads a JSON column: drivers return objects (model reads, most dialects) or
 * strings (SQLite raw reads, MariaDB `longtext`).
 */
export function decodeJson(value: unknown): unknown {
  if (typeof value === 'string') return JSON.parse(value);
  return value;
}

/** Reads a BOOLEAN column: drivers give `true`, `1`, `'1'`, `'t'` or `'true'`. */
export function isTrue(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}

/** Reads a BIGINT or INTEGER column (PostgreSQL returns BIGINT as a string). */
export function toNumber(value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const n = Number(value);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * Bytes a bound value takes in a statement sent to the database: its UTF-8
 * length plus one byte per character a text protocol escapes (quotes,
 * backslash, NUL, CR, LF, Ctrl-Z). An upper bound, used to keep statements
 * under a server's packet limit (MySQL/MariaDB `max_allowed_packet`).
 */
export function wireBytes(value: unknown): number {
  if (typeof value !== 'string') return 24;
  let escapes = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34 || c === 39 || c === 92 || c === 0 || c === 10 || c === 13 || c === 26) escapes++;
  }
  return Buffer.byteLength(value, 'utf8') + escapes + 2;
}

/**
 * Splits `items` into runs of at most `maxItems` items whose sizes add up to
 * at most `maxBytes`; an item larger than `maxBytes` makes a run of its own.
 */
export function chunkBySize<T>(items: readonly T[], maxItems: number, maxBytes: number, sizeOf: (item: T) => number): T[][] {
  const out: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (run.length > 0 && (run.length >= maxItems || bytes + size > maxBytes)) {
      out.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += size;
  }
  if (run.length > 0) out.push(run);
  return out;
}
