import type { Sequelize } from 'sequelize';
import { InvalidInputError, type ErrorContext } from '../errors';
import type {
  BatchState, ClaimBatchResult, DistributedJobStatus, DistributedStateStore, JobProgress, JobState, ProcessedRecord,
} from '../ports';
import { Admin, type PurgeJobsOptions } from './admin';
import { Batches, type UpdateBatchOptions } from './batches';
import { CallObservers, type StoreCallListener } from './calls';
import { Claims } from './claims';
import { StoreContext } from './context';
import { dialectFor, driverFor, SUPPORTED_DIALECTS, type Tables } from './dialects';
import { applySqliteBusyTimeout } from './dialects/sqliteConnections';
import { Executor } from './Executor';
import { Finalizer } from './finalize';
import {
  Inspect, type BatchDetail, type JobSummary, type ListJobsOptions, type RecordPage, type RecordPageOptions, type StoreStats,
} from './inspect';
import { Jobs } from './jobs';
import { Leases } from './leases';
import { defineStoreModels, type StoreModels } from './models';
import { resolveOptions, type SequelizeStateStoreOptions } from './options';
import { Progress } from './progress';
import { RecordBuffer } from './RecordBuffer';
import { Records } from './records';
import { createTables } from './schema';
import { sqlTarget, Statements } from './sql';

const FAILED_STATUSES = ['failed', 'invalid'] as const;
const PENDING_STATUSES = ['pending', 'valid'] as const;
const PROCESSED_STATUSES = ['processed'] as const;

/**
 * A `StateStore` and `DistributedStateStore` for `@batchactions/core` on a
 * Sequelize 6 instance (PostgreSQL, MySQL/MariaDB, SQLite).
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
 *
 * This class is the public surface; the work is done by one module per
 * concern (jobs, records, batches, claims, finalization, progress,
 * administration) over a shared {@link StoreContext}.
 */
export class SequelizeStateStore implements DistributedStateStore {
  /** The entity classes this store uses, bound to its Sequelize instance and tables. */
  readonly models: StoreModels;
  /** The quoted, qualified table names this store uses. */
  readonly tables: Tables;

  private readonly ctx: StoreContext;
  private readonly calls = new CallObservers();
  private readonly jobs: Jobs;
  private readonly records: Records;
  private readonly batches: Batches;
  private readonly claims: Claims;
  private readonly finalizer: Finalizer;
  private readonly progress: Progress;
  private readonly admin: Admin;
  private readonly inspect: Inspect;
  private readonly leases: Leases;

  /**
   * @param sequelize - the application's Sequelize instance (plain `sequelize`
   *   or `sequelize-typescript`); the store adds its own models to it.
   * @param options - table prefix, schema, retries, write-behind.
   * @throws InvalidInputError for an unsupported dialect or a bad option, naming it.
   */
  constructor(readonly sequelize: Sequelize, options: SequelizeStateStoreOptions = {}) {
    const context: ErrorContext = { operation: 'new SequelizeStateStore', field: 'sequelize' };
    if (!sequelize || typeof (sequelize as { getDialect?: unknown }).getDialect !== 'function') {
      throw new InvalidInputError('the first argument must be a Sequelize instance', context);
    }
    const dialect = dialectFor(sequelize.getDialect());
    const driver = driverFor(sequelize.getDialect());
    if (!dialect || !driver) {
      throw new InvalidInputError(
        `dialect ${JSON.stringify(sequelize.getDialect())} is not supported; use one of ${SUPPORTED_DIALECTS.join(', ')}`,
        context,
      );
    }
    const settings = resolveOptions(sequelize, options, dialect);
    if (dialect.singleWriter) applySqliteBusyTimeout(sequelize, settings.sqliteBusyTimeoutMs);
    this.models = defineStoreModels(sequelize, { tablePrefix: settings.tablePrefix, schema: settings.schema });
    const qualify = (table: string): string =>
      (settings.schema ? `${dialect.quote(settings.schema)}.` : '') + dialect.quote(`${settings.tablePrefix}${table}`);
    this.tables = { jobs: qualify('bulkimport_jobs'), batches: qualify('bulkimport_batches'), records: qualify('bulkimport_records') };
    const statements = new Statements(sqlTarget(dialect, this.tables));
    let ctx: StoreContext | undefined;
    const executor = new Executor(sequelize, dialect, driver, (fn) => (ctx as StoreContext).retrying(fn, true));
    this.ctx = ctx = new StoreContext(sequelize, dialect, this.tables, settings, statements, executor);
    this.records = new Records(ctx);
    if (settings.recordBuffer) ctx.buffer = new RecordBuffer((rows) => this.records.write(rows, 'saveProcessedRecord'), settings.recordBuffer);
    this.jobs = new Jobs(ctx);
    this.leases = new Leases(ctx, settings.leaseRenewalMs);
    this.batches = new Batches(ctx, this.leases);
    this.claims = new Claims(ctx, this.leases);
    this.finalizer = new Finalizer(ctx);
    this.progress = new Progress(ctx);
    this.admin = new Admin(ctx);
    this.inspect = new Inspect(ctx);
  }

  /**
   * Creates the tables and indexes if they do not exist (and, on PostgreSQL,
   * the schema). Idempotent. For production, prefer the migrations.
   */
  initialize(): Promise<void> {
    return createTables(this.ctx, this.models);
  }

  /**
   * Stops renewing the leases of batches claimed through this store (they
   * run out after the stale timeout), writes any buffered records
   * (write-behind) and stops the buffer's timer. Does not close the Sequelize
   * instance, which belongs to the application.
   */
  async close(): Promise<void> {
    this.leases.close();
    await this.ctx.buffer?.close();
  }

  // ---------------------------------------------------------------- StateStore

  /**
   * Creates or replaces a job. For a single-process job the batches given
   * replace the stored ones; for a distributed job (`distributed: true`)
   * batches not yet stored become claimable rows and stored ones are left
   * as they are, so saving again never resets a claimed or finished batch.
   * Atomic: the job and all its batches land together or not at all.
   */
  saveJobState(job: JobState): Promise<void> {
    return this.calls.run('saveJobState', () => this.jobs.save(job));
  }

  /**
   * The job as last saved, with each batch's status and counts as updated
   * since; `null` for an unknown job. Batches come back ordered by index with
   * `records: []`.
   */
  getJobState(jobId: string): Promise<JobState | null> {
    return this.calls.run('getJobState', () => this.jobs.get(jobId));
  }

  /**
   * Sets one batch's status and counts; `version` moves. Safe under any
   * number of concurrent callers on different batches (one row each).
   *
   * A batch the engine has not yet named in `saveJobState` (single-process
   * streaming reports batches as it creates them) is stored with its index
   * to come; for a distributed job an unknown batch is a `NotFoundError`.
   *
   * With `options.workerId` (not part of the engine's port) the update is
   * fenced: it lands only while that worker holds the batch, else
   * `LeaseLostError`.
   */
  updateBatchState(jobId: string, batchId: string, state: BatchState, options: UpdateBatchOptions = {}): Promise<void> {
    return this.calls.run('updateBatchState', () => this.batches.update(jobId, batchId, state, options));
  }

  /**
   * Creates or replaces the record at `(jobId, record.index)` in one
   * statement (or, with write-behind on, queues it: see the options).
   */
  saveProcessedRecord(jobId: string, batchId: string, record: ProcessedRecord): Promise<void> {
    return this.calls.run('saveProcessedRecord', () => this.records.save(jobId, batchId, record));
  }

  /** Records with status `failed` or `invalid`, by index. */
  getFailedRecords(jobId: string): Promise<ProcessedRecord[]> {
    return this.calls.run('getFailedRecords', () => this.records.byStatus(jobId, FAILED_STATUSES, 'getFailedRecords'));
  }

  /** Records with status `pending` or `valid`, by index. */
  getPendingRecords(jobId: string): Promise<ProcessedRecord[]> {
    return this.calls.run('getPendingRecords', () => this.records.byStatus(jobId, PENDING_STATUSES, 'getPendingRecords'));
  }

  /** Records with status `processed`, by index. */
  getProcessedRecords(jobId: string): Promise<ProcessedRecord[]> {
    return this.calls.run('getProcessedRecords', () => this.records.byStatus(jobId, PROCESSED_STATUSES, 'getProcessedRecords'));
  }

  /**
   * Progress from what is persisted. `processedRecords` counts records
   * `processed`; `failedRecords` those `failed` or `invalid`; `currentBatch`
   * the batches COMPLETED. `elapsedMs` runs from `startedAt` to
   * `completedAt` (or now).
   * @throws NotFoundError for an unknown job.
   */
  getProgress(jobId: string): Promise<JobProgress> {
    return this.calls.run('getProgress', () => this.progress.of(jobId));
  }

  // ---------------------------------------------------------------- DistributedStateStore

  /**
   * Hands the lowest-index PENDING batch of a PROCESSING job to this worker.
   * Concurrent claimers never get the same batch and never wait on each
   * other. `claimedAt` is the database's clock.
   */
  claimBatch(jobId: string, workerId: string): Promise<ClaimBatchResult> {
    return this.calls.run('claimBatch', () => this.claims.claim(jobId, workerId));
  }

  /** Puts a batch back to PENDING, if `workerId` still holds it; otherwise does nothing. */
  releaseBatch(jobId: string, batchId: string, workerId: string): Promise<void> {
    return this.calls.run('releaseBatch', () => this.claims.release(jobId, batchId, workerId));
  }

  /**
   * Renews this worker's lease on a batch (its `claimedAt` becomes now), so
   * `reclaimStaleBatches` leaves it alone while the worker is alive. Not part
   * of the engine's port.
   * @throws LeaseLostError if the worker no longer holds the batch.
   */
  heartbeatBatch(jobId: string, batchId: string, workerId: string): Promise<void> {
    return this.calls.run('heartbeatBatch', () => this.claims.renew(jobId, batchId, workerId));
  }

  /**
   * Puts back to PENDING every PROCESSING batch of the job whose lease is
   * older than `timeoutMs` (database clock), in one statement. Safe to run
   * from every worker at once: each stale batch is counted by exactly one.
   * @returns how many batches this call reclaimed.
   */
  reclaimStaleBatches(jobId: string, timeoutMs: number): Promise<number> {
    return this.calls.run('reclaimStaleBatches', () => this.claims.reclaimStale(jobId, timeoutMs));
  }

  /**
   * Saves a batch's records with multi-row upserts, all or nothing.
   * Saving the same records again (an orchestrator retry) replaces them.
   */
  saveBatchRecords(jobId: string, batchId: string, records: readonly ProcessedRecord[]): Promise<void> {
    return this.calls.run('saveBatchRecords', () => this.records.saveBatch(jobId, batchId, records));
  }

  /** A batch's records, by index. */
  getBatchRecords(jobId: string, batchId: string): Promise<ProcessedRecord[]> {
    return this.calls.run('getBatchRecords', () => this.records.byBatch(jobId, batchId));
  }

  /** Batch counts by status, from one aggregate query. */
  getDistributedStatus(jobId: string): Promise<DistributedJobStatus> {
    return this.calls.run('getDistributedStatus', () => this.finalizer.distributedStatus(jobId));
  }

  /**
   * If the job is PROCESSING and has batches, all COMPLETED or FAILED, moves
   * it to FAILED (any batch failed) or COMPLETED and sets `completedAt`.
   * Returns `true` to exactly one caller however many race.
   */
  tryFinalizeJob(jobId: string): Promise<boolean> {
    return this.calls.run('tryFinalizeJob', () => this.finalizer.tryFinalize(jobId));
  }

  // ---------------------------------------------------------------- beyond the port

  /**
   * Deletes a job with its batches and records, atomically.
   * @returns whether the job existed.
   */
  deleteJob(jobId: string): Promise<boolean> {
    return this.calls.run('deleteJob', () => this.admin.deleteJob(jobId));
  }

  /**
   * A page of jobs, newest (by creation) first, each with its batch counts
   * and its progress (the figures `getProgress` gives). For operators, the
   * CLI and the dashboard.
   * @throws InvalidInputError for an unknown status or a bad limit/offset.
   */
  listJobs(options: ListJobsOptions = {}): Promise<JobSummary[]> {
    return this.calls.run('listJobs', () => this.inspect.listJobs(options));
  }

  /** How many jobs there are, or how many have one of `options.status`. */
  countJobs(options: Pick<ListJobsOptions, 'status'> = {}): Promise<number> {
    return this.calls.run('countJobs', () => this.inspect.countJobs(options));
  }

  /** Every batch of a job, by index, with who holds it and its claim, renewal and finish times. */
  listBatches(jobId: string): Promise<BatchDetail[]> {
    return this.calls.run('listBatches', () => this.inspect.listBatches(jobId));
  }

  /** A page of a job's failed and invalid records, by index, with their total. */
  listFailedRecords(jobId: string, options: RecordPageOptions = {}): Promise<RecordPage> {
    return this.calls.run('listFailedRecords', () => this.inspect.listFailedRecords(jobId, options));
  }

  /**
   * Store-wide figures for metrics: jobs by status and, over the jobs not yet
   * terminal, batches by status, records by outcome, leases older than
   * `staleAfterMs` and the oldest lease's age.
   */
  stats(options: { staleAfterMs: number }): Promise<StoreStats> {
    return this.calls.run('stats', () => this.inspect.stats(options));
  }

  /**
   * Deletes jobs (with their batches and records) whose status is one of
   * `statuses` (default terminal) and that finished more than `olderThanMs`
   * ago, in bounded steps. Interrupted, running it again finishes the work.
   * @returns how many jobs were deleted.
   */
  purgeJobs(options: PurgeJobsOptions): Promise<number> {
    return this.calls.run('purgeJobs', () => this.admin.purgeJobs(options));
  }

  /**
   * Calls `listener` after every call of a public method of this store, with
   * the method's name, its duration and whether it failed (metrics, tracing).
   * @returns a function that removes the listener.
   */
  observe(listener: StoreCallListener): () => void {
    return this.calls.add(listener);
  }

  /** The database clock in epoch ms (the clock leases and `updatedAt` use). */
  databaseTime(): Promise<number> {
    return this.calls.run('databaseTime', () => this.admin.databaseTime());
  }
}

export type { SequelizeStateStoreOptions } from './options';
export type { UpdateBatchOptions } from './batches';
export type { PurgeJobsOptions } from './admin';
export type { StoreCall, StoreCallListener } from './calls';
export type { BatchDetail, JobSummary, ListJobsOptions, RecordPage, RecordPageOptions, StoreStats } from './inspect';
