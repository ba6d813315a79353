import type { Sequelize } from 'sequelize';
import { InvalidInputError, LeaseLostError, NotFoundError, PersistenceError, StateStoreError, type ErrorContext } from '../errors';
import { BatchMapper, type BatchRow } from '../mappers/BatchMapper';
import { JobMapper, type StoredJob } from '../mappers/JobMapper';
import { chunkBySize, toNumber, wireBytes } from '../mappers/json';
import { RecordMapper, type RecordRow, type StoredRecord } from '../mappers/RecordMapper';
import type { StoredBatch } from '../mappers/BatchMapper';
import {
  BATCH_STATUSES, checkCount, checkDuration, checkId, checkObject, checkStatus, JOB_STATUSES,
} from '../mappers/validate';
import type {
  Batch, BatchState, BatchStatus, ClaimBatchResult, DistributedJobStatus, DistributedStateStore, JobProgress,
  JobState, JobStatus, ProcessedRecord,
} from '../ports';
import { dialectFor, driverError, driverFor, SUPPORTED_DIALECTS, type Dialect, type Tables } from './dialects';
import { applySqliteBusyTimeout } from './dialects/sqliteConnections';
import { Executor, type Tx } from './Executor';
import { defineStoreModels, type StoreModels } from './models';
import { RecordBuffer, type RecordBufferOptions } from './RecordBuffer';
import { BATCH_COLUMNS, JOB_COLUMNS, RECORD_COLUMNS, Sql } from './sql';

/** Options of {@link SequelizeStateStore}. */
export interface SequelizeStateStoreOptions {
  /**
   * Prepended to the table (and index) names: `'tenant1_'` gives
   * `tenant1_bulkimport_jobs` and so on. Default `''`.
   */
  readonly tablePrefix?: string;
  /**
   * PostgreSQL schema (MySQL/MariaDB: database) holding the tables. Default:
   * the connection's. `initialize()` creates it on PostgreSQL if missing.
   */
  readonly schema?: string;
  /**
   * How many times an idempotent operation (claim, reclaim, release,
   * heartbeat, finalize) is retried after a deadlock, serialization failure,
   * lock-wait timeout or busy database, with jittered exponential backoff.
   * Default 5.
   */
  readonly transientRetries?: number;
  /** SQLite only: how long a statement waits for another writer, in ms. Default 10,000. */
  readonly sqliteBusyTimeoutMs?: number;
  /**
   * Write-behind for `saveProcessedRecord` (off by default). See
   * {@link RecordBufferOptions} and the README's "Write-behind" section for
   * what a crash can lose.
   */
  readonly recordBuffer?: RecordBufferOptions | boolean;
}

/** Options of the fenced form of `updateBatchState`. */
export interface UpdateBatchOptions {
  /**
   * The worker that holds the batch. When given, the update lands only if
   * that worker still holds the batch (status PROCESSING, same worker);
   * otherwise it rejects with {@link LeaseLostError} and changes nothing.
   */
  readonly workerId?: string;
}

/** Options of {@link SequelizeStateStore.listJobs}. */
export interface ListJobsOptions {
  /** Only jobs with one of these statuses. Default: all. */
  readonly status?: JobStatus | readonly JobStatus[];
  /** Page size, 1–1000. Default 50. */
  readonly limit?: number;
  /** Jobs to skip (newest first). Default 0. */
  readonly offset?: number;
}

/** One job as {@link SequelizeStateStore.listJobs} returns it. Times are epoch ms. */
export interface JobSummary {
  readonly id: string;
  readonly status: JobStatus;
  readonly distributed: boolean;
  readonly totalRecords: number;
  readonly startedAt?: number;
  readonly completedAt?: number;
  /** When the job row was first saved (database clock). */
  readonly createdAt: number;
  /** When the job row was last saved or finalized (database clock). */
  readonly updatedAt: number;
  /** Batch counts by status; `total` is the number of batch rows. */
  readonly batches: {
    readonly total: number;
    readonly pending: number;
    readonly processing: number;
    readonly paused: number;
    readonly completed: number;
    readonly failed: number;
  };
  /**
   * Records processed and failed, summed from the batches' counts (as set by
   * `updateBatchState`, so a batch in progress counts 0 until it reports).
   * `getProgress` gives exact record counts for one job.
   */
  readonly processedRecords: number;
  readonly failedRecords: number;
}

/** Options of {@link SequelizeStateStore.purgeJobs}. */
export interface PurgeJobsOptions {
  /** Jobs that finished (`completedAt`, else last update) more than this many ms ago, by the database clock. */
  readonly olderThanMs: number;
  /** Statuses eligible for purging. Default the terminal ones: COMPLETED, ABORTED, FAILED. */
  readonly statuses?: readonly JobStatus[];
  /** Most rows one DELETE statement removes, 1–100,000. Default 1,000. */
  readonly chunkSize?: number;
}

const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['COMPLETED', 'ABORTED', 'FAILED'];

/** Progress counts of a job, in the shape `getProgress` returns. */
type Counts = Record<string, number>;

const FAILED_STATUSES = ['failed', 'invalid'] as const;
const PENDING_STATUSES = ['pending', 'valid'] as const;
const PROCESSED_STATUSES = ['processed'] as const;
/** Upper bound on rows per multi-row statement, whatever the dialect's parameter limit. */
const MAX_ROWS_PER_STATEMENT = 1000;
/** How many times `claimBatch` looks again after a miss while a PENDING batch is visible. */
const CLAIM_MISS_RETRIES = 10;
/** Upper bound on the bytes of one multi-row record statement (keeps large records from piling up). */
const STATEMENT_BYTES = 4 * 1024 * 1024;
/** Room left in a server packet for the statement's SQL text and protocol framing. */
const PACKET_MARGIN = 64 * 1024;

/**
 * A `StateStore` and `DistributedStateStore` for `@batchactions/core` on a
 * Sequelize 6 instance (PostgreSQL, MySQL 8, MariaDB 10.6+, SQLite).
 *
 * ```ts
 * const store = new SequelizeStateStore(sequelize);
 * await store.initialize();
 * ```
 *
 * Jobs, batches and records live in three tables (`bulkimport_jobs`,
 * `bulkimport_batches`, `bulkimport_records` by default). Each batch is its own
 * row, so workers claim, complete and reclaim batches without rewriting any
 * shared row, and every record write is a single upsert.
 */
export class SequelizeStateStore implements DistributedStateStore {
  /** The entity classes this store uses, bound to its Sequelize instance and tables. */
  readonly models: StoreModels;
  /** The quoted, qualified table names this store uses. */
  readonly tables: Tables;

  private readonly dialect: Dialect;
  private readonly sql: Sql;
  private readonly db: Executor;
  private readonly retries: number;
  private readonly schema: string | undefined;
  private readonly buffer: RecordBuffer | undefined;
  private statementLimit: Promise<number | undefined> | undefined;

  /**
   * @param sequelize - the application's Sequelize instance (plain `sequelize`
   *   or `sequelize-typescript`); the store adds its own models to it.
   * @param options - table prefix, schema, retries, write-behind.
   * @throws InvalidInputError for an unsupported dialect or malformed options.
   */
  constructor(readonly sequelize: Sequelize, options: SequelizeStateStoreOptions = {}) {
    const context: ErrorContext = { operation: 'new SequelizeStateStore' };
    if (!sequelize || typeof (sequelize as { getDialect?: unknown }).getDialect !== 'function') {
      throw new InvalidInputError('the first argument must be a Sequelize instance', { ...context, field: 'sequelize' });
    }
    const dialect = dialectFor(sequelize.getDialect());
    const driver = driverFor(sequelize.getDialect());
    if (!dialect || !driver) {
      throw new InvalidInputError(
        `dialect ${JSON.stringify(sequelize.getDialect())} is not supported; use one of ${SUPPORTED_DIALECTS.join(', ')}`,
        { ...context, field: 'sequelize' },
      );
    }
    const prefix = options.tablePrefix ?? '';
    if (typeof prefix !== 'string' || !/^[A-Za-z0-9_]*$/.test(prefix) || prefix.length > 30) {
      throw new InvalidInputError('tablePrefix must be at most 30 letters, digits or underscores', { ...context, field: 'tablePrefix' });
    }
    if (options.schema !== undefined && (typeof options.schema !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(options.schema))) {
      throw new InvalidInputError('schema must be an identifier of letters, digits and underscores', { ...context, field: 'schema' });
    }
    if (options.schema !== undefined && dialect.singleWriter) {
      throw new InvalidInputError('schema is not supported on SQLite; use tablePrefix', { ...context, field: 'schema' });
    }
    this.dialect = dialect;
    this.schema = options.schema;
    this.retries = options.transientRetries ?? 5;
    const busyTimeoutMs = options.sqliteBusyTimeoutMs ?? 10_000;
    if (typeof busyTimeoutMs !== 'number' || !Number.isFinite(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new InvalidInputError('sqliteBusyTimeoutMs must be a finite number of milliseconds >= 0', { ...context, field: 'sqliteBusyTimeoutMs' });
    }
    if (dialect.singleWriter) applySqliteBusyTimeout(sequelize, Math.floor(busyTimeoutMs));
    this.models = defineStoreModels(sequelize, { tablePrefix: prefix, schema: options.schema });
    const qualify = (table: string): string =>
      (options.schema ? `${dialect.quote(options.schema)}.` : '') + dialect.quote(`${prefix}${table}`);
    this.tables = {
      jobs: qualify('bulkimport_jobs'),
      batches: qualify('bulkimport_batches'),
      records: qualify('bulkimport_records'),
    };
    this.sql = new Sql(dialect, this.tables);
    this.db = new Executor(sequelize, dialect, driver, (fn) => this.retrying(fn, true));
    if (options.recordBuffer) {
      this.buffer = new RecordBuffer(
        (rows) => this.writeRecords(rows, 'saveProcessedRecord'),
        options.recordBuffer === true ? {} : options.recordBuffer,
      );
    }
  }

  // ---------------------------------------------------------------- schema

  /**
   * Creates the tables and indexes if they do not exist (and, on PostgreSQL,
   * the schema). Idempotent. For production, prefer the migrations.
   */
  async initialize(): Promise<void> {
    await this.guard({ operation: 'initialize' }, async () => {
      if (this.schema && this.dialect.createSchema) {
        await this.sequelize.query(this.dialect.createSchema(this.schema), { transaction: null });
      }
      // MySQL/MariaDB: binary NO PAD collation, so ids compare as on the other dialects.
      let tableOptions = {};
      if (this.dialect.exactTextTableOptions) {
        const [server] = await this.select<{ v: unknown }>('SELECT VERSION() AS v', []);
        tableOptions = this.dialect.exactTextTableOptions(String(server?.v ?? ''));
      }
      await this.models.Job.sync(tableOptions);
      await this.models.Batch.sync(tableOptions);
      await this.models.Record.sync(tableOptions);
    });
  }

  /**
   * Writes any buffered records (write-behind) and stops the buffer's timer.
   * Does not close the Sequelize instance, which belongs to the application.
   */
  async close(): Promise<void> {
    await this.buffer?.close();
  }

  // ---------------------------------------------------------------- StateStore

  /**
   * Creates or replaces a job. For a single-process job the batches given
   * replace the stored ones; for a distributed job (`distributed: true`)
   * batches not yet stored become claimable rows and stored ones are left
   * as they are, so saving again never resets a claimed or finished batch.
   * Atomic: the job and all its batches land together or not at all.
   */
  async saveJobState(job: JobState): Promise<void> {
    const context: ErrorContext = { operation: 'saveJobState' };
    const row = JobMapper.toRow(job, context);
    const jobContext = { ...context, jobId: row.id };
    const batches = job.batches.map((batch, i) => BatchMapper.toRow(row.id, batch, i, jobContext));
    const seen = new Set<string>();
    for (const b of batches) {
      if (seen.has(b.batchId)) {
        throw new InvalidInputError('job.batches names this batch id twice', { ...jobContext, batchId: b.batchId, field: 'job.batches' });
      }
      seen.add(b.batchId);
    }
    await this.flushRecords();
    await this.guard(jobContext, () =>
      this.transaction(async (tx) => {
        if (row.distributed && !TERMINAL_JOB_STATUSES.includes(row.status)) {
          // A finalized distributed job stays final: re-opening it would let
          // tryFinalizeJob answer true a second time. The read locks the job
          // row, so a finalize committing meanwhile is seen, not overwritten.
          const [stored] = await this.select<{ status: string; distributed: unknown }>(this.sql.selectJobHead(true), [row.id], tx);
          if (stored && isTrue(stored.distributed) && TERMINAL_JOB_STATUSES.includes(stored.status as JobStatus)) {
            throw new InvalidInputError(
              `the distributed job is already ${stored.status}; it cannot go back to ${row.status}`,
              { ...jobContext, field: 'job.status' },
            );
          }
        }
        await this.exec(this.sql.upsertJob(), JOB_COLUMNS.map((c) => jobValue(row, c)), tx);
        for (const chunk of chunks(batches, this.rowsPerStatement(BATCH_COLUMNS.length))) {
          await this.exec(
            this.sql.insertBatches(chunk.length, !row.distributed),
            chunk.flatMap((b) => BATCH_COLUMNS.map((c) => batchValue(b, c))),
            tx,
          );
        }
      }),
    );
  }

  /**
   * The job as last saved, with each batch's status and counts as updated
   * since; `null` for an unknown job. Batches come back ordered by index with
   * `records: []`.
   */
  async getJobState(jobId: string): Promise<JobState | null> {
    const context: ErrorContext = { operation: 'getJobState', jobId };
    checkId(jobId, 'jobId', context);
    await this.flushRecords();
    return this.guard(context, async () => {
      const [job] = await this.select<StoredJob>(this.sql.selectJob(), [jobId]);
      if (!job) return null;
      const stored = await this.select<StoredBatch>(this.sql.selectBatches(), [jobId]);
      const state = JobMapper.toDomain(job, []);
      return { ...state, batches: await this.batchesWithIndex(jobId, stored, state.config.batchSize) };
    });
  }

  /**
   * Sets one batch's status and counts; `version` moves. Safe under any
   * number of concurrent callers on different batches (one row each).
   *
   * A batch the engine has not yet named in `saveJobState` (single-process
   * streaming reports batches as it creates them) is stored with its index
   * to come; for a distributed job an unknown batch is a {@link NotFoundError}.
   *
   * With `options.workerId` (not part of the engine's port) the update is
   * fenced: it lands only while that worker holds the batch, else
   * {@link LeaseLostError}.
   */
  async updateBatchState(jobId: string, batchId: string, state: BatchState, options: UpdateBatchOptions = {}): Promise<void> {
    const context: ErrorContext = { operation: 'updateBatchState', jobId, batchId, workerId: options.workerId };
    checkId(jobId, 'jobId', context);
    checkId(batchId, 'batchId', context);
    checkObject(state, 'state', context);
    if (state.batchId !== undefined && state.batchId !== batchId) {
      throw new InvalidInputError(`state.batchId ${JSON.stringify(state.batchId)} differs from batchId`, { ...context, field: 'state.batchId' });
    }
    const status = checkStatus<BatchStatus>(state.status, BATCH_STATUSES, 'state.status', context);
    const processed = checkCount(state.processedCount, 'state.processedCount', context);
    const failed = checkCount(state.failedCount, 'state.failedCount', context);
    const fenced = options.workerId !== undefined;
    if (fenced) checkId(options.workerId, 'options.workerId', context);
    await this.flushRecords(jobId);
    await this.guard(context, async () => {
      const bind: unknown[] = [jobId, batchId, status, processed, failed];
      if (fenced) bind.push(options.workerId);
      // One autocommit statement: after a deadlock (MariaDB, against concurrent
      // claims and finalizes) it was rolled back, so running it again is safe.
      const changed = await this.retrying(() => this.affected(this.sql.updateBatch(fenced, status === 'PENDING'), bind));
      if (changed > 0) return;
      if (fenced) throw await this.leaseError(jobId, batchId, options.workerId as string, context);
      const [head] = await this.select<{ distributed: unknown }>(this.sql.selectJobHead(), [jobId]);
      if (head && isTrue(head.distributed)) {
        throw new NotFoundError('no such batch in this distributed job', context);
      }
      await this.exec(this.sql.insertUnindexedBatch(), [jobId, batchId, status, processed, failed]);
    });
  }

  /**
   * Creates or replaces the record at `(jobId, record.index)` in one
   * statement (or, with write-behind on, queues it: see the options).
   */
  async saveProcessedRecord(jobId: string, batchId: string, record: ProcessedRecord): Promise<void> {
    const row = RecordMapper.toRow(jobId, batchId, record, 'saveProcessedRecord');
    if (this.buffer) {
      await this.buffer.add(row);
      return;
    }
    await this.writeRecords([row], 'saveProcessedRecord');
  }

  /** Records with status `failed` or `invalid`, by index. */
  async getFailedRecords(jobId: string): Promise<ProcessedRecord[]> {
    return this.recordsByStatus(jobId, FAILED_STATUSES, 'getFailedRecords');
  }

  /** Records with status `pending` or `valid`, by index. */
  async getPendingRecords(jobId: string): Promise<ProcessedRecord[]> {
    return this.recordsByStatus(jobId, PENDING_STATUSES, 'getPendingRecords');
  }

  /** Records with status `processed`, by index. */
  async getProcessedRecords(jobId: string): Promise<ProcessedRecord[]> {
    return this.recordsByStatus(jobId, PROCESSED_STATUSES, 'getProcessedRecords');
  }

  /**
   * Progress from what is persisted, by aggregate queries (no rows are
   * loaded). `processedRecords` counts records `processed`; `failedRecords`
   * those `failed` or `invalid`; `currentBatch` the batches COMPLETED.
   * `elapsedMs` runs from `startedAt` to `completedAt` (or now).
   * @throws NotFoundError for an unknown job.
   */
  async getProgress(jobId: string): Promise<JobProgress> {
    const context: ErrorContext = { operation: 'getProgress', jobId };
    checkId(jobId, 'jobId', context);
    await this.flushRecords(jobId);
    return this.guard(context, async () => {
      const [job] = await this.select<StoredJob>(this.sql.selectJob(), [jobId]);
      if (!job) throw new NotFoundError('no such job', context);
      const records = countsOf(await this.select(this.sql.countRecordsByStatus(), [jobId]));
      const batches = countsOf(await this.select(this.sql.countBatchesByStatus(), [jobId]));
      const processed = records.processed ?? 0;
      const failed = (records.failed ?? 0) + (records.invalid ?? 0);
      const total = Math.max(toNumber(job.totalRecords) ?? 0, sum(records));
      const pending = Math.max(0, total - processed - failed);
      const startedAt = toNumber(job.startedAt);
      const completedAt = toNumber(job.completedAt);
      const elapsedMs = startedAt !== undefined ? Math.max(0, (completedAt ?? Date.now()) - startedAt) : 0;
      const done = processed + failed;
      return {
        totalRecords: total,
        processedRecords: processed,
        failedRecords: failed,
        pendingRecords: pending,
        percentage: total > 0 ? Math.round((done / total) * 100) : 0,
        currentBatch: batches.COMPLETED ?? 0,
        totalBatches: sum(batches),
        elapsedMs,
        ...(done > 0 && startedAt !== undefined ? { estimatedRemainingMs: Math.round((elapsedMs / done) * pending) } : {}),
      };
    });
  }

  // ---------------------------------------------------------------- DistributedStateStore

  /**
   * Hands the lowest-index PENDING batch of a PROCESSING job to this worker:
   * one `UPDATE … RETURNING` with `FOR UPDATE SKIP LOCKED` on PostgreSQL, a
   * `SELECT … FOR UPDATE SKIP LOCKED` + `UPDATE` transaction on MySQL/MariaDB,
   * one statement under the database write lock on SQLite. Concurrent
   * claimers never get the same batch and never wait on each other.
   * `claimedAt` is the database's clock.
   */
  async claimBatch(jobId: string, workerId: string): Promise<ClaimBatchResult> {
    const context: ErrorContext = { operation: 'claimBatch', jobId, workerId };
    checkId(jobId, 'jobId', context);
    checkId(workerId, 'workerId', context);
    return this.guard(context, async () => {
      for (let miss = 0; ; miss++) {
        const result = await this.claimOnce(jobId, workerId);
        // SKIP LOCKED also skips a PENDING batch that a statement other than a
        // claim locks for a moment (a refused fenced update, a reclaim, a
        // re-save): while a PENDING batch is visible, look again before saying
        // there is none.
        if (result.claimed || result.reason !== 'NO_PENDING_BATCHES' || miss >= CLAIM_MISS_RETRIES) return result;
        if ((await this.select(this.sql.selectPendingBatch(), [jobId])).length === 0) return result;
        await new Promise((resolve) => setTimeout(resolve, Math.min(100, 5 * 2 ** miss) * (0.5 + Math.random())));
      }
    });
  }

  /** One claim attempt (retried on transient errors). */
  private claimOnce(jobId: string, workerId: string): Promise<ClaimBatchResult> {
    return this.retrying(async () => {
      let claimed: ClaimedRow | undefined;
      if (this.dialect.updateReturning) {
        [claimed] = await this.select<ClaimedRow>(this.sql.claimReturning(), [jobId, workerId]);
      } else {
        claimed = await this.transaction(async (tx) => {
          const [row] = await this.select<ClaimedRow>(this.sql.claimSelect(), [jobId], tx);
          if (row) await this.exec(this.sql.claimUpdate(), [jobId, row.batchId, workerId, toNumber(row.claimedAt)], tx);
          return row;
        });
      }
      if (claimed) {
        return {
          claimed: true as const,
          reservation: {
            jobId,
            batchId: claimed.batchId,
            batchIndex: toNumber(claimed.batchIndex) ?? 0,
            workerId,
            claimedAt: toNumber(claimed.claimedAt) ?? 0,
            recordStartIndex: toNumber(claimed.recordStartIndex) ?? 0,
            recordEndIndex: toNumber(claimed.recordEndIndex) ?? 0,
          },
        };
      }
      const [head] = await this.select<{ status: string }>(this.sql.selectJobHead(), [jobId]);
      const reason = !head ? 'JOB_NOT_FOUND' : head.status !== 'PROCESSING' ? 'JOB_NOT_PROCESSING' : 'NO_PENDING_BATCHES';
      return { claimed: false as const, reason };
    });
  }

  /** Puts a batch back to PENDING, if `workerId` still holds it; otherwise does nothing. */
  async releaseBatch(jobId: string, batchId: string, workerId: string): Promise<void> {
    const context: ErrorContext = { operation: 'releaseBatch', jobId, batchId, workerId };
    checkId(jobId, 'jobId', context);
    checkId(batchId, 'batchId', context);
    checkId(workerId, 'workerId', context);
    await this.guard(context, () => this.retrying(() => this.affected(this.sql.releaseBatch(), [jobId, batchId, workerId])));
  }

  /**
   * Renews this worker's lease on a batch (its `claimedAt` becomes now), so
   * `reclaimStaleBatches` leaves it alone while the worker is alive. Not part
   * of the engine's port.
   * @throws LeaseLostError if the worker no longer holds the batch.
   */
  async heartbeatBatch(jobId: string, batchId: string, workerId: string): Promise<void> {
    const context: ErrorContext = { operation: 'heartbeatBatch', jobId, batchId, workerId };
    checkId(jobId, 'jobId', context);
    checkId(batchId, 'batchId', context);
    checkId(workerId, 'workerId', context);
    await this.guard(context, async () => {
      const changed = await this.retrying(() => this.affected(this.sql.heartbeatBatch(), [jobId, batchId, workerId]));
      if (changed === 0) throw await this.leaseError(jobId, batchId, workerId, context);
    });
  }

  /**
   * Puts back to PENDING every PROCESSING batch of the job whose lease is
   * older than `timeoutMs` (database clock), in one statement. Safe to run
   * from every worker at once: each stale batch is counted by exactly one.
   * @returns how many batches this call reclaimed.
   */
  async reclaimStaleBatches(jobId: string, timeoutMs: number): Promise<number> {
    const context: ErrorContext = { operation: 'reclaimStaleBatches', jobId };
    checkId(jobId, 'jobId', context);
    const timeout = Math.floor(checkDuration(timeoutMs, 'timeoutMs', context));
    return this.guard(context, () => this.retrying(() => this.affected(this.sql.reclaimStale(), [jobId, timeout])));
  }

  /**
   * Saves a batch's records with multi-row upserts, all or nothing.
   * Saving the same records again (an orchestrator retry) replaces them.
   */
  async saveBatchRecords(jobId: string, batchId: string, records: readonly ProcessedRecord[]): Promise<void> {
    const context: ErrorContext = { operation: 'saveBatchRecords', jobId, batchId };
    if (!Array.isArray(records)) checkObject(null, 'records (an array)', context);
    const rows = records.map((r) => RecordMapper.toRow(jobId, batchId, r, 'saveBatchRecords'));
    const seen = new Set<number>();
    for (const row of rows) {
      if (seen.has(row.recordIndex)) {
        throw new InvalidInputError('records name this index twice', { ...context, recordIndex: row.recordIndex, field: 'records' });
      }
      seen.add(row.recordIndex);
    }
    await this.flushRecords(jobId);
    await this.writeRecords(rows, 'saveBatchRecords');
  }

  /** A batch's records, by index. */
  async getBatchRecords(jobId: string, batchId: string): Promise<ProcessedRecord[]> {
    const context: ErrorContext = { operation: 'getBatchRecords', jobId, batchId };
    checkId(jobId, 'jobId', context);
    checkId(batchId, 'batchId', context);
    await this.flushRecords(jobId);
    return this.guard(context, async () =>
      (await this.select<StoredRecord>(this.sql.selectBatchRecords(), [jobId, batchId])).map(RecordMapper.toDomain),
    );
  }

  /** Batch counts by status, from one aggregate query. */
  async getDistributedStatus(jobId: string): Promise<DistributedJobStatus> {
    const context: ErrorContext = { operation: 'getDistributedStatus', jobId };
    checkId(jobId, 'jobId', context);
    return this.guard(context, async () => {
      const counts = countsOf(await this.select(this.sql.countBatchesByStatus(), [jobId]));
      const total = sum(counts);
      const completed = counts.COMPLETED ?? 0;
      const failed = counts.FAILED ?? 0;
      return {
        jobId,
        totalBatches: total,
        completedBatches: completed,
        failedBatches: failed,
        processingBatches: counts.PROCESSING ?? 0,
        pendingBatches: counts.PENDING ?? 0,
        isComplete: total > 0 && completed + failed === total,
      };
    });
  }

  /**
   * If the job is PROCESSING and has batches, all COMPLETED or FAILED, moves
   * it to FAILED (any batch failed) or COMPLETED and sets `completedAt`, in
   * one conditional statement. Returns `true` to exactly one caller however
   * many race.
   */
  async tryFinalizeJob(jobId: string): Promise<boolean> {
    const context: ErrorContext = { operation: 'tryFinalizeJob', jobId };
    checkId(jobId, 'jobId', context);
    await this.flushRecords(jobId);
    return this.guard(context, async () => {
      if (!this.dialect.lockBeforeCheck) return (await this.retrying(() => this.affected(this.sql.finalizeJob(), [jobId]))) === 1;
      // PostgreSQL: the conditional UPDATE alone could wait for a re-save that
      // adds batches and then finalize without seeing them (its subqueries keep
      // the first snapshot). So: a plain check first (most calls end here), then
      // the job row locked, then the UPDATE in a new statement, which sees
      // every batch committed before the lock was granted.
      const [head] = await this.select<{ status: string; anyBatch: unknown; unfinished: unknown }>(this.sql.finalizeCheck(), [jobId]);
      if (!head || head.status !== 'PROCESSING' || !isTrue(head.anyBatch) || isTrue(head.unfinished)) return false;
      return this.retrying(() => this.transaction(async (tx) => {
        await this.select(this.sql.selectJobHead(true), [jobId], tx);
        return (await this.affected(this.sql.finalizeJob(), [jobId], tx)) === 1;
      }));
    });
  }

  // ---------------------------------------------------------------- beyond the port

  /**
   * Deletes a job with its batches and records, atomically.
   * @returns whether the job existed.
   */
  async deleteJob(jobId: string): Promise<boolean> {
    const context: ErrorContext = { operation: 'deleteJob', jobId };
    checkId(jobId, 'jobId', context);
    await this.flushRecords(jobId);
    return this.guard(context, () =>
      this.transaction(async (tx) => {
        await this.affected(this.sql.deleteJobRows('records'), [jobId], tx);
        await this.affected(this.sql.deleteJobRows('batches'), [jobId], tx);
        return (await this.affected(this.sql.deleteJobRows('jobs'), [jobId], tx)) > 0;
      }),
    );
  }

  /**
   * A page of job summaries, newest (by creation) first, with batch counts
   * by status, from one aggregate query over the page. Not part of the
   * engine's port (for operators and the CLI).
   * @throws InvalidInputError for an unknown status or a bad limit/offset.
   */
  async listJobs(options: ListJobsOptions = {}): Promise<JobSummary[]> {
    const context: ErrorContext = { operation: 'listJobs' };
    const given = options.status === undefined ? [] : Array.isArray(options.status) ? options.status : [options.status];
    const statuses = given.map((s, i) => checkStatus<JobStatus>(s, JOB_STATUSES, `options.status[${i}]`, context));
    const limit = checkCount(options.limit ?? 50, 'options.limit', context);
    if (limit < 1 || limit > 1000) throw new InvalidInputError('options.limit must be from 1 to 1000', { ...context, field: 'options.limit' });
    const offset = checkCount(options.offset ?? 0, 'options.offset', context);
    await this.flushRecords();
    return this.guard(context, async () => {
      const rows = await this.select(this.sql.listJobs(statuses.length, limit, offset), [...statuses]);
      return rows.map((r) => {
        const n = (key: string): number => toNumber(r[key]) ?? 0;
        const startedAt = toNumber(r.startedAt);
        const completedAt = toNumber(r.completedAt);
        return {
          id: String(r.id),
          status: String(r.status) as JobStatus,
          distributed: isTrue(r.distributed),
          totalRecords: n('totalRecords'),
          ...(startedAt !== undefined ? { startedAt } : {}),
          ...(completedAt !== undefined ? { completedAt } : {}),
          createdAt: n('createdAt'),
          updatedAt: n('updatedAt'),
          batches: {
            total: n('batches'), pending: n('pending'), processing: n('processing'), paused: n('paused'),
            completed: n('completed'), failed: n('failed'),
          },
          processedRecords: n('processedRecords'),
          failedRecords: n('failedRecords'),
        };
      });
    });
  }

  /**
   * Deletes jobs (with their batches and records) whose status is one of
   * `statuses` (default terminal) and that finished more than `olderThanMs`
   * ago. Works in bounded steps, each its own statement: jobs are taken a
   * page at a time, a job's records and batches are deleted at most
   * `chunkSize` rows per statement, and the job row goes last, only if it
   * is still eligible. Interrupted, it leaves whole jobs or jobs with some
   * rows gone; running it again finishes them. Not part of the engine's port.
   * @returns how many jobs were deleted.
   */
  async purgeJobs(options: PurgeJobsOptions): Promise<number> {
    const context: ErrorContext = { operation: 'purgeJobs' };
    checkObject(options, 'options', context);
    const age = Math.floor(checkDuration(options.olderThanMs, 'options.olderThanMs', context));
    const statuses = (options.statuses ?? TERMINAL_JOB_STATUSES).map((s, i) =>
      checkStatus<JobStatus>(s, JOB_STATUSES, `options.statuses[${i}]`, context));
    if (statuses.length === 0) throw new InvalidInputError('options.statuses must not be empty', { ...context, field: 'options.statuses' });
    const chunk = checkCount(options.chunkSize ?? 1000, 'options.chunkSize', context);
    if (chunk < 1 || chunk > 100_000) {
      throw new InvalidInputError('options.chunkSize must be from 1 to 100000', { ...context, field: 'options.chunkSize' });
    }
    await this.flushRecords();
    return this.guard(context, async () => {
      let deleted = 0;
      const tried = new Set<string>();
      for (;;) {
        const ids = (await this.select<{ id: string }>(this.sql.selectPurgeableJobs(statuses.length, Math.min(chunk, 100)), [age, ...statuses]))
          .map((r) => String(r.id))
          .filter((id) => !tried.has(id));
        if (ids.length === 0) return deleted;
        for (const id of ids) {
          tried.add(id);
          for (const table of ['records', 'batches'] as const) {
            for (;;) {
              const [edge] = await this.select<{ k: unknown }>(this.sql.chunkBoundary(table, chunk), [id]);
              if (!edge) {
                await this.retrying(() => this.affected(this.sql.deleteJobRows(table), [id]));
                break;
              }
              await this.retrying(() => this.affected(this.sql.deleteJobRowsUpTo(table), [id, edge.k]));
            }
          }
          deleted += await this.retrying(() => this.affected(this.sql.deletePurgeableJob(statuses.length), [id, age, ...statuses]));
        }
      }
    });
  }

  /** The database clock in epoch ms (the clock leases and `updatedAt` use). Not part of the engine's port. */
  async databaseTime(): Promise<number> {
    return this.guard({ operation: 'databaseTime' }, async () => {
      const [row] = await this.select<{ now: unknown }>(this.sql.selectNow(), []);
      return toNumber(row?.now) ?? Date.now();
    });
  }

  // ---------------------------------------------------------------- internals

  private async recordsByStatus(jobId: string, statuses: readonly string[], operation: string): Promise<ProcessedRecord[]> {
    const context: ErrorContext = { operation, jobId };
    checkId(jobId, 'jobId', context);
    await this.flushRecords(jobId);
    return this.guard(context, async () =>
      (await this.select<StoredRecord>(this.sql.selectRecordsByStatus(statuses.length), [jobId, ...statuses])).map(
        RecordMapper.toDomain,
      ),
    );
  }

  /** Writes validated record rows: one statement, or a transaction of several. */
  private async writeRecords(rows: readonly RecordRow[], operation: string): Promise<void> {
    if (rows.length === 0) return;
    const first = rows[0] as RecordRow;
    const context: ErrorContext = {
      operation,
      jobId: first.jobId,
      ...(rows.length === 1 ? { batchId: first.batchId, recordIndex: first.recordIndex } : { batchId: first.batchId }),
    };
    // Statements stay under STATEMENT_BYTES and the server's packet limit; a
    // record that alone exceeds the limit is refused before anything is sent.
    // Sizes are a cheap upper bound; the exact wire size is counted only for
    // a record whose bound reaches the server's limit.
    const limit = this.dialect.maxStatementBytesQuery ? await this.guard(context, () => this.maxStatementBytes()) : undefined;
    const budget = Math.min(STATEMENT_BYTES, limit !== undefined ? limit - PACKET_MARGIN : STATEMENT_BYTES);
    if (limit !== undefined) {
      for (const row of rows) {
        if (recordBytesBound(row) <= budget) continue;
        const bytes = recordValues(row).reduce<number>((n, v) => n + wireBytes(v), 64);
        if (bytes > limit - PACKET_MARGIN) {
          throw new PersistenceError(
            `the record takes about ${bytes} bytes as a statement, more than this server accepts`
            + ` (max_allowed_packet = ${limit} bytes); raise max_allowed_packet to store records this large`,
            { ...context, batchId: row.batchId, recordIndex: row.recordIndex, field: 'record' },
          );
        }
      }
    }
    const parts = rows.length === 1 ? [rows] : chunkBySize(rows, this.rowsPerStatement(RECORD_COLUMNS.length), budget, recordBytesBound);
    const write = (part: readonly RecordRow[], tx?: Tx): Promise<void> =>
      this.exec(this.sql.upsertRecords(part.length), part.flatMap(recordValues), tx);
    await this.guard(context, () =>
      parts.length === 1
        ? write(parts[0] as RecordRow[])
        : this.transaction(async (tx) => {
          for (const part of parts) await write(part, tx);
        }),
    );
  }

  /** Batches sorted by index; those saved before their index was known get it from their first record. */
  private async batchesWithIndex(jobId: string, stored: StoredBatch[], batchSize: number): Promise<Batch[]> {
    const unindexed = stored.filter((b) => b.batchIndex === null || b.batchIndex === undefined);
    const first = new Map<string, number>();
    if (unindexed.length > 0 && Number.isInteger(batchSize) && batchSize > 0) {
      for (const part of chunks(unindexed, this.rowsPerStatement(1))) {
        const rows = await this.select<{ batchId: string; first: unknown }>(
          this.sql.selectFirstRecordOfBatches(part.length),
          [jobId, ...part.map((b) => b.batchId)],
        );
        for (const r of rows) {
          const n = toNumber(r.first);
          if (n !== undefined) first.set(r.batchId, Math.floor(n / batchSize));
        }
      }
    }
    // A batch whose index cannot be known (no record saved) is left out: the
    // engine redoes it on restore, which rewrites the same records.
    return stored
      .filter((b) => !unindexed.includes(b) || first.has(b.batchId))
      .map((b) => BatchMapper.toDomain(b, first.get(b.batchId)))
      .sort((a, b) => a.index - b.index);
  }

  private async leaseError(jobId: string, batchId: string, workerId: string, context: ErrorContext): Promise<StateStoreError> {
    const [batch] = await this.select<{ status: string; workerId: string | null }>(this.sql.selectBatchHolder(), [jobId, batchId]);
    if (!batch) return new NotFoundError('no such batch', context);
    const holder = batch.workerId ? `held by worker ${JSON.stringify(batch.workerId)}` : 'held by no worker';
    return new LeaseLostError(`the worker no longer holds this batch: it is ${batch.status}, ${holder}`, context);
  }

  /** The server's statement size limit in bytes (asked once), or `undefined` where there is none. */
  private maxStatementBytes(): Promise<number | undefined> {
    const query = this.dialect.maxStatementBytesQuery;
    if (!query) return Promise.resolve(undefined);
    if (!this.statementLimit) {
      this.statementLimit = this.select<{ n: unknown }>(query, []).then(([row]) => toNumber(row?.n));
      this.statementLimit.catch(() => { this.statementLimit = undefined; });
    }
    return this.statementLimit;
  }

  private rowsPerStatement(columns: number): number {
    return Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(this.dialect.maxBindParams / columns)));
  }

  private async flushRecords(jobId?: string): Promise<void> {
    if (this.buffer) await this.buffer.flush(jobId);
  }

  private exec(sql: string, bind: unknown[], tx?: Tx): Promise<void> {
    return this.db.exec(sql, bind, tx);
  }

  private affected(sql: string, bind: unknown[], tx?: Tx): Promise<number> {
    return this.db.count(sql, bind, tx);
  }

  private select<T = Record<string, unknown>>(sql: string, bind: unknown[], tx?: Tx): Promise<T[]> {
    return this.db.rows<T>(sql, bind, tx);
  }

  /**
   * Runs `fn` in a transaction. SQLite: `BEGIN IMMEDIATE` (take the write lock
   * up front), one transaction at a time per Sequelize instance.
   */
  private transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    // No isolation level is set: it would be per session on MySQL and leak
    // into the application's later use of the pooled connection. Row locks
    // (FOR UPDATE SKIP LOCKED) read the latest committed rows anyway.
    return this.db.transaction(fn);
  }

  /**
   * Retries `fn` after transient errors (deadlock, serialization failure,
   * lock timeout, busy database) with jittered exponential backoff. Only for
   * operations that are safe to repeat.
   */
  private async retrying<T>(fn: () => Promise<T>, busyOnly = false): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const transient = this.dialect.isTransient(error) && (!busyOnly || this.dialect.singleWriter);
        if (!transient || attempt >= this.retries) throw error;
        const delay = Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random());
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Turns driver errors into {@link PersistenceError}s that name the job, batch and record. */
  private async guard<T>(context: ErrorContext, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StateStoreError) throw error;
      // The driver's message: Sequelize replaces some (SQLite constraint and
      // trigger errors) with a bare "Validation error".
      const driver = driverError(error)?.message;
      const message = typeof driver === 'string' && driver !== '' ? driver : error instanceof Error ? error.message : String(error);
      throw new PersistenceError(`the database refused the operation: ${message}`, context, { cause: error });
    }
  }
}

interface ClaimedRow {
  batchId: string;
  batchIndex: unknown;
  recordStartIndex: unknown;
  recordEndIndex: unknown;
  claimedAt: unknown;
}

function jobValue(row: ReturnType<typeof JobMapper.toRow>, column: (typeof JOB_COLUMNS)[number]): unknown {
  switch (column) {
    case 'id': return row.id;
    case 'status': return row.status;
    case 'config': return row.config;
    case 'total_records': return row.totalRecords;
    case 'started_at': return row.startedAt;
    case 'completed_at': return row.completedAt;
    case 'distributed': return row.distributed;
  }
}

function batchValue(row: BatchRow, column: (typeof BATCH_COLUMNS)[number]): unknown {
  switch (column) {
    case 'job_id': return row.jobId;
    case 'batch_id': return row.batchId;
    case 'batch_index': return row.batchIndex;
    case 'status': return row.status;
    case 'processed_count': return row.processedCount;
    case 'failed_count': return row.failedCount;
    case 'record_start_index': return row.recordStartIndex;
    case 'record_end_index': return row.recordEndIndex;
  }
}

/**
 * An upper bound on the bytes a record row takes in a statement, without
 * scanning its text: a UTF-16 code unit is at most 3 bytes of UTF-8, or 2
 * where a text protocol escapes it (see `wireBytes`).
 */
function recordBytesBound(row: RecordRow): number {
  const text = (v: string | null): number => (v === null ? 4 : 3 * v.length + 2);
  return 64 + 4 * 24 + text(row.jobId) + text(row.batchId) + text(row.status) + text(row.raw) + text(row.parsed)
    + text(row.errors) + text(row.processingError);
}

/** A record row's values in `RECORD_COLUMNS` order. */
function recordValues(row: RecordRow): unknown[] {
  return [row.jobId, row.recordIndex, row.batchId, row.status, row.raw, row.parsed, row.errors, row.processingError, row.retryCount];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function countsOf(rows: Record<string, unknown>[]): Counts {
  const counts: Counts = {};
  for (const row of rows) counts[String(row.status)] = toNumber(row.n) ?? 0;
  return counts;
}

function sum(counts: Counts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

function isTrue(value: unknown): boolean {
  return value === true || value === 1 || value === '1' || value === 't' || value === 'true';
}
