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
 * locked finalize (see `Dialect.lockBeforeCheck`).
 */
export function finalizeCheck(t: SqlTarget): string {
  const q = t.q;
  const b = t.tables.batches;
  return `SELECT j.${q('status')} AS ${q('status')},`
    + ` CASE WHEN EXISTS (SELECT 1 FROM ${b} ab WHERE ab.${q('job_id')} = $1) THEN 1 ELSE 0 END AS ${q('anyBatch')},`
    + ` CASE WHEN EXISTS (SELECT 1 FROM ${b} ob WHERE ob.${q('job_id')} = $1 AND ob.${q('status')} IN ${UNFINISHED_BATCH})`
    + ` THEN 1 ELSE 0 END AS ${q('unfinished')}`
    + ` FROM ${t.tables.jobs} j WHERE j.${q('id')} = $1`;
}
