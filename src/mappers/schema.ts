import type { JobConfig } from '../ports';

const REGEXP_TAG = '__regexp';
/** Wraps a plain object whose only key is a tag, so that it is not read back as one. */
const ESCAPE_TAG = '__escaped';

/**
 * Encodes a `JobConfig` for storage: functions (`customValidator`, `transform`,
 * `itemTransform`, anywhere in the schema) are dropped, as the engine's
 * contract documents, and each `RegExp` becomes `{ "__regexp": { source, flags } }`
 * so that it comes back as a `RegExp`. A plain object whose only key is
 * `__regexp` or `__escaped` is stored as `{ "__escaped": object }`, so that it
 * comes back as the same plain object.
 */
export function encodeConfig(config: JobConfig): unknown {
  return encodeValue(config, new Set());
}

function encodeValue(value: unknown, seen: Set<object>): unknown {
  if (typeof value === 'function') return undefined;
  if (value instanceof RegExp) return { [REGEXP_TAG]: { source: value.source, flags: value.flags } };
  if (typeof value !== 'object' || value === null) return value;
  // A cycle is left in place: the JSON check that follows names it.
  if (seen.has(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((item) => encodeValue(item, seen) ?? null);
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const obj: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const encoded = encodeValue((value as Record<string, unknown>)[key], seen);
      if (encoded !== undefined) obj[key] = encoded;
    }
    const keys = Object.keys(obj);
    out = keys.length === 1 && (keys[0] === REGEXP_TAG || keys[0] === ESCAPE_TAG) ? { [ESCAPE_TAG]: obj } : obj;
  } else {
    out = value;
  }
  seen.delete(value);
  return out;
}

/** Reverses {@link encodeConfig}: tagged objects become `RegExp`s again. */
export function decodeConfig(stored: unknown): JobConfig {
  return decodeValue(stored) as JobConfig;
}

function decodeValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0] === REGEXP_TAG) {
    const tag = obj[REGEXP_TAG] as { source?: unknown; flags?: unknown } | null;
    if (tag && typeof tag.source === 'string' && typeof tag.flags === 'string') {
      return new RegExp(tag.source, tag.flags);
    }
  }
  if (keys.length === 1 && keys[0] === ESCAPE_TAG) {
    const inner = obj[ESCAPE_TAG];
    if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(inner)) out[key] = decodeValue((inner as Record<string, unknown>)[key]);
      return out;
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = decodeValue(obj[key]);
  return out;
}
