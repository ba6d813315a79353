/** Statements on the batches table outside claims: saving, reporting and reading batches. */
import { BATCH_COLUMNS } from './columns';
import { columnList, finishedAt, paramList, type SqlTarget } from './target';

/**
 * Inserts `rows` batches of a job (`BATCH_COLUMNS` per row). `replace`:
 * existing batches take the new values (single-process jobs, whose engine
 * holds the truth); otherwise existing batches are left as they are
 * (distributed jobs: claimed or done batches must not be reset by a repeated
 * save).
 */
export function insertBatches(t: SqlTarget, rows: number, replace: boolean): string {
  const d = t.dialect;
  const q = t.q;
  const status = BATCH_COLUMNS.indexOf('status');
  const values: string[] = [];
  let n = 1;
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < BATCH_COLUMNS.length; c++) row.push(`$${n++}`);
    values.push(`(${row.join(', ')}, 0, ${finishedAt(t, row[status] as string)})`);
  }
  return `${d.insertInto(t.tables.batches)} (${columnList(t, BATCH_COLUMNS)}, ${q('version')}, ${q('finished_at')}) VALUES ${values.join(', ')}`
    + (replace
      ? d.onConflictUpdate(t.tables.batches, ['job_id', 'batch_id'], BATCH_COLUMNS.slice(2), {
        finished_at: finishedAt(t, `$new.${q('status')}`, `$old.${q('finished_at')}`),
        version: `$old.${q('version')} + 1`,
      })
      : d.onConflictUpdate(t.tables.batches, ['job_id', 'batch_id'], []));
}

/**
 * A batch the engine reports through `updateBatchState` before any
 * `saveJobState` names it (single-process streaming): index unknown yet.
 * `$1` job, `$2` batch, `$3` status, `$4` processed, `$5` failed.
 */
export function insertUnindexedBatch(t: SqlTarget): string {
  return `${reportedBatchInsert(t)} VALUES ($1, $2, $3, $4, $5, 0, ${finishedAt(t, '$3')})${reportedBatchConflict(t)}`;
}

/** `INSERT INTO` batches with the columns a report sets. */
function reportedBatchInsert(t: SqlTarget): string {
  const columns = ['job_id', 'batch_id', 'status', 'processed_count', 'failed_count', 'version', 'finished_at'];
  return `${t.dialect.insertInto(t.tables.batches)} (${columnList(t, columns)})`;
}

/** A reported batch that exists already takes the report's status and counts (`$3`–`$5`); `version` moves. */
function reportedBatchConflict(t: SqlTarget): string {
  const q = t.q;
  return t.dialect.onConflictUpdate(t.tables.batches, ['job_id', 'batch_id'], ['status', 'processed_count', 'failed_count'], {
    finished_at: finishedAt(t, '$3', `$old.${q('finished_at')}`),
    version: `$old.${q('version')} + 1`,
  });
}

/**
 * {@link insertUnindexedBatch} (insert, or update an existing row) only if
 * the job row exists and is not distributed; otherwise it changes nothing.
 * One statement for what the engine's single-process path otherwise does in
 * three (an UPDATE that finds no row for a new batch, the job head, the
 * INSERT). Same parameters.
 */
export function upsertBatchOfPlainJob(t: SqlTarget): string {
  const d = t.dialect;
  const q = t.q;
  return `${reportedBatchInsert(t)} SELECT $1, $2, $3, $4, $5, 0, ${finishedAt(t, '$3')} FROM ${t.tables.jobs} j`
    + ` WHERE j.${q('id')} = ${d.textParam('$1')} AND NOT j.${q('distributed')}${reportedBatchConflict(t)}`;
}

/**
 * Sets a batch's status and counts. `$1` job, `$2` batch, `$3` status,
 * `$4` processed, `$5` failed; with `fenced`, `$6` is the worker that must
 * hold the batch. A batch going back to PENDING loses its worker.
 */
export function updateBatch(t: SqlTarget, fenced: boolean, toPending: boolean): string {
  const q = t.q;
  return `UPDATE ${t.tables.batches} SET ${q('status')} = $3, ${q('processed_count')} = $4, ${q('failed_count')} = $5,`
    + (toPending ? ` ${q('worker_id')} = NULL, ${q('claimed_at')} = NULL, ${q('renewed_at')} = NULL,` : '')
    + ` ${q('finished_at')} = ${finishedAt(t, '$3', q('finished_at'))},`
    + ` ${q('version')} = ${q('version')} + 1`
    + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2`
    + (fenced ? ` AND ${q('worker_id')} = $6 AND ${q('status')} = 'PROCESSING'` : '');
}

/** `$1` job, `$2` batch: who holds it and its status. */
export function selectBatchHolder(t: SqlTarget): string {
  const q = t.q;
  return `SELECT ${q('status')} AS ${q('status')}, ${q('worker_id')} AS ${q('workerId')} FROM ${t.tables.batches}`
    + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2`;
}

/** `$1` job: its batches, by index (unindexed ones last). */
export function selectBatches(t: SqlTarget): string {
  const q = t.q;
  return `SELECT ${q('batch_id')} AS ${q('batchId')}, ${q('batch_index')} AS ${q('batchIndex')}, ${q('status')} AS ${q('status')},`
    + ` ${q('processed_count')} AS ${q('processedCount')}, ${q('failed_count')} AS ${q('failedCount')},`
    + ` ${q('worker_id')} AS ${q('workerId')}, ${q('claimed_at')} AS ${q('claimedAt')},`
    + ` ${q('record_start_index')} AS ${q('recordStartIndex')}, ${q('record_end_index')} AS ${q('recordEndIndex')}`
    + ` FROM ${t.tables.batches} WHERE ${q('job_id')} = $1`
    + ` ORDER BY CASE WHEN ${q('batch_index')} IS NULL THEN 1 ELSE 0 END, ${q('batch_index')}, ${q('batch_id')}`;
}

/** `$1` job, `$2…` batch ids: the lowest record index saved for each batch. */
export function selectFirstRecordOfBatches(t: SqlTarget, batches: number): string {
  const q = t.q;
  return `SELECT ${q('batch_id')} AS ${q('batchId')}, MIN(${q('record_index')}) AS ${q('first')}`
    + ` FROM ${t.tables.records} WHERE ${q('job_id')} = $1 AND ${q('batch_id')} IN (${paramList(2, batches)}) GROUP BY ${q('batch_id')}`;
}

/** `$1` job: batch counts by status (`counters`: summed from the progress counters, `Dialect.progressCounters`). */
export function countBatchesByStatus(t: SqlTarget, counters: boolean): string {
  const q = t.q;
  if (counters && t.tables.progress) {
    return `SELECT ${q('status')} AS ${q('status')}, SUM(${q('n')}) AS ${q('n')} FROM ${t.tables.progress}`
      + ` WHERE ${q('job_id')} = $1 GROUP BY ${q('status')} HAVING SUM(${q('n')}) <> 0`;
  }
  return `SELECT ${q('status')} AS ${q('status')}, COUNT(*) AS ${q('n')} FROM ${t.tables.batches}`
    + ` WHERE ${q('job_id')} = $1 GROUP BY ${q('status')}`;
}
