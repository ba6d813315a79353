/** Statements of exactly-once finalization. */
import { UNFINISHED_BATCH, type SqlTarget } from './target';

/**
 * `$1` job: PROCESSING → COMPLETED, or FAILED if any batch failed, when the
 * job has batches and all are terminal. Affects one row exactly once.
 */
export function finalizeJob(t: SqlTarget): string {
  const q = t.q;
  const d = t.dialect;
  const b = t.tables.batches;
  return `UPDATE ${t.tables.jobs} SET ${q('status')} = CASE WHEN EXISTS (`
    + `SELECT 1 FROM ${b} fb WHERE fb.${q('job_id')} = $1 AND fb.${q('status')} = 'FAILED') THEN 'FAILED' ELSE 'COMPLETED' END,`
    + ` ${q('completed_at')} = ${d.nowMs}, ${q('updated_at')} = ${d.nowMs}, ${q('version')} = ${q('version')} + 1`
    + ` WHERE ${q('id')} = $1 AND ${q('status')} = 'PROCESSING'`
    + ` AND EXISTS (SELECT 1 FROM ${b} ab WHERE ab.${q('job_id')} = $1)`
    + ` AND NOT EXISTS (SELECT 1 FROM ${b} ob WHERE ob.${q('job_id')} = $1 AND ob.${q('status')} IN ${UNFINISHED_BATCH})`;
}

/**
 * `$1` job: its status, whether it has any batch (`anyBatch`) and whether
 * any batch is unfinished (`unfinished`), as 0/1 — the check before a
 * locked finalize (see `Dialect.lockBeforeCheck`), which re-checks the batch
 * rows itself ({@link finalizeJob}).
 *
 * `counters`: both answered from the progress counters
 * (`Dialect.progressCounters`): a few rows of the job. On the batch rows,
 * PostgreSQL planned the `EXISTS` as a sequential scan when the job held
 * about half of the table (the estimate assumes job and status independent),
 * 2.3 ms per call at the end of a 10,000-batch job.
 */
export function finalizeCheck(t: SqlTarget, counters: boolean): string {
  const q = t.q;
  const [from, live] = counters && t.tables.progress
    ? [t.tables.progress, ` AND x.${q('n')} > 0`]
    : [t.tables.batches, ''];
  return `SELECT j.${q('status')} AS ${q('status')},`
    + ` CASE WHEN EXISTS (SELECT 1 FROM ${from} x WHERE x.${q('job_id')} = $1${live}) THEN 1 ELSE 0 END AS ${q('anyBatch')},`
    + ` CASE WHEN EXISTS (SELECT 1 FROM ${from} x WHERE x.${q('job_id')} = $1 AND x.${q('status')} IN ${UNFINISHED_BATCH}${live})`
    + ` THEN 1 ELSE 0 END AS ${q('unfinished')}`
    + ` FROM ${t.tables.jobs} j WHERE j.${q('id')} = $1`;
}
