/** Statements beyond the engine's port: listing, purging and deleting jobs, the database clock. */
import type { Tables } from '../dialects';
import { columnList, paramList, type SqlTarget } from './target';

/** The database clock, epoch ms, as column `now`. */
export function selectNow(t: SqlTarget): string {
  return `SELECT ${t.dialect.nowMs} AS ${t.q('now')}`;
}

/** `$1` job: deletes its records, batches or row (one statement each). */
export function deleteJobRows(t: SqlTarget, table: keyof Tables): string {
  return `DELETE FROM ${t.tables[table]} WHERE ${t.q(table === 'jobs' ? 'id' : 'job_id')} = $1`;
}

function checkPage(limit: number, offset: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError('limit and offset must be non-negative integers');
  }
}

/**
 * A page of job summaries, newest first, with batch counts by status and
 * record counts summed over the batches: one aggregate query over the page.
 * `$1…$statuses` filter by job status (no filter when `statuses` is 0).
 * `limit` and `offset` must be validated non-negative integers (inlined,
 * since not every driver binds `LIMIT` parameters).
 */
export function listJobs(t: SqlTarget, statuses: number, limit: number, offset: number): string {
  checkPage(limit, offset);
  const q = t.q;
  const jobCols = ['id', 'status', 'distributed', 'total_records', 'started_at', 'completed_at', 'created_at', 'updated_at'];
  const page = `SELECT ${columnList(t, jobCols)} FROM ${t.tables.jobs}`
    + (statuses > 0 ? ` WHERE ${q('status')} IN (${paramList(1, statuses)})` : '')
    + ` ORDER BY ${q('created_at')} DESC, ${q('id')} LIMIT ${limit} OFFSET ${offset}`;
  const count = (status: string): string => `SUM(CASE WHEN b.${q('status')} = '${status}' THEN 1 ELSE 0 END)`;
  const alias: Record<string, string> = {
    id: 'id', status: 'status', distributed: 'distributed', total_records: 'totalRecords', started_at: 'startedAt',
    completed_at: 'completedAt', created_at: 'createdAt', updated_at: 'updatedAt',
  };
  return `SELECT ${jobCols.map((c) => `j.${q(c)} AS ${q(alias[c] as string)}`).join(', ')},`
    + ` COUNT(b.${q('batch_id')}) AS ${q('batches')},`
    + ` ${count('PENDING')} AS ${q('pending')}, ${count('PROCESSING')} AS ${q('processing')},`
    + ` ${count('PAUSED')} AS ${q('paused')}, ${count('COMPLETED')} AS ${q('completed')}, ${count('FAILED')} AS ${q('failed')},`
    + ` SUM(b.${q('processed_count')}) AS ${q('processedRecords')}, SUM(b.${q('failed_count')}) AS ${q('failedRecords')}`
    + ` FROM (${page}) j LEFT JOIN ${t.tables.batches} b ON b.${q('job_id')} = j.${q('id')}`
    + ` GROUP BY ${jobCols.map((c) => `j.${q(c)}`).join(', ')}`
    + ` ORDER BY j.${q('created_at')} DESC, j.${q('id')}`;
}

/**
 * Ids of up to `limit` jobs whose status is one of `$2…$(statuses+1)` and
 * that finished (`completed_at`, else `updated_at`) more than `$1` ms ago
 * by the database clock, oldest first.
 */
export function selectPurgeableJobs(t: SqlTarget, statuses: number, limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
  const q = t.q;
  const finished = `COALESCE(${q('completed_at')}, ${q('updated_at')})`;
  return `SELECT ${q('id')} AS ${q('id')} FROM ${t.tables.jobs}`
    + ` WHERE ${q('status')} IN (${paramList(2, statuses)}) AND ${finished} < ${t.dialect.nowMs} - $1`
    + ` ORDER BY ${finished}, ${q('id')} LIMIT ${limit}`;
}

/**
 * `$1` job: the key of its `n`-th row (1-based) in key order in `records`
 * (`record_index`) or `batches` (`batch_id`), as column `k`; no row when
 * the job has fewer. Bounds a chunked delete.
 */
export function chunkBoundary(t: SqlTarget, table: 'records' | 'batches', n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
  const q = t.q;
  const key = q(table === 'records' ? 'record_index' : 'batch_id');
  return `SELECT ${key} AS ${q('k')} FROM ${t.tables[table]} WHERE ${q('job_id')} = $1 ORDER BY ${key} LIMIT 1 OFFSET ${n - 1}`;
}

/** `$1` job, `$2` key: deletes the job's `records`/`batches` rows whose key is at most `$2`. */
export function deleteJobRowsUpTo(t: SqlTarget, table: 'records' | 'batches'): string {
  const q = t.q;
  const key = q(table === 'records' ? 'record_index' : 'batch_id');
  return `DELETE FROM ${t.tables[table]} WHERE ${q('job_id')} = $1 AND ${key} <= $2`;
}

/**
 * `$1` job, `$2` age (ms), `$3…` statuses: deletes the job row if it is
 * still purgeable (same conditions as {@link selectPurgeableJobs}).
 */
export function deletePurgeableJob(t: SqlTarget, statuses: number): string {
  const q = t.q;
  return `DELETE FROM ${t.tables.jobs} WHERE ${q('id')} = $1 AND ${q('status')} IN (${paramList(3, statuses)})`
    + ` AND COALESCE(${q('completed_at')}, ${q('updated_at')}) < ${t.dialect.nowMs} - $2`;
}
