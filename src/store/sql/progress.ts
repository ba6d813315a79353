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
 *
 * `counters`: the same groups summed from the database's progress counters
 * (`Dialect.progressCounters`, src/store/dialects/postgresCounters.ts), a few
 * rows per job, instead of every batch row (about 4 ms at 10,000 batches on
 * PostgreSQL).
 */
export function batchAggregates(t: SqlTarget, jobs: number, counters: boolean): string {
  const q = t.q;
  const byJob = jobs > 1;
  const where = `WHERE ${byJob ? `${q('job_id')} IN (${paramList(1, jobs)})` : `${q('job_id')} = $1`}`;
  const job = byJob ? `${q('job_id')} AS ${q('jobId')}, ` : '';
  if (counters && t.tables.progress) {
    const sum = (column: string): string => `SUM(${q(column)}) AS ${q(column)}`;
    return `SELECT ${job}${q('status')} AS ${q('status')}, ${q('fresh')} AS ${q('fresh')}, ${['n', 'processed', 'failed', 'size'].map(sum).join(', ')}`
      + ` FROM ${t.tables.progress} ${where} GROUP BY ${byJob ? `${q('job_id')}, ` : ''}${q('status')}, ${q('fresh')} HAVING SUM(${q('n')}) <> 0`;
  }
  const fresh = `CASE WHEN ${q('version')} = 0 THEN 1 ELSE 0 END`;
  return `SELECT ${job}${q('status')} AS ${q('status')}, ${fresh} AS ${q('fresh')},`
    + ` COUNT(*) AS ${q('n')}, SUM(${q('processed_count')}) AS ${q('processed')}, SUM(${q('failed_count')}) AS ${q('failed')},`
    + ` SUM(${batchRecords(t)}) AS ${q('size')}`
    + ` FROM ${t.tables.batches} ${where} GROUP BY ${byJob ? `${q('job_id')}, ` : ''}${q('status')}, ${fresh}`;
}

/**
 * `$1` job: its row's progress fields (`id`, `totalRecords`, `startedAt`,
 * `completedAt`, `distributed`) joined to its batch aggregates
 * ({@link batchAggregates} for one job): one row per aggregate group, or one
 * row with a NULL `status` for a job without batches; no row for an unknown
 * job. `getProgress` reads job and batches in one round trip. `counters`: as
 * in {@link batchAggregates}.
 */
export function jobProgressRows(t: SqlTarget, counters: boolean): string {
  const q = t.q;
  const j = (column: string, alias: string): string => `j.${q(column)} AS ${q(alias)}`;
  const a = (alias: string): string => `a.${q(alias)} AS ${q(alias)}`;
  return `SELECT ${j('id', 'id')}, ${j('total_records', 'totalRecords')}, ${j('started_at', 'startedAt')},`
    + ` ${j('completed_at', 'completedAt')}, ${j('distributed', 'distributed')},`
    + ` ${['status', 'fresh', 'n', 'processed', 'failed', 'size'].map(a).join(', ')}`
    + ` FROM ${t.tables.jobs} j LEFT JOIN (${batchAggregates(t, 1, counters)}) a ON 1 = 1 WHERE j.${q('id')} = $1`;
}

/**
 * `$1` job, where the database keeps progress counters: {@link jobProgressRows}
 * from the counters (column `live` NULL) followed by the record counts by
 * status of its batches in flight (`live` 1: only `status` and `n` set) — the
 * whole of `getProgress` in one round trip. The batches in flight are those
 * {@link liveRecordCounts} names; the PENDING ones are looked up only when
 * the counters show any that count (for a distributed job, claimed before),
 * a one-time condition the planner checks before scanning the job's PENDING
 * batches.
 */
export function jobProgressWithLive(t: SqlTarget): string {
  const q = t.q;
  const progress = t.tables.progress as string;
  const distributed = `(SELECT d.${q('distributed')} FROM ${t.tables.jobs} d WHERE d.${q('id')} = $1)`;
  const from = `SELECT b.${q('batch_id')} FROM ${t.tables.batches} b WHERE b.${q('job_id')} = $1 AND`;
  const held = `${from} b.${q('status')} IN ('PROCESSING', 'PAUSED')`;
  const pending = `${from} b.${q('status')} = 'PENDING' AND (b.${q('version')} > 0 OR NOT ${distributed})`
    + ` AND EXISTS (SELECT 1 FROM ${progress} c WHERE c.${q('job_id')} = $1 AND c.${q('status')} = 'PENDING' AND c.${q('n')} > 0`
    + ` AND (c.${q('fresh')} = 0 OR NOT ${distributed}))`;
  const none = (alias: string): string => `NULL AS ${q(alias)}`;
  return `SELECT NULL AS ${q('live')}, r.* FROM (${jobProgressRows(t, true)}) r`
    + ` UNION ALL SELECT 1, ${['id', 'totalRecords', 'startedAt', 'completedAt', 'distributed'].map(none).join(', ')},`
    + ` ${q('status')}, NULL, COUNT(*), NULL, NULL, NULL`
    + ` ${t.dialect.fromWhereIn(t.tables.records, `${q('job_id')} = $1`, q('batch_id'), `${held} UNION ALL ${pending}`)} GROUP BY ${q('status')}`;
}

/**
 * `$1` job: its record counts by status over the batches in flight —
 * PROCESSING or PAUSED (`held`), and PENDING (`pending`) unless (`distributed`)
 * the batch was never claimed (its records are the orchestrator's, all
 * pending). The caller names only the kinds its batch aggregates show, so a
 * lookup that would find nothing is not made. The batch ids are found first,
 * one indexed lookup per kind, and the records looked up by them
 * (`Dialect.fromWhereIn`): PostgreSQL planned the plain `IN (subquery)` as a
 * scan of every record of the job (148 ms at 1,000,000 records), one `OR`
 * over the statuses as a scan of every batch, and the PENDING lookup as a
 * scan of the job's batches (about 1 ms at 10,000) even when it finds none;
 * MariaDB ran `IN (… UNION ALL …)` once per record of the job.
 */
export function liveRecordCounts(t: SqlTarget, distributed: boolean, held: boolean, pending: boolean): string {
  const q = t.q;
  const from = `SELECT b.${q('batch_id')} FROM ${t.tables.batches} b WHERE b.${q('job_id')} = $1 AND`;
  const arms = [
    ...(held ? [`${from} b.${q('status')} IN ('PROCESSING', 'PAUSED')`] : []),
    ...(pending ? [`${from} b.${q('status')} = 'PENDING'${distributed ? ` AND b.${q('version')} > 0` : ''}`] : []),
  ];
  if (arms.length === 0) throw new Error('liveRecordCounts: no batches to look at');
  return `SELECT ${q('status')} AS ${q('status')}, COUNT(*) AS ${q('n')}`
    + ` ${t.dialect.fromWhereIn(t.tables.records, `${q('job_id')} = $1`, q('batch_id'), arms.join(' UNION ALL '))} GROUP BY ${q('status')}`;
}
