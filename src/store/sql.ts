/**
 * Every statement the store runs, built by small pure functions of a
 * {@link Dialect} and the store's {@link Tables}. Bind parameters are `$1…$n`.
 * Nothing here touches a connection; `SequelizeStateStore` runs what these
 * return. Column names are those of the entities (`underscored: true`).
 */
import type { Dialect, Tables } from './dialects';

/** Record columns, in the order `recordValues` emits them. */
export const RECORD_COLUMNS = [
  'job_id', 'record_index', 'batch_id', 'status', 'raw', 'parsed', 'errors', 'processing_error', 'retry_count',
] as const;

/** Batch columns written by `saveJobState`, in the order `batchValues` emits them. */
export const BATCH_COLUMNS = [
  'job_id', 'batch_id', 'batch_index', 'status', 'processed_count', 'failed_count',
  'record_start_index', 'record_end_index',
] as const;

/** Job columns written by `saveJobState`, in the order `jobValues` emits them. */
export const JOB_COLUMNS = [
  'id', 'status', 'config', 'total_records', 'started_at', 'completed_at', 'distributed',
] as const;

// The non-terminal batch statuses, listed (not `NOT IN ('COMPLETED', 'FAILED')`):
// an IN list is an index range on (job_id, status, batch_index), while NOT IN
// scans every COMPLETED batch of the job, which made tryFinalizeJob cost grow
// with job size (8.5 ms at 9,800 COMPLETED batches on PostgreSQL, 0.2 ms with IN).
// Every status the store writes is validated against BATCH_STATUSES.
const UNFINISHED_BATCH = `('PENDING', 'PROCESSING', 'PAUSED')`;

function placeholders(rows: number, columns: number, first = 1): string {
  const out: string[] = [];
  let n = first;
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(`$${n++}`);
    out.push(`(${row.join(', ')})`);
  }
  return out.join(', ');
}

/** Builds the store's statements for one dialect and one set of tables. Pure. */
export class Sql {
  private readonly q: (id: string) => string;
  private readonly cache = new Map<string, string>();

  constructor(readonly dialect: Dialect, readonly tables: Tables) {
    this.q = dialect.quote;
  }

  private memo(key: string, build: () => string): string {
    let sql = this.cache.get(key);
    if (sql === undefined) {
      sql = build();
      // Multi-row statements vary with the row count; keep the cache bounded.
      if (this.cache.size < 256) this.cache.set(key, sql);
    }
    return sql;
  }

  private cols(names: readonly string[]): string {
    return names.map(this.q).join(', ');
  }

  /** Inserts or replaces `rows` records, keyed by (job, record index). */
  upsertRecords(rows: number): string {
    return this.memo(`upsertRecords:${rows}`, () => {
      const d = this.dialect;
      return `${d.insertInto(this.tables.records)} (${this.cols(RECORD_COLUMNS)}) VALUES ${placeholders(rows, RECORD_COLUMNS.length)}`
        + d.onConflictUpdate(this.tables.records, ['job_id', 'record_index'], RECORD_COLUMNS.slice(2));
    });
  }

  /** Inserts or replaces a job row; `created_at` is kept, `version` moves. */
  upsertJob(): string {
    return this.memo('upsertJob', () => {
      const d = this.dialect;
      const n = JOB_COLUMNS.length;
      return `${d.insertInto(this.tables.jobs)} (${this.cols(JOB_COLUMNS)}, ${this.cols(['created_at', 'updated_at', 'version'])})`
        + ` VALUES (${Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')}, ${d.nowMs}, ${d.nowMs}, 0)`
        + d.onConflictUpdate(this.tables.jobs, ['id'], JOB_COLUMNS.slice(1), {
          updated_at: d.nowMs,
          version: `$old.${this.q('version')} + 1`,
        });
    });
  }

  /**
   * Inserts `rows` batches of a job. `replace`: existing batches take the new
   * values (single-process jobs, whose engine holds the truth); otherwise
   * existing batches are left as they are (distributed jobs: claimed or done
   * batches must not be reset by a repeated save).
   */
  insertBatches(rows: number, replace: boolean): string {
    return this.memo(`insertBatches:${rows}:${replace}`, () => {
      const d = this.dialect;
      const values: string[] = [];
      let n = 1;
      for (let r = 0; r < rows; r++) {
        const row: string[] = [];
        for (let c = 0; c < BATCH_COLUMNS.length; c++) row.push(`$${n++}`);
        values.push(`(${row.join(', ')}, 0)`);
      }
      return `${d.insertInto(this.tables.batches)} (${this.cols(BATCH_COLUMNS)}, ${this.q('version')}) VALUES ${values.join(', ')}`
        + (replace
          ? d.onConflictUpdate(this.tables.batches, ['job_id', 'batch_id'], BATCH_COLUMNS.slice(2), {
            version: `$old.${this.q('version')} + 1`,
          })
          : d.onConflictUpdate(this.tables.batches, ['job_id', 'batch_id'], []));
    });
  }

  /**
   * A batch the engine reports through `updateBatchState` before any
   * `saveJobState` names it (single-process streaming): index unknown yet.
   * `$1` job, `$2` batch, `$3` status, `$4` processed, `$5` failed.
   */
  insertUnindexedBatch(): string {
    return this.memo('insertUnindexedBatch', () => {
      const d = this.dialect;
      return `${d.insertInto(this.tables.batches)} (${this.cols(['job_id', 'batch_id', 'status', 'processed_count', 'failed_count', 'version'])})`
        + ` VALUES ($1, $2, $3, $4, $5, 0)`
        + d.onConflictUpdate(this.tables.batches, ['job_id', 'batch_id'], ['status', 'processed_count', 'failed_count'], {
          version: `$old.${this.q('version')} + 1`,
        });
    });
  }

  /**
   * Sets a batch's status and counts. `$1` job, `$2` batch, `$3` status,
   * `$4` processed, `$5` failed; with `fenced`, `$6` is the worker that must
   * hold the batch. A batch going back to PENDING loses its worker.
   */
  updateBatch(fenced: boolean, toPending: boolean): string {
    return this.memo(`updateBatch:${fenced}:${toPending}`, () => {
      const q = this.q;
      return `UPDATE ${this.tables.batches} SET ${q('status')} = $3, ${q('processed_count')} = $4, ${q('failed_count')} = $5,`
        + (toPending ? ` ${q('worker_id')} = NULL, ${q('claimed_at')} = NULL,` : '')
        + ` ${q('version')} = ${q('version')} + 1`
        + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2`
        + (fenced ? ` AND ${q('worker_id')} = $6 AND ${q('status')} = 'PROCESSING'` : '');
    });
  }

  /**
   * `$1` job: its status and distributed flag; `locked`: the row stays locked
   * until the transaction ends (a finalize running meanwhile is waited for).
   */
  selectJobHead(locked = false): string {
    return this.memo(`selectJobHead:${locked}`, () => {
      const q = this.q;
      return `SELECT ${q('status')} AS ${q('status')}, ${q('distributed')} AS ${q('distributed')} FROM ${this.tables.jobs} WHERE ${q('id')} = $1`
        + (locked ? this.dialect.forUpdate : '');
    });
  }

  /** `$1` job, `$2` batch: who holds it and its status. */
  selectBatchHolder(): string {
    return this.memo('selectBatchHolder', () => {
      const q = this.q;
      return `SELECT ${q('status')} AS ${q('status')}, ${q('worker_id')} AS ${q('workerId')} FROM ${this.tables.batches}`
        + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2`;
    });
  }

  /** `$1` job. */
  selectJob(): string {
    return this.memo('selectJob', () => {
      const q = this.q;
      return `SELECT ${q('id')} AS ${q('id')}, ${q('status')} AS ${q('status')}, ${this.dialect.jsonText(q('config'))} AS ${q('config')},`
        + ` ${q('total_records')} AS ${q('totalRecords')}, ${q('started_at')} AS ${q('startedAt')},`
        + ` ${q('completed_at')} AS ${q('completedAt')}, ${q('distributed')} AS ${q('distributed')}`
        + ` FROM ${this.tables.jobs} WHERE ${q('id')} = $1`;
    });
  }

  /** `$1` job: its batches, by index (unindexed ones last). */
  selectBatches(): string {
    return this.memo('selectBatches', () => {
      const q = this.q;
      return `SELECT ${q('batch_id')} AS ${q('batchId')}, ${q('batch_index')} AS ${q('batchIndex')}, ${q('status')} AS ${q('status')},`
        + ` ${q('processed_count')} AS ${q('processedCount')}, ${q('failed_count')} AS ${q('failedCount')},`
        + ` ${q('worker_id')} AS ${q('workerId')}, ${q('claimed_at')} AS ${q('claimedAt')},`
        + ` ${q('record_start_index')} AS ${q('recordStartIndex')}, ${q('record_end_index')} AS ${q('recordEndIndex')}`
        + ` FROM ${this.tables.batches} WHERE ${q('job_id')} = $1`
        + ` ORDER BY CASE WHEN ${q('batch_index')} IS NULL THEN 1 ELSE 0 END, ${q('batch_index')}, ${q('batch_id')}`;
    });
  }

  /** `$1` job, `$2…` batch ids: the lowest record index saved for each batch. */
  selectFirstRecordOfBatches(batches: number): string {
    const q = this.q;
    const list = Array.from({ length: batches }, (_, i) => `$${i + 2}`).join(', ');
    return `SELECT ${q('batch_id')} AS ${q('batchId')}, MIN(${q('record_index')}) AS ${q('first')}`
      + ` FROM ${this.tables.records} WHERE ${q('job_id')} = $1 AND ${q('batch_id')} IN (${list}) GROUP BY ${q('batch_id')}`;
  }

  private recordSelect(): string {
    const q = this.q;
    const j = this.dialect.jsonText;
    return `SELECT ${q('record_index')} AS ${q('recordIndex')}, ${q('status')} AS ${q('status')},`
      + ` ${j(q('raw'))} AS ${q('raw')}, ${j(q('parsed'))} AS ${q('parsed')}, ${j(q('errors'))} AS ${q('errors')},`
      + ` ${j(q('processing_error'))} AS ${q('processingError')}, ${q('retry_count')} AS ${q('retryCount')}`
      + ` FROM ${this.tables.records}`;
  }

  /** `$1` job, `$2…` statuses: records by index. */
  selectRecordsByStatus(statuses: number): string {
    return this.memo(`selectRecordsByStatus:${statuses}`, () => {
      const q = this.q;
      const list = Array.from({ length: statuses }, (_, i) => `$${i + 2}`).join(', ');
      return `${this.recordSelect()} WHERE ${q('job_id')} = $1 AND ${q('status')} IN (${list}) ORDER BY ${q('record_index')}`;
    });
  }

  /** `$1` job, `$2` batch: the batch's records by index. */
  selectBatchRecords(): string {
    return this.memo('selectBatchRecords', () => {
      const q = this.q;
      return `${this.recordSelect()} WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2 ORDER BY ${q('record_index')}`;
    });
  }

  /** `$1` job: record counts by status. */
  countRecordsByStatus(): string {
    return this.memo('countRecordsByStatus', () => {
      const q = this.q;
      return `SELECT ${q('status')} AS ${q('status')}, COUNT(*) AS ${q('n')} FROM ${this.tables.records}`
        + ` WHERE ${q('job_id')} = $1 GROUP BY ${q('status')}`;
    });
  }

  /** `$1` job: batch counts by status. */
  countBatchesByStatus(): string {
    return this.memo('countBatchesByStatus', () => {
      const q = this.q;
      return `SELECT ${q('status')} AS ${q('status')}, COUNT(*) AS ${q('n')} FROM ${this.tables.batches}`
        + ` WHERE ${q('job_id')} = $1 GROUP BY ${q('status')}`;
    });
  }

  private jobIsProcessing(param: string): string {
    const q = this.q;
    return `EXISTS (SELECT 1 FROM ${this.tables.jobs} j WHERE j.${q('id')} = ${param} AND j.${q('status')} = 'PROCESSING')`;
  }

  /**
   * One-statement claim (dialects with `UPDATE … RETURNING`): `$1` job,
   * `$2` worker. Returns the claimed batch, or no row.
   */
  claimReturning(): string {
    return this.memo('claimReturning', () => {
      const q = this.q;
      const d = this.dialect;
      return `UPDATE ${this.tables.batches} SET ${q('status')} = 'PROCESSING', ${q('worker_id')} = $2,`
        + ` ${q('claimed_at')} = ${d.nowMs}, ${q('version')} = ${q('version')} + 1`
        + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = (`
        + `SELECT ${q('batch_id')} FROM ${this.tables.batches} WHERE ${q('job_id')} = $1 AND ${q('status')} = 'PENDING'`
        + ` AND ${this.jobIsProcessing('$1')}`
        + ` ORDER BY ${q('batch_index')} LIMIT 1${d.skipLocked})`
        + ` RETURNING ${q('batch_id')} AS ${q('batchId')}, ${q('batch_index')} AS ${q('batchIndex')},`
        + ` ${q('record_start_index')} AS ${q('recordStartIndex')}, ${q('record_end_index')} AS ${q('recordEndIndex')},`
        + ` ${q('claimed_at')} AS ${q('claimedAt')}`;
    });
  }

  /**
   * Two-statement claim, first half (in a transaction): locks the
   * lowest-index PENDING batch nobody else holds. `$1` job.
   */
  claimSelect(): string {
    return this.memo('claimSelect', () => {
      const q = this.q;
      return `SELECT ${q('batch_id')} AS ${q('batchId')}, ${q('batch_index')} AS ${q('batchIndex')},`
        + ` ${q('record_start_index')} AS ${q('recordStartIndex')}, ${q('record_end_index')} AS ${q('recordEndIndex')},`
        + ` ${this.dialect.nowMs} AS ${q('claimedAt')}`
        + ` FROM ${this.tables.batches} WHERE ${q('job_id')} = $1 AND ${q('status')} = 'PENDING'`
        + ` AND ${this.jobIsProcessing('$1')}`
        + ` ORDER BY ${q('batch_index')} LIMIT 1${this.dialect.skipLocked}`;
    });
  }

  /** `$1` job: one PENDING batch id, if any (a plain read, no lock). */
  selectPendingBatch(): string {
    return this.memo('selectPendingBatch', () => {
      const q = this.q;
      return `SELECT ${q('batch_id')} AS ${q('batchId')} FROM ${this.tables.batches}`
        + ` WHERE ${q('job_id')} = $1 AND ${q('status')} = 'PENDING' LIMIT 1`;
    });
  }

  /** Two-statement claim, second half: `$1` job, `$2` batch, `$3` worker, `$4` claimedAt. */
  claimUpdate(): string {
    return this.memo('claimUpdate', () => {
      const q = this.q;
      return `UPDATE ${this.tables.batches} SET ${q('status')} = 'PROCESSING', ${q('worker_id')} = $3,`
        + ` ${q('claimed_at')} = $4, ${q('version')} = ${q('version')} + 1`
        + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2 AND ${q('status')} = 'PENDING'`;
    });
  }

  /** `$1` job, `$2` batch, `$3` worker: back to PENDING if the worker holds it. */
  releaseBatch(): string {
    return this.memo('releaseBatch', () => {
      const q = this.q;
      return `UPDATE ${this.tables.batches} SET ${q('status')} = 'PENDING', ${q('worker_id')} = NULL, ${q('claimed_at')} = NULL,`
        + ` ${q('version')} = ${q('version')} + 1`
        + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2 AND ${q('worker_id')} = $3 AND ${q('status')} = 'PROCESSING'`;
    });
  }

  /** `$1` job, `$2` batch, `$3` worker: renews the lease if the worker holds it. */
  heartbeatBatch(): string {
    return this.memo('heartbeatBatch', () => {
      const q = this.q;
      return `UPDATE ${this.tables.batches} SET ${q('claimed_at')} = ${this.dialect.nowMs}, ${q('version')} = ${q('version')} + 1`
        + ` WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2 AND ${q('worker_id')} = $3 AND ${q('status')} = 'PROCESSING'`;
    });
  }

  /** `$1` job, `$2` timeout (ms): PROCESSING batches whose lease is older go back to PENDING. */
  reclaimStale(): string {
    return this.memo('reclaimStale', () => {
      const q = this.q;
      return `UPDATE ${this.tables.batches} SET ${q('status')} = 'PENDING', ${q('worker_id')} = NULL, ${q('claimed_at')} = NULL,`
        + ` ${q('version')} = ${q('version')} + 1`
        + ` WHERE ${q('job_id')} = $1 AND ${q('status')} = 'PROCESSING' AND ${q('claimed_at')} < ${this.dialect.nowMs} - $2`;
    });
  }

  /**
   * `$1` job: PROCESSING → COMPLETED, or FAILED if any batch failed, when
   * the job has batches and all are terminal. Affects one row exactly once.
   */
  finalizeJob(): string {
    return this.memo('finalizeJob', () => {
      const q = this.q;
      const d = this.dialect;
      const b = this.tables.batches;
      return `UPDATE ${this.tables.jobs} SET ${q('status')} = CASE WHEN EXISTS (`
        + `SELECT 1 FROM ${b} fb WHERE fb.${q('job_id')} = $1 AND fb.${q('status')} = 'FAILED') THEN 'FAILED' ELSE 'COMPLETED' END,`
        + ` ${q('completed_at')} = ${d.nowMs}, ${q('updated_at')} = ${d.nowMs}, ${q('version')} = ${q('version')} + 1`
        + ` WHERE ${q('id')} = $1 AND ${q('status')} = 'PROCESSING'`
        + ` AND EXISTS (SELECT 1 FROM ${b} ab WHERE ab.${q('job_id')} = $1)`
        + ` AND NOT EXISTS (SELECT 1 FROM ${b} ob WHERE ob.${q('job_id')} = $1 AND ob.${q('status')} IN ${UNFINISHED_BATCH})`;
    });
  }

  /**
   * `$1` job: its status, whether it has any batch (`anyBatch`) and whether
   * any batch is unfinished (`unfinished`), as 0/1 — the check before a
   * locked finalize (see `Dialect.lockBeforeCheck`).
   */
  finalizeCheck(): string {
    return this.memo('finalizeCheck', () => {
      const q = this.q;
      const b = this.tables.batches;
      return `SELECT j.${q('status')} AS ${q('status')},`
        + ` CASE WHEN EXISTS (SELECT 1 FROM ${b} ab WHERE ab.${q('job_id')} = $1) THEN 1 ELSE 0 END AS ${q('anyBatch')},`
        + ` CASE WHEN EXISTS (SELECT 1 FROM ${b} ob WHERE ob.${q('job_id')} = $1 AND ob.${q('status')} IN ${UNFINISHED_BATCH})`
        + ` THEN 1 ELSE 0 END AS ${q('unfinished')}`
        + ` FROM ${this.tables.jobs} j WHERE j.${q('id')} = $1`;
    });
  }

  /** `$1` job: deletes its records, batches or row (one statement each). */
  deleteJobRows(table: keyof Tables): string {
    const q = this.q;
    return `DELETE FROM ${this.tables[table]} WHERE ${q(table === 'jobs' ? 'id' : 'job_id')} = $1`;
  }

  // ------------------------------------------------------------ administration (CLI)

  /** The database clock, epoch ms, as column `now`. */
  selectNow(): string {
    return `SELECT ${this.dialect.nowMs} AS ${this.q('now')}`;
  }

  /**
   * A page of job summaries, newest first, with batch counts by status and
   * record counts summed over the batches: one aggregate query over the page.
   * `$1…$statuses` filter by job status (no filter when `statuses` is 0).
   * `limit` and `offset` must be validated non-negative integers (inlined,
   * since not every driver binds `LIMIT` parameters).
   */
  listJobs(statuses: number, limit: number, offset: number): string {
    if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(offset) || offset < 0) {
      throw new RangeError('limit and offset must be non-negative integers');
    }
    const q = this.q;
    const list = Array.from({ length: statuses }, (_, i) => `$${i + 1}`).join(', ');
    const jobCols = ['id', 'status', 'distributed', 'total_records', 'started_at', 'completed_at', 'created_at', 'updated_at'];
    const page = `SELECT ${this.cols(jobCols)} FROM ${this.tables.jobs}`
      + (statuses > 0 ? ` WHERE ${q('status')} IN (${list})` : '')
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
      + ` FROM (${page}) j LEFT JOIN ${this.tables.batches} b ON b.${q('job_id')} = j.${q('id')}`
      + ` GROUP BY ${jobCols.map((c) => `j.${q(c)}`).join(', ')}`
      + ` ORDER BY j.${q('created_at')} DESC, j.${q('id')}`;
  }

  /**
   * Ids of up to `limit` jobs whose status is one of `$2…$(statuses+1)` and
   * that finished (`completed_at`, else `updated_at`) more than `$1` ms ago
   * by the database clock, oldest first.
   */
  selectPurgeableJobs(statuses: number, limit: number): string {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    const q = this.q;
    const list = Array.from({ length: statuses }, (_, i) => `$${i + 2}`).join(', ');
    const finished = `COALESCE(${q('completed_at')}, ${q('updated_at')})`;
    return `SELECT ${q('id')} AS ${q('id')} FROM ${this.tables.jobs}`
      + ` WHERE ${q('status')} IN (${list}) AND ${finished} < ${this.dialect.nowMs} - $1`
      + ` ORDER BY ${finished}, ${q('id')} LIMIT ${limit}`;
  }

  /**
   * `$1` job: the key of its `n`-th row (1-based) in key order in `records`
   * (`record_index`) or `batches` (`batch_id`), as column `k`; no row when
   * the job has fewer. Bounds a chunked delete.
   */
  chunkBoundary(table: 'records' | 'batches', n: number): string {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError('n must be a positive integer');
    const q = this.q;
    const key = q(table === 'records' ? 'record_index' : 'batch_id');
    return `SELECT ${key} AS ${q('k')} FROM ${this.tables[table]} WHERE ${q('job_id')} = $1 ORDER BY ${key} LIMIT 1 OFFSET ${n - 1}`;
  }

  /** `$1` job, `$2` key: deletes the job's `records`/`batches` rows whose key is at most `$2`. */
  deleteJobRowsUpTo(table: 'records' | 'batches'): string {
    const q = this.q;
    const key = q(table === 'records' ? 'record_index' : 'batch_id');
    return `DELETE FROM ${this.tables[table]} WHERE ${q('job_id')} = $1 AND ${key} <= $2`;
  }

  /**
   * `$1` job, `$2` age (ms), `$3…` statuses: deletes the job row if it is
   * still purgeable (same conditions as {@link Sql.selectPurgeableJobs}).
   */
  deletePurgeableJob(statuses: number): string {
    const q = this.q;
    const list = Array.from({ length: statuses }, (_, i) => `$${i + 3}`).join(', ');
    return `DELETE FROM ${this.tables.jobs} WHERE ${q('id')} = $1 AND ${q('status')} IN (${list})`
      + ` AND COALESCE(${q('completed_at')}, ${q('updated_at')}) < ${this.dialect.nowMs} - $2`;
  }
}
