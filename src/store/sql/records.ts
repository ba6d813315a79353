/** Statements on the records table: the hot upsert and the reads. */
import { RECORD_COLUMNS } from './columns';
import { columnList, paramList, placeholders, type SqlTarget } from './target';

/** Inserts or replaces `rows` records (`RECORD_COLUMNS` per row), keyed by (job, record index). */
export function upsertRecords(t: SqlTarget, rows: number): string {
  const d = t.dialect;
  return `${d.insertInto(t.tables.records)} (${columnList(t, RECORD_COLUMNS)}) VALUES ${placeholders(rows, RECORD_COLUMNS.length)}`
    + d.onConflictUpdate(t.tables.records, ['job_id', 'record_index'], RECORD_COLUMNS.slice(2));
}

/** The columns a record read returns, JSON columns as text (of the table named `alias`, if given). */
function recordColumns(t: SqlTarget, alias?: string): string {
  const q = t.q;
  const c = (name: string): string => (alias ? `${alias}.${q(name)}` : q(name));
  const j = t.dialect.jsonText;
  return `SELECT ${c('record_index')} AS ${q('recordIndex')}, ${c('status')} AS ${q('status')},`
    + ` ${j(c('raw'))} AS ${q('raw')}, ${j(c('parsed'))} AS ${q('parsed')}, ${j(c('errors'))} AS ${q('errors')},`
    + ` ${j(c('processing_error'))} AS ${q('processingError')}, ${c('retry_count')} AS ${q('retryCount')}`;
}

/** The columns a record read returns, from the records table. */
function recordSelect(t: SqlTarget): string {
  return `${recordColumns(t)} FROM ${t.tables.records}`;
}

/** `$1` job, `$2…` statuses: records by index. */
export function selectRecordsByStatus(t: SqlTarget, statuses: number): string {
  const q = t.q;
  return `${recordSelect(t)} WHERE ${q('job_id')} = $1 AND ${q('status')} IN (${paramList(2, statuses)}) ORDER BY ${q('record_index')}`;
}

/**
 * `$1` job, `$2…` statuses: a page of its records with one of them, by index.
 * `limit` and `offset` are validated non-negative integers (inlined). The
 * page's record indexes come first from the status index alone, one range per
 * status (a deep page walked every record of the job in index order: ~1 s on
 * MariaDB at 1,000,000 records), then only its rows are read.
 */
export function selectRecordsPage(t: SqlTarget, statuses: number, limit: number, offset: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError('limit and offset must be non-negative integers');
  }
  const q = t.q;
  const records = t.tables.records;
  const arms = Array.from({ length: statuses }, (_, i) =>
    `SELECT ${q('record_index')} AS ${q('k')} FROM ${records} WHERE ${q('job_id')} = $1 AND ${q('status')} = $${i + 2}`);
  const page = `SELECT u.${q('k')} AS ${q('k')} FROM (${arms.join(' UNION ALL ')}) u ORDER BY u.${q('k')} LIMIT ${limit} OFFSET ${offset}`;
  // Ordered by the page's key, not the row's: SQLite ordered by the row's
  // scanned every record of the job in index order to keep that order.
  return `${recordColumns(t, 'r')} FROM (${page}) p JOIN ${records} r ON r.${q('job_id')} = $1 AND r.${q('record_index')} = p.${q('k')}`
    + ` ORDER BY p.${q('k')}`;
}

/** `$1` job, `$2` batch: the batch's records by index. */
export function selectBatchRecords(t: SqlTarget): string {
  const q = t.q;
  return `${recordSelect(t)} WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2 ORDER BY ${q('record_index')}`;
}

/** `$1` job: record counts by status. */
export function countRecordsByStatus(t: SqlTarget): string {
  const q = t.q;
  return `SELECT ${q('status')} AS ${q('status')}, COUNT(*) AS ${q('n')} FROM ${t.tables.records}`
    + ` WHERE ${q('job_id')} = $1 GROUP BY ${q('status')}`;
}
