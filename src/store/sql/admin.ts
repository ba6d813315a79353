/** Statements beyond the engine's port: listing, purging and deleting jobs, the database clock. */
import type { Tables } from '../dialects';
import { leaseTime } from './claims';
import { paramList, type SqlTarget } from './target';

/** The job statuses that are not terminal, as an SQL list. */
const ACTIVE_JOB = `'CREATED', 'PREVIEWING', 'PREVIEWED', 'PROCESSING', 'PAUSED'`;

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
 * A page of jobs, newest first (by creation, then id). `$1…$statuses` filter
 * by job status (no filter when `statuses` is 0). `limit` and `offset` must
 * be validated non-negative integers (inlined, since not every driver binds
 * `LIMIT` parameters).
 */
export function listJobs(t: SqlTarget, statuses: number, limit: number, offset: number): string {
  checkPage(limit, offset);
  const q = t.q;
  return `${summaryColumns(t)}${statuses > 0 ? ` WHERE ${q('status')} IN (${paramList(1, statuses)})` : ''}`
    + ` ORDER BY ${q('created_at')} DESC, ${q('id')} LIMIT ${limit} OFFSET ${offset}`;
}

/** `$1` job: its row, as {@link listJobs} selects it. */
export function selectJobSummary(t: SqlTarget): string {
  return `${summaryColumns(t)} WHERE ${t.q('id')} = $1`;
}

/** The job columns a summary needs, from the jobs table. */
function summaryColumns(t: SqlTarget): string {
  const q = t.q;
  const alias: Record<string, string> = {
    id: 'id', status: 'status', distributed: 'distributed', total_records: 'totalRecords', started_at: 'startedAt',
    completed_at: 'completedAt', created_at: 'createdAt', updated_at: 'updatedAt',
  };
  return `SELECT ${Object.entries(alias).map(([c, a]) => `${q(c)} AS ${q(a)}`).join(', ')} FROM ${t.tables.jobs}`;
}

/** How many jobs have one of `$1…$statuses` (all jobs when `statuses` is 0), as column `n`. */
export function countJobs(t: SqlTarget, statuses: number): string {
  const q = t.q;
  return `SELECT COUNT(*) AS ${q('n')} FROM ${t.tables.jobs}`
    + (statuses > 0 ? ` WHERE ${q('status')} IN (${paramList(1, statuses)})` : '');
}

/** Job counts by status, as columns `status` and `n`. */
export function countJobsByStatus(t: SqlTarget): string {
  const q = t.q;
  return `SELECT ${q('status')} AS ${q('status')}, COUNT(*) AS ${q('n')} FROM ${t.tables.jobs} GROUP BY ${q('status')}`;
}

/** The jobs not yet terminal: the fields progress needs. */
export function selectActiveJobs(t: SqlTarget): string {
  const q = t.q;
  return `SELECT ${q('id')} AS ${q('id')}, ${q('total_records')} AS ${q('totalRecords')}, ${q('started_at')} AS ${q('startedAt')},`
    + ` ${q('completed_at')} AS ${q('completedAt')}, ${q('distributed')} AS ${q('distributed')} FROM ${t.tables.jobs}`
    + ` WHERE ${q('status')} IN (${ACTIVE_JOB})`;
}

/**
 * `$1` stale age (ms): over the PROCESSING batches of jobs not yet terminal,
 * how many there are (`processing`), how many have a lease older than `$1`
 * (`stale`), the oldest lease time (`oldest`) and the database clock (`now`).
 */
export function leaseSummary(t: SqlTarget): string {
  const q = t.q;
  const lease = leaseTime(t, 'b.');
  return `SELECT COUNT(*) AS ${q('processing')},`
    + ` SUM(CASE WHEN ${lease} < ${t.dialect.nowMs} - $1 THEN 1 ELSE 0 END) AS ${q('stale')},`
    + ` MIN(${lease}) AS ${q('oldest')}, ${t.dialect.nowMs} AS ${q('now')}`
    + ` FROM ${t.tables.batches} b JOIN ${t.tables.jobs} j ON j.${q('id')} = b.${q('job_id')}`
    + ` WHERE j.${q('status')} IN (${ACTIVE_JOB}) AND b.${q('status')} = 'PROCESSING'`;
}

/** Batch counts by status over the jobs not yet terminal. */
export function countActiveBatchesByStatus(t: SqlTarget): string {
  const q = t.q;
  return `SELECT b.${q('status')} AS ${q('status')}, COUNT(*) AS ${q('n')}`
    + ` FROM ${t.tables.batches} b JOIN ${t.tables.jobs} j ON j.${q('id')} = b.${q('job_id')}`
    + ` WHERE j.${q('status')} IN (${ACTIVE_JOB}) GROUP BY b.${q('status')}`;
}

/** `$1` job: every batch with its lease and finish times, in no order (the caller sorts). */
export function listBatches(t: SqlTarget): string {
  const q = t.q;
  const cols: Record<string, string> = {
    batch_id: 'batchId', batch_index: 'batchIndex', status: 'status', processed_count: 'processedCount',
    failed_count: 'failedCount', worker_id: 'workerId', claimed_at: 'claimedAt', renewed_at: 'renewedAt',
    finished_at: 'finishedAt', record_start_index: 'recordStartIndex', record_end_index: 'recordEndIndex', version: 'version',
  };
  return `SELECT ${Object.entries(cols).map(([c, a]) => `${q(c)} AS ${q(a)}`).join(', ')} FROM ${t.tables.batches}`
    + ` WHERE ${q('job_id')} = $1`;
}

/** `$1` job, `$2…` statuses: how many of its records have one of them, as column `n`. */
export function countRecords(t: SqlTarget, statuses: number): string {
  const q = t.q;
  return `SELECT COUNT(*) AS ${q('n')} FROM ${t.tables.records} WHERE ${q('job_id')} = $1 AND ${q('status')} IN (${paramList(2, statuses)})`;
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
