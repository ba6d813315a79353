import { driverError } from './drivers';
import { onConflictStandard, quoteStandard } from './standard';
import type { Dialect } from './types';

/**
 * SQLite 3.35+: `ON CONFLICT`, `UPDATE … RETURNING`; no row locks — writers are
 * serialised by `BEGIN IMMEDIATE` and a busy timeout.
 */
export const sqlite: Dialect = {
  names: ['sqlite'],
  updateReturning: true,
  rowLocks: false,
  singleWriter: true,
  // One writer at a time: a write statement sees every commit before it.
  supportsSchema: () => false,
  foldsUnquoted: false,
  lockBeforeCheck: false,
  // SQLite's default limit since 3.32 (the store needs 3.35+ for RETURNING).
  // Statements are sent with `?` placeholders: with `$n` names SQLite resolves
  // each name by a linear search while preparing, so preparing a 500-record
  // upsert (4,500 parameters) cost ~1 s; with `?` it is linear.
  maxBindParams: 32766,
  beginTransaction: 'BEGIN IMMEDIATE',
  forUpdate: '',
  skipLocked: '',
  insertInto: (table) => `INSERT INTO ${table} AS cur`,
  quote: quoteStandard,
  nowMs: `CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)`,
  textParam: (param) => param,
  fromWhereIn: (table, where, column, subquery) => `FROM ${table} WHERE ${where} AND ${column} IN (${subquery})`,
  jsonText: (column) => column,
  onConflictUpdate: onConflictStandard,
  isTransient(error) {
    const code = driverError(error)?.code;
    return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
  },
};
