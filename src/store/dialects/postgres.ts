import { driverError } from './drivers';
import { postgresCounters } from './postgresCounters';
import { onConflictStandard, quoteStandard } from './standard';
import type { Dialect } from './types';

const TRANSIENT_CODES = new Set([
  '40P01', // deadlock_detected
  '40001', // serialization_failure
  '55P03', // lock_not_available
]);

/** PostgreSQL: `ON CONFLICT`, `UPDATE … RETURNING`, `FOR UPDATE SKIP LOCKED`. */
export const postgres: Dialect = {
  names: ['postgres'],
  updateReturning: true,
  rowLocks: true,
  singleWriter: false,
  supportsSchema: () => true,
  foldsUnquoted: true,
  lockBeforeCheck: true,
  maxBindParams: 65535,
  beginTransaction: 'BEGIN',
  forUpdate: ' FOR UPDATE',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  insertInto: (table) => `INSERT INTO ${table} AS cur`,
  quote: quoteStandard,
  progressCounters: postgresCounters,
  createSchema: (name) => `CREATE SCHEMA IF NOT EXISTS ${quoteStandard(name)}`,
  nowMs: `(floor(extract(epoch from clock_timestamp()) * 1000))::bigint`,
  textParam: (param) => `CAST(${param} AS VARCHAR)`,
  // A plain IN (subquery) was planned as a scan of every row `where` selects.
  fromWhereIn: (table, where, column, subquery) => `FROM ${table} WHERE ${where} AND ${column} = ANY(ARRAY(${subquery}))`,
  jsonText: (column) => `${column}::text`,
  onConflictUpdate: onConflictStandard,
  isTransient(error) {
    const code = driverError(error)?.code;
    return typeof code === 'string' && TRANSIENT_CODES.has(code);
  },
};

