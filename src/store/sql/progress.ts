/**
 * Statements behind progress: aggregates over batch rows, and record counts
 * for the batches still in flight only. A job's progress never counts its
 * whole records table (at 1,000,000 records that took tens of milliseconds).
 */
import { paramList, type SqlTarget } from './target';

/**
 * Records a batch row accounts for without reading them: its record range
 * when it has one (distributed batches, whose records the orchestrator saved
 * whole), else the records it reported processed or failed.
 */
function batchRecords(t: SqlTarget): string {
  const q = t.q;
  return `CASE WHEN ${q('record_start_index')} IS NOT NULL AND ${q('record_end_index')} IS NOT NULL`
    + ` THEN ${q('record_end_index')} - ${q('record_start_index')} + 1 ELSE ${q('processed_count')} + ${q('failed_count')} END`;
}

/**
 * `$1…$jobs` jobs: their batches grouped by job, status and whether the row
 * was never changed since it was saved (`fresh`: `version` 0), with counts,
 * reported records and accounted records (`size`).
 */
export function batchAggregates(t: SqlTarget, jobs: number): string {
  const q = t.q;
  const fresh = `CASE WHEN ${q('version')} = 0 THEN 1 ELSE 0 END`;
  return `SELECT ${q('job_id')} AS ${q('jobId')}, ${q('status')} AS ${q('status')}, ${fresh} AS ${q('fresh')},`
    + ` COUNT(*) AS ${q('n')}, SUM(${q('processed_count')}) AS ${q('processed')}, SUM(${q('failed_count')}) AS ${q('failed')},`
    + ` SUM(${batchRecords(t)}) AS ${q('size')}`
    + ` FROM ${t.tables.batches} WHERE ${q('job_id')} IN (${paramList(1, jobs)})`
    + ` GROUP BY ${q('job_id')}, ${q('status')}, ${fresh}`;
}

/**
 * `$1…$jobs` jobs, then `$(jobs+1)…` the jobs among them that are not
 * distributed (`singles` of them): record counts by job and status for the
 * batches in flight — PROCESSING or PAUSED, or PENDING unless the batch of a
 * distributed job was never claimed (its records are the orchestrator's).
 */
export function liveRecordCounts(t: SqlTarget, jobs: number, singles: number): string {
  const q = t.q;
  const pending = singles > 0
    ? `(b.${q('version')} > 0 OR b.${q('job_id')} IN (${paramList(jobs + 1, singles)}))`
    : `b.${q('version')} > 0`;
  return `SELECT r.${q('job_id')} AS ${q('jobId')}, r.${q('status')} AS ${q('status')}, COUNT(*) AS ${q('n')}`
    + ` FROM ${t.tables.records} r JOIN ${t.tables.batches} b ON b.${q('job_id')} = r.${q('job_id')} AND b.${q('batch_id')} = r.${q('batch_id')}`
    + ` WHERE b.${q('job_id')} IN (${paramList(1, jobs)})`
    + ` AND (b.${q('status')} IN ('PROCESSING', 'PAUSED') OR (b.${q('status')} = 'PENDING' AND ${pending}))`
    + ` GROUP BY r.${q('job_id')}, r.${q('status')}`;
}

