import { driverError } from './drivers';
import type { Dialect } from './types';

const TRANSIENT_ERRNOS = new Set([
  1213, // ER_LOCK_DEADLOCK
  1205, // ER_LOCK_WAIT_TIMEOUT
]);

/**
 * MySQL 8 and MariaDB 10.6+, through either the `mysql` (mysql2) or the
 * `mariadb` Sequelize dialect. No `UPDATE … RETURNING` (MariaDB refuses it), so a
 * claim is `SELECT … FOR UPDATE SKIP LOCKED` then `UPDATE` in one transaction;
 * Sequelize drops `skipLocked` on these dialects, so the clause is written here.
 */
export const mysql: Dialect = {
  names: ['mysql', 'mariadb'],
  updateReturning: false,
  rowLocks: true,
  singleWriter: false,
  // InnoDB reads an UPDATE's subqueries with locking reads: the latest committed
  // rows, waiting for uncommitted ones (the finalize race test shows it).
  supportsSchema: (name) => name === 'mariadb',
  foldsUnquoted: false,
  lockBeforeCheck: false,
  maxBindParams: 65535,
  maxStatementBytesQuery: 'SELECT @@max_allowed_packet AS n',
  // The default collations (utf8mb4_general_ci, ..._0900_ai_ci) make 'Job-A',
  // 'job-a' and 'job-a ' one id. NO PAD binary collations compare exactly.
  exactTextTableOptions: (serverVersion) => ({
    charset: 'utf8mb4',
    collate: /mariadb/i.test(serverVersion) ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin',
  }),
  beginTransaction: 'START TRANSACTION',
  forUpdate: ' FOR UPDATE',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  insertInto: (table) => `INSERT INTO ${table}`,
  quote: (id) => `\`${id.replace(/`/g, '``')}\``,
  nowMs: `CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED)`,
  // MariaDB's JSON is LONGTEXT; the cast keeps drivers from decoding it.
  textParam: (param) => param,
  // MariaDB runs IN (a UNION) as a dependent subquery per row `where` selects
  // (2 s at 100,000 records) and IN (SELECT … FROM (a UNION)) by scanning
  // them; a join from the derived table looks the rows up by the index.
  fromWhereIn: (table, where, column, subquery) =>
    `FROM (${subquery}) AS ${mysql.quote('live')} JOIN ${table} ON ${where} AND ${table}.${column} = ${mysql.quote('live')}.${column}`,
  jsonText: (column) => `CAST(${column} AS CHAR)`,
  onConflictUpdate(table, keys, update, raw = {}) {
    // Columns qualified by the table: an INSERT … SELECT from another table
    // with columns of the same names (a job's `status`, `version`) makes a
    // bare name ambiguous.
    const col = (c: string): string => `${table}.${mysql.quote(c)}`;
    const sets = [
      ...update.map((c) => `${col(c)} = VALUES(${mysql.quote(c)})`),
      // Assignments run left to right and see the columns assigned before
      // them: raw expressions come last and read the old row's other columns
      // only where those are not assigned (as the store's builders do).
      ...Object.entries(raw).map(([c, sql]) => `${col(c)} = ${sql.replace(/\$old\./g, `${table}.`).replace(/\$new\.(`(?:[^`]|``)+`)/g, 'VALUES($1)')}`),
    ];
    // A no-op assignment keeps existing rows unchanged without INSERT IGNORE,
    // which would also swallow truncation and constraint errors.
    if (sets.length === 0) sets.push(`${col(keys[0] as string)} = ${col(keys[0] as string)}`);
    return ` ON DUPLICATE KEY UPDATE ${sets.join(', ')}`;
  },
  isTransient(error) {
    const errno = driverError(error)?.errno;
    return typeof errno === 'number' && TRANSIENT_ERRNOS.has(errno);
  },
};
