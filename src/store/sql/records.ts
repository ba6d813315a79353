/** Statements on the records table: the hot upsert and the reads. */
import { RECORD_COLUMNS } from './columns';
import { columnList, paramList, placeholders, type SqlTarget } from './target';

/** Inserts or replaces `rows` records (`RECORD_COLUMNS` per row), keyed by (job, record index). */
export function upsertRecords(t: SqlTarget, rows: number): string {
  const d = t.dialect;
  return `${d.insertInto(t.tables.records)} (${columnList(t, RECORD_COLUMNS)}) VALUES ${placeholders(rows, RECORD_COLUMNS.length)}`
    + d.onConflictUpdate(t.tables.records, ['job_id', 'record_index'], RECORD_COLUMNS.slice(2));
}

/** The columns a record read returns, JSON columns as text. */
function recordSelect(t: SqlTarget): string {
  const q = t.q;
  const j = t.dialect.jsonText;
  return `SELECT ${q('record_index')} AS ${q('recordIndex')}, ${q('status')} AS ${q('status')},`
    + ` ${j(q('raw'))} AS ${q('raw')}, ${j(q('parsed'))} AS ${q('parsed')}, ${j(q('errors'))} AS ${q('errors')},`
    + ` ${j(q('processing_error'))} AS ${q('processingError')}, ${q('retry_count')} AS ${q('retryCount')}`
    + ` FROM ${t.tables.records}`;
}

/** `$1` job, `$2…` statuses: records by index. */
export function selectRecordsByStatus(t: SqlTarget, statuses: number): string {
  const q = t.q;
  return `${recordSelect(t)} WHERE ${q('job_id')} = $1 AND ${q('status')} IN (${paramList(2, statuses)}) ORDER BY ${q('record_index')}`;
}

/**
 * `$1` job, `$2…` statuses: a page of its records with one of them, by index.
 * `limit` and `offset` are validated non-negative integers (inlined).
 */
export function selectRecordsPage(t: SqlTarget, statuses: number, limit: number, offset: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError('limit and offset must be non-negative integers');
  }
  return `${selectRecordsByStatus(t, statuses)} LIMIT ${limit} OFFSET ${offset}`;
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
