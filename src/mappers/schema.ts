import type { JobConfig } from '../ports';

const REGEXP_TAG = '__regexp';

/**
 * Encodes a `JobConfig` for storage: functions (`customValidator`, `transform`,
 * `itemTransform`, anywhere in the schema) are dropped, as the engine's
 * contract documents, and each `RegExp` becomes `{ "__regexp": { source, flags } }`
 * so that it comes back as a `RegExp`.
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
    out = obj;
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
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = decodeValue(obj[key]);
  return out;
}
