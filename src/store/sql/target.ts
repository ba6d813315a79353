/**
 * What every statement builder is a function of: one dialect and one set of
 * tables. Builders are pure — they return SQL text with `$1…$n` bind
 * parameters and never touch a connection; the store's modules run what they
 * return through the executor.
 */
import type { Dialect, Tables } from '../dialects';

/** A dialect with the quoted, qualified tables of one store. */
export interface SqlTarget {
  readonly dialect: Dialect;
  readonly tables: Tables;
  /** The dialect's identifier quoting. */
  readonly q: (identifier: string) => string;
}

/** The target of one store's statements. */
export function sqlTarget(dialect: Dialect, tables: Tables): SqlTarget {
  return { dialect, tables, q: dialect.quote };
}

/** `(…), (…)` rows of `columns` numbered placeholders, from `$first`. */
export function placeholders(rows: number, columns: number, first = 1): string {
  const out: string[] = [];
  let n = first;
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(`$${n++}`);
    out.push(`(${row.join(', ')})`);
  }
  return out.join(', ');
}

/** `$first, …, $(first + count - 1)`: an `IN` list. */
export function paramList(first: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ');
}

/** Quoted column names, comma-separated. */
export function columnList(t: SqlTarget, names: readonly string[]): string {
  return names.map(t.q).join(', ');
}

/**
 * The non-terminal batch statuses, listed (not `NOT IN ('COMPLETED', 'FAILED')`):
 * an IN list is an index range on (job_id, status, batch_index), while NOT IN
 * scans every COMPLETED batch of the job, which made finalization cost grow
 * with job size (8.5 ms at 9,800 COMPLETED batches on PostgreSQL, 0.2 ms with
 * IN). Every status the store writes is validated against the engine's set.
 */
export const UNFINISHED_BATCH = `('PENDING', 'PROCESSING', 'PAUSED')`;

/** The terminal batch statuses, as an SQL list. */
export const TERMINAL_BATCH = `('COMPLETED', 'FAILED')`;

/**
 * `finished_at` for a batch written with status `status` (an SQL expression):
 * the time it first became terminal (`previous`, the column's current value
 * when updating), `NULL` while it is not terminal.
 */
export function finishedAt(t: SqlTarget, status: string, previous?: string): string {
  const now = previous ? `COALESCE(${previous}, ${t.dialect.nowMs})` : t.dialect.nowMs;
  const value = status.startsWith('$') && !status.startsWith('$new.') ? t.dialect.textParam(status) : status;
  return `CASE WHEN ${value} IN ${TERMINAL_BATCH} THEN ${now} ELSE NULL END`;
}
