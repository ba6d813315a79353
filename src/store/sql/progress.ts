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
  return `COALESCE(${q('record_end_index')} - ${q('record_start_index')} + 1, ${q('processed_count')} + ${q('failed_count')})`;
}

/**
 * `$1…$jobs` jobs: their batches grouped by job, status and whether the row
 * was never changed since it was saved (`fresh`: `version` 0), with counts,
 * reported records and accounted records (`size`). For one job the rows are
 * not grouped by job (no `jobId` column): grouping by the id string cost
 * PostgreSQL a third of the statement at 10,000 batches.
 */
export function batchAggregates(t: SqlTarget, jobs: number): string {
  const q = t.q;
  const fresh = `CASE WHEN ${q('version')} = 0 THEN 1 ELSE 0 END`;
  const byJob = jobs > 1;
  return `SELECT ${byJob ? `${q('job_id')} AS ${q('jobId')}, ` : ''}${q('status')} AS ${q('status')}, ${fresh} AS ${q('fresh')},`
    + ` COUNT(*) AS ${q('n')}, SUM(${q('processed_count')}) AS ${q('processed')}, SUM(${q('failed_count')}) AS ${q('failed')},`
    + ` SUM(${batchRecords(t)}) AS ${q('size')}`
    + ` FROM ${t.tables.batches} WHERE ${byJob ? `${q('job_id')} IN (${paramList(1, jobs)})` : `${q('job_id')} = $1`}`
    + ` GROUP BY ${byJob ? `${q('job_id')}, ` : ''}${q('status')}, ${fresh}`;
}

/**
 * `$1` job: its record counts by status over the batches in flight —
 * PROCESSING or PAUSED, or PENDING unless (`distributed`) the batch was never
 * claimed (its records are the orchestrator's, all pending). The batch ids
 * are found first, one indexed lookup per status, and the records looked up
 * by them (`Dialect.inList`): PostgreSQL planned the plain `IN (subquery)` as
 * a scan of every record of the job (148 ms at 1,000,000 records), and one
 * `OR` over the statuses as a scan of every batch.
 */
export function liveRecordCounts(t: SqlTarget, distributed: boolean): string {
  const q = t.q;
  const from = `SELECT b.${q('batch_id')} FROM ${t.tables.batches} b WHERE b.${q('job_id')} = $1 AND`;
  const live = `${from} b.${q('status')} IN ('PROCESSING', 'PAUSED')`
    + ` UNION ALL ${from} b.${q('status')} = 'PENDING'${distributed ? ` AND b.${q('version')} > 0` : ''}`;
  return `SELECT ${q('status')} AS ${q('status')}, COUNT(*) AS ${q('n')} FROM ${t.tables.records}`
    + ` WHERE ${q('job_id')} = $1 AND ${t.dialect.inList(q('batch_id'), live)} GROUP BY ${q('status')}`;
}
