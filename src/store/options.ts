/**
 * The store's options: what a user may pass, and the checks that turn them
 * into settings. Every option is checked at construction; a bad one is an
 * {@link InvalidInputError} that names it (an option read from the
 * environment with `Number(process.env.X)` is `NaN` when unset, and `NaN`
 * compares false with everything, so a retry limit of `NaN` never stops).
 */
import type { Sequelize } from 'sequelize';
import { InvalidInputError } from '../errors';
import type { Dialect } from './dialects';
import type { RecordBufferOptions } from './RecordBuffer';

/** Options of {@link SequelizeStateStore}. */
export interface SequelizeStateStoreOptions {
  /**
   * Prepended to the table (and index) names: `'tenant1_'` gives
   * `tenant1_bulkimport_jobs` and so on. At most 30 letters, digits or
   * underscores. Default `''`.
   */
  readonly tablePrefix?: string;
  /**
   * PostgreSQL schema (MySQL/MariaDB: database) holding the tables. Default:
   * the Sequelize instance's `define.schema`, else the connection's.
   * `initialize()` creates it on PostgreSQL if missing. Not on SQLite.
   */
  readonly schema?: string;
  /**
   * How many times an idempotent operation (claim, reclaim, release,
   * heartbeat, finalize) is retried after a deadlock, serialization failure,
   * lock-wait timeout or busy database, with jittered exponential backoff.
   * An integer from 0 to 100. Default 5.
   */
  readonly transientRetries?: number;
  /** SQLite only: how long a statement waits for another writer, in ms (0 to 2^31-1). Default 10,000. */
  readonly sqliteBusyTimeoutMs?: number;
  /**
   * Write-behind for `saveProcessedRecord` (off by default). See
   * {@link RecordBufferOptions}, and docs/usage.md ("Write-behind") for what
   * a crash can lose.
   */
  readonly recordBuffer?: RecordBufferOptions | boolean;
  /**
   * How long `getJobState` may answer with a copy of a job's batches it read
   * before, in ms (0 to 60,000; 0: always read them). The job row itself is
   * read on every call, and this store's own batch writes show at once; only
   * other processes' batch changes can be up to this late. The engine's
   * distributed worker calls `getJobState` once per batch for the job's total,
   * which would otherwise read every batch row each time. Default 1,000.
   */
  readonly jobStateCacheMs?: number;
  /**
   * How often, at most, the store renews the lease of each batch claimed
   * through it, in ms, until the batch is reported, released or the store is
   * closed; 0 turns renewal off. Renewals come at least three times per
   * timeout given to `reclaimStaleBatches` on this store for the job. The
   * default, 60,000, is safe for any stale timeout above 3 minutes (the
   * engine's default is 15).
   */
  readonly leaseRenewalMs?: number;
}

/** The options after their checks, defaults filled in. */
export interface StoreSettings {
  readonly tablePrefix: string;
  readonly schema: string | undefined;
  readonly transientRetries: number;
  readonly sqliteBusyTimeoutMs: number;
  readonly recordBuffer: Required<RecordBufferOptions> | undefined;
  readonly jobStateCacheMs: number;
  readonly leaseRenewalMs: number;
}

/** Largest delay `setTimeout` honours (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function fail(message: string, field: string): never {
  throw new InvalidInputError(message, { operation: 'new SequelizeStateStore', field });
}

/** An integer option from `min` to `max`. */
export function integerOption(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`${field} must be an integer from ${min} to ${max}, got ${describe(value)}`, field);
  }
  return value;
}

/** A duration option in ms: a finite number from `min` to `max`, floored. */
export function durationOption(value: unknown, field: string, min = 0, max = MAX_TIMER_MS): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(`${field} must be a finite number of milliseconds from ${min} to ${max}, got ${describe(value)}`, field);
  }
  return Math.floor(value);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/**
 * Checks every option against the Sequelize instance it is for.
 * @throws InvalidInputError naming the first bad option.
 */
export function resolveOptions(
  sequelize: Sequelize,
  options: SequelizeStateStoreOptions,
  dialect: Pick<Dialect, 'supportsSchema' | 'foldsUnquoted'>,
): StoreSettings {
  if (typeof options !== 'object' || options === null) fail('options must be an object', 'options');
  const prefix = options.tablePrefix ?? '';
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_]*$/.test(prefix) || prefix.length > 30) {
    fail('tablePrefix must be at most 30 letters, digits or underscores', 'tablePrefix');
  }
  const define = (sequelize as unknown as { options?: { define?: { schema?: unknown } } }).options?.define;
  const schema = options.schema ?? (typeof define?.schema === 'string' && define.schema !== '' ? define.schema : undefined);
  const schemaField = options.schema !== undefined ? 'schema' : 'define.schema';
  if (schema !== undefined && (typeof schema !== 'string' || !IDENTIFIER.test(schema))) {
    fail(`${schemaField} must be an identifier of letters, digits and underscores`, schemaField);
  }
  if (schema !== undefined && !dialect.supportsSchema(sequelize.getDialect())) {
    const what = schemaField === 'schema' ? 'schema is' : "Sequelize's define.schema is";
    const where = sequelize.getDialect() === 'sqlite' ? 'SQLite' : `the ${sequelize.getDialect()} dialect`;
    fail(`${what} not supported on ${where} (Sequelize names such a table \`schema.table\` in the current database);`
      + ' use tablePrefix, or the database in the connection URL (MySQL: the mariadb dialect honours schema)', schemaField);
  }
  const quoting = (sequelize as unknown as { options?: { quoteIdentifiers?: unknown } }).options?.quoteIdentifiers;
  if (quoting === false && dialect.foldsUnquoted && /[A-Z]/.test(`${prefix}${schema ?? ''}`)) {
    const field = /[A-Z]/.test(prefix) ? 'tablePrefix' : schemaField;
    fail(`${field} has upper-case letters, which Sequelize's quoteIdentifiers: false folds to lower case when it creates the tables`
      + ' while the store addresses them exactly: use a lower-case name, or leave quoteIdentifiers on', field);
  }
  const buffer = options.recordBuffer;
  let recordBuffer: Required<RecordBufferOptions> | undefined;
  if (buffer !== undefined && buffer !== false) {
    if (buffer !== true && (typeof buffer !== 'object' || buffer === null || Array.isArray(buffer))) {
      fail('recordBuffer must be true, false or { maxRecords, maxDelayMs }', 'recordBuffer');
    }
    const given: RecordBufferOptions = buffer === true ? {} : buffer;
    recordBuffer = {
      maxRecords: integerOption(given.maxRecords ?? 500, 'recordBuffer.maxRecords', 1, 100_000),
      maxDelayMs: durationOption(given.maxDelayMs ?? 100, 'recordBuffer.maxDelayMs'),
    };
  }
  return {
    tablePrefix: prefix,
    schema,
    transientRetries: integerOption(options.transientRetries ?? 5, 'transientRetries', 0, 100),
    sqliteBusyTimeoutMs: durationOption(options.sqliteBusyTimeoutMs ?? 10_000, 'sqliteBusyTimeoutMs'),
    recordBuffer,
    jobStateCacheMs: durationOption(options.jobStateCacheMs ?? 1000, 'jobStateCacheMs', 0, 60_000),
    leaseRenewalMs: durationOption(options.leaseRenewalMs ?? 60_000, 'leaseRenewalMs'),
  };
}
