import { InvalidInputError, type ErrorContext } from '../errors';
import type { BatchStatus, JobStatus, RecordStatus } from '../ports';

/** Longest id (job, batch, worker) the tables hold: `VARCHAR(255)` on every dialect. */
export const MAX_ID_LENGTH = 255;
/** Largest count or index an `INTEGER` column holds on every dialect. */
export const MAX_INT = 2_147_483_647;

/** The engine's job statuses. */
export const JOB_STATUSES: ReadonlySet<string> = new Set<JobStatus>([
  'CREATED', 'PREVIEWING', 'PREVIEWED', 'PROCESSING', 'PAUSED', 'COMPLETED', 'ABORTED', 'FAILED',
]);
/** The engine's batch statuses. */
export const BATCH_STATUSES: ReadonlySet<string> = new Set<BatchStatus>([
  'PENDING', 'PROCESSING', 'PAUSED', 'COMPLETED', 'FAILED',
]);
/** The engine's record statuses. */
export const RECORD_STATUSES: ReadonlySet<string> = new Set<RecordStatus>([
  'valid', 'invalid', 'processed', 'failed', 'pending',
]);

/**
 * A UTF-16 surrogate not part of a pair. It has no UTF-8 encoding: a driver
 * would store U+FFFD in a text column, and MariaDB's `json_valid` refuses its
 * `\uD800` escape in a JSON column while PostgreSQL and SQLite keep it. The
 * store refuses it everywhere, so the same input meets the same outcome.
 */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function fail(message: string, field: string, context: ErrorContext): never {
  throw new InvalidInputError(message, { ...context, field });
}

/** An id: a string of 1–255 characters without NUL or lone surrogates. */
export function checkId(value: unknown, field: string, context: ErrorContext): string {
  if (typeof value !== 'string') fail(`${field} must be a string, got ${describeType(value)}`, field, context);
  if (value.length === 0) fail(`${field} must not be empty`, field, context);
  if (value.length > MAX_ID_LENGTH) {
    fail(`${field} is ${value.length} characters long; at most ${MAX_ID_LENGTH} are allowed`, field, context);
  }
  if (value.includes('\u0000')) fail(`${field} must not contain NUL characters`, field, context);
  if (LONE_SURROGATE.test(value)) fail(`${field} contains a lone UTF-16 surrogate`, field, context);
  return value;
}

/** A count or index: an integer from 0 to 2^31 - 1. */
export function checkCount(value: unknown, field: string, context: ErrorContext): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_INT) {
    fail(`${field} must be an integer from 0 to ${MAX_INT}, got ${describeValue(value)}`, field, context);
  }
  return value;
}

/** An optional count: `undefined` or a count. */
export function checkOptionalCount(value: unknown, field: string, context: ErrorContext): number | null {
  return value === undefined || value === null ? null : checkCount(value, field, context);
}

/** An optional epoch-millisecond timestamp. */
export function checkOptionalEpoch(value: unknown, field: string, context: ErrorContext): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`${field} must be epoch milliseconds (a non-negative integer), got ${describeValue(value)}`, field, context);
  }
  return value;
}

/** A duration in milliseconds: a finite number >= 0. */
export function checkDuration(value: unknown, field: string, context: ErrorContext): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(`${field} must be a finite number of milliseconds >= 0, got ${describeValue(value)}`, field, context);
  }
  return value;
}

/** A member of one of the status sets above. */
export function checkStatus<T extends string>(
  value: unknown,
  allowed: ReadonlySet<string>,
  field: string,
  context: ErrorContext,
): T {
  if (typeof value !== 'string' || !allowed.has(value)) {
    fail(`${field} must be one of ${[...allowed].join(', ')}, got ${describeValue(value)}`, field, context);
  }
  return value as T;
}

/** A plain object (not null, not an array). */
export function checkObject(value: unknown, field: string, context: ErrorContext): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`${field} must be an object, got ${describeType(value)}`, field, context);
  }
  return value as Record<string, unknown>;
}

/** An array (of anything: the items are checked where they are encoded). */
export function checkArray(value: unknown, field: string, context: ErrorContext): readonly unknown[] {
  if (!Array.isArray(value)) fail(`${field} must be an array, got ${describeType(value)}`, field, context);
  return value;
}

/** A string that can be stored as text: no lone surrogates. */
export function checkText(value: unknown, field: string, context: ErrorContext): string {
  if (typeof value !== 'string') fail(`${field} must be a string, got ${describeType(value)}`, field, context);
  if (LONE_SURROGATE.test(value)) fail(`${field} contains a lone UTF-16 surrogate`, field, context);
  return value;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return describeType(value);
}
