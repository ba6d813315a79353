import { driverError } from './driver';
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
  maxBindParams: 65535,
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  insertInto: (table) => `INSERT INTO ${table} AS cur`,
  quote: (id) => `"${id.replace(/"/g, '""')}"`,
  nowMs: `(floor(extract(epoch from clock_timestamp()) * 1000))::bigint`,
  jsonText: (column) => `${column}::text`,
  bool: (value) => (value ? 'true' : 'false'),
  onConflictUpdate(_table, keys, update, raw = {}) {
    const target = `(${keys.map(postgres.quote).join(', ')})`;
    const sets = [
      ...update.map((c) => `${postgres.quote(c)} = excluded.${postgres.quote(c)}`),
      ...Object.entries(raw).map(([c, sql]) => `${postgres.quote(c)} = ${sql.replace(/\$old\./g, 'cur.')}`),
    ];
    return sets.length === 0 ? ` ON CONFLICT ${target} DO NOTHING` : ` ON CONFLICT ${target} DO UPDATE SET ${sets.join(', ')}`;
  },
  isTransient(error) {
    const code = driverError(error)?.code;
    return typeof code === 'string' && TRANSIENT_CODES.has(code);
  },
};

