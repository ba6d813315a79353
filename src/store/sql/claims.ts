/** Statements of distributed mode's leases: claim, release, renew, reclaim. */
import type { SqlTarget } from './target';

function jobIsProcessing(t: SqlTarget, param: string): string {
  const q = t.q;
  return `EXISTS (SELECT 1 FROM ${t.tables.jobs} j WHERE j.${q('id')} = ${param} AND j.${q('status')} = 'PROCESSING')`;
}

/**
 * One-statement claim (dialects with `UPDATE … RETURNING`): `$1` job,
 * `$2` worker. Returns the claimed batch, or no row.
 */
export function claimReturning(t: SqlTarget): string {
  const q = t.q;
  const d = t.dialect;
  return `UPDATE ${t.tables.batches} SET ${q('status')} = 'PROCESSING', ${q('worker_id')} = $2,`
    + ` ${q('claimed_at')} = ${d.nowMs}, ${q('renewed_at')} = NULL, ${q('version')} = ${q('version')} + 1`
    + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = (`
    + `SELECT ${q('batch_id')} FROM ${t.tables.batches} WHERE ${q('job_id')} = $1 AND ${q('status')} = 'PENDING'`
    + ` AND ${jobIsProcessing(t, '$1')}`
    + ` ORDER BY ${q('batch_index')} LIMIT 1${d.skipLocked})`
    + ` RETURNING ${q('batch_id')} AS ${q('batchId')}, ${q('batch_index')} AS ${q('batchIndex')},`
    + ` ${q('record_start_index')} AS ${q('recordStartIndex')}, ${q('record_end_index')} AS ${q('recordEndIndex')},`
    + ` ${q('claimed_at')} AS ${q('claimedAt')}`;
}

/**
 * Two-statement claim, first half (in a transaction): locks the
 * lowest-index PENDING batch nobody else holds. `$1` job.
 */
export function claimSelect(t: SqlTarget): string {
  const q = t.q;
  return `SELECT ${q('batch_id')} AS ${q('batchId')}, ${q('batch_index')} AS ${q('batchIndex')},`
    + ` ${q('record_start_index')} AS ${q('recordStartIndex')}, ${q('record_end_index')} AS ${q('recordEndIndex')},`
    + ` ${t.dialect.nowMs} AS ${q('claimedAt')}`
    + ` FROM ${t.tables.batches} WHERE ${q('job_id')} = $1 AND ${q('status')} = 'PENDING'`
    + ` AND ${jobIsProcessing(t, '$1')}`
    + ` ORDER BY ${q('batch_index')} LIMIT 1${t.dialect.skipLocked}`;
}

/** Two-statement claim, second half: `$1` job, `$2` batch, `$3` worker, `$4` claimedAt. */
export function claimUpdate(t: SqlTarget): string {
  const q = t.q;
  return `UPDATE ${t.tables.batches} SET ${q('status')} = 'PROCESSING', ${q('worker_id')} = $3,`
    + ` ${q('claimed_at')} = $4, ${q('renewed_at')} = NULL, ${q('version')} = ${q('version')} + 1`
    + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2 AND ${q('status')} = 'PENDING'`;
}

/** `$1` job: one PENDING batch id, if any (a plain read, no lock). */
export function selectPendingBatch(t: SqlTarget): string {
  const q = t.q;
  return `SELECT ${q('batch_id')} AS ${q('batchId')} FROM ${t.tables.batches}`
    + ` WHERE ${q('job_id')} = $1 AND ${q('status')} = 'PENDING' LIMIT 1`;
}

/** `$1` job, `$2` batch, `$3` worker: back to PENDING if the worker holds it. */
export function releaseBatch(t: SqlTarget): string {
  const q = t.q;
  return `UPDATE ${t.tables.batches} SET ${q('status')} = 'PENDING', ${q('worker_id')} = NULL, ${q('claimed_at')} = NULL,`
    + ` ${q('renewed_at')} = NULL, ${q('version')} = ${q('version')} + 1`
    + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2 AND ${q('worker_id')} = $3 AND ${q('status')} = 'PROCESSING'`;
}

/** `$1` job, `$2` batch, `$3` worker: renews the lease (`renewed_at` becomes now) if the worker holds it. */
export function renewLease(t: SqlTarget): string {
  const q = t.q;
  return `UPDATE ${t.tables.batches} SET ${q('renewed_at')} = ${t.dialect.nowMs}, ${q('version')} = ${q('version')} + 1`
    + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2 AND ${q('worker_id')} = $3 AND ${q('status')} = 'PROCESSING'`;
}

/** The time a lease was last taken or renewed: `renewed_at`, else `claimed_at`. */
export function leaseTime(t: SqlTarget, alias = ''): string {
  return `COALESCE(${alias}${t.q('renewed_at')}, ${alias}${t.q('claimed_at')})`;
}

/** `$1` job, `$2` timeout (ms): PROCESSING batches whose lease is older go back to PENDING. */
export function reclaimStale(t: SqlTarget): string {
  const q = t.q;
  return `UPDATE ${t.tables.batches} SET ${q('status')} = 'PENDING', ${q('worker_id')} = NULL, ${q('claimed_at')} = NULL,`
    + ` ${q('renewed_at')} = NULL, ${q('version')} = ${q('version')} + 1`
    + ` WHERE ${q('job_id')} = $1 AND ${q('status')} = 'PROCESSING' AND ${leaseTime(t)} < ${t.dialect.nowMs} - $2`;
}
