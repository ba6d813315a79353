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
  checkJsonValue(value, field, context, new Set());
  return JSON.stringify(value);
}

function reject(what: string, path: string, context: ErrorContext): never {
  throw new InvalidInputError(`${path} is ${what}, which JSON cannot hold`, { ...context, field: path });
}

function checkJsonValue(value: unknown, path: string, context: ErrorContext, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) reject('a string with a lone UTF-16 surrogate', path, context);
      return;
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) reject(String(value), path, context);
      return;
    case 'undefined':
      return;
    case 'bigint':
      reject('a BigInt', path, context);
    // falls through (reject never returns)
    case 'function':
      reject('a function', path, context);
    // falls through
    case 'symbol':
      reject('a symbol', path, context);
    // falls through
    case 'object': {
      if (value === null) return;
      if (seen.has(value)) reject('a circular reference', path, context);
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return;
      if (value instanceof Map || value instanceof Set || value instanceof WeakMap || value instanceof WeakSet) {
        reject(`a ${value.constructor.name}`, path, context);
      }
      if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) reject('binary data', path, context);
      if (value instanceof RegExp) reject('a RegExp', path, context);
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) reject('undefined inside an array', `${path}[${i}]`, context);
          checkJsonValue(item, `${path}[${i}]`, context, seen);
        }
      } else {
        for (const key of Object.keys(value)) {
          if (LONE_SURROGATE.test(key)) reject('a key with a lone UTF-16 surrogate', `${path}[${JSON.stringify(key)}]`, context);
          checkJsonValue((value as Record<string, unknown>)[key], `${path}.${key}`, context, seen);
        }
      }
      seen.delete(value);
      return;
    }
  }
}

/**
 * Reads a JSON column: drivers return objects (model reads, most dialects) or
 * strings (SQLite raw reads, MariaDB `longtext`).
 */
export function decodeJson(value: unknown): unknown {
  if (typeof value === 'string') return JSON.parse(value);
  return value;
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
