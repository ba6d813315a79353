import type { Sequelize } from 'sequelize';
import type {
  BatchState, ClaimBatchResult, DistributedJobStatus, DistributedStateStore, JobProgress, JobState, ProcessedRecord,
} from '../ports';
import type { DeleteJobOptions, PurgeJobsOptions } from './admin';
import { assembleStore, type StoreModules } from './assemble';
import type { UpdateBatchOptions } from './batches';
import { CallObservers, type StoreCallListener } from './calls';
import type { StoreContext } from './context';
import type { Tables } from './dialects';
import type { BatchDetail, JobSummary, ListJobsOptions, RecordPage, RecordPageOptions, StoreStats } from './inspect';
import type { StoreModels } from './models';
import type { SequelizeStateStoreOptions } from './options';
import { createTables } from './schema';

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
 * `bulkimport_batches`, `bulkimport_records` by default). Each batch is its
 * own row, so workers claim, complete and reclaim batches without rewriting
 * any shared row, and every record write is a single upsert.
 *
 * This class is the public surface; one module per concern (jobs, records,
 * batches, claims, leases, finalization, progress, inspection,
 * administration) does the work over a shared context (`src/store`).
 */
export class SequelizeStateStore implements DistributedStateStore {
  /** The entity classes this store uses, bound to its Sequelize instance and tables. */
  readonly models: StoreModels;
  /** The quoted, qualified table names this store uses. */
  readonly tables: Tables;

  private readonly ctx: StoreContext;
  private readonly m: StoreModules;
  private readonly calls = new CallObservers();

  /**
   * @param sequelize - the application's Sequelize instance (plain `sequelize`
   *   or `sequelize-typescript`); the store defines its own models on it.
   * @param options - see {@link SequelizeStateStoreOptions}.
   * @throws InvalidInputError for an unsupported dialect or a bad option, naming it.
   */
  constructor(readonly sequelize: Sequelize, options: SequelizeStateStoreOptions = {}) {
    const parts = assembleStore(sequelize, options);
    this.models = parts.models;
    this.tables = parts.tables;
    this.ctx = parts.ctx;
    this.m = parts.modules;
  }

  /**
   * Creates the tables and indexes if they do not exist (and, on PostgreSQL,
   * the schema), and adds columns later versions added to existing tables.
   * Idempotent. For production, prefer the migrations.
   */
  initialize(): Promise<void> {
    return createTables(this.ctx, this.models);
  }

  /**
   * Stops renewing the leases of batches claimed through this store (they run
   * out after the stale timeout; a late report through this store is still
   * fenced) and writes any buffered records. Does not close the Sequelize
   * instance, which belongs to the application.
   */
  async close(): Promise<void> {
    this.m.leases.close();
    await this.ctx.buffer?.close();
  }

  // ---------------------------------------------------------------- StateStore

  /**
   * Creates or replaces a job, atomically with its batches. Single-process
   * jobs: the batches given replace the stored ones. Distributed jobs
   * (`distributed: true`): batches not yet stored become claimable rows and
   * stored ones are left as they are. Writes only the batches that differ
   * from what this store knows to be stored.
   */
  saveJobState(job: JobState): Promise<void> {
    return this.calls.run('saveJobState', () => this.m.jobs.save(job));
  }

  /**
   * The job as last saved, with its batches' status and counts as updated
   * since (ordered by index, `records: []`); `null` for an unknown job.
   * Other processes' batch changes may show up to `jobStateCacheMs` late.
   */
  getJobState(jobId: string): Promise<JobState | null> {
    return this.calls.run('getJobState', () => this.m.jobs.get(jobId));
  }

  /**
   * Sets one batch's status and counts. A batch not yet in any
   * `saveJobState` (single-process streaming) is stored with its index to
   * come. Fenced — `LeaseLostError` once the worker no longer holds the batch
   * — with `options.workerId`, and without it for a batch this store claimed.
   */
  updateBatchState(jobId: string, batchId: string, state: BatchState, options: UpdateBatchOptions = {}): Promise<void> {
    return this.calls.run('updateBatchState', () => this.m.batches.update(jobId, batchId, state, options));
  }

  /** Creates or replaces the record at `(jobId, record.index)` in one statement (or queues it: `recordBuffer`). */
  saveProcessedRecord(jobId: string, batchId: string, record: ProcessedRecord): Promise<void> {
    return this.calls.run('saveProcessedRecord', () => this.m.records.save(jobId, batchId, record));
  }

  /** Records with status `failed` or `invalid`, by index. */
  getFailedRecords(jobId: string): Promise<ProcessedRecord[]> {
    return this.calls.run('getFailedRecords', () => this.m.records.byStatus(jobId, ['failed', 'invalid'], 'getFailedRecords'));
  }

  /** Records with status `pending` or `valid`, by index. */
  getPendingRecords(jobId: string): Promise<ProcessedRecord[]> {
    return this.calls.run('getPendingRecords', () => this.m.records.byStatus(jobId, ['pending', 'valid'], 'getPendingRecords'));
  }

  /** Records with status `processed`, by index. */
  getProcessedRecords(jobId: string): Promise<ProcessedRecord[]> {
    return this.calls.run('getProcessedRecords', () => this.m.records.byStatus(jobId, ['processed'], 'getProcessedRecords'));
  }

  /**
   * Progress from what is persisted, derived from the batch rows and the
   * records of batches in flight (never a count of the records table).
   * @throws NotFoundError for an unknown job.
   */
  getProgress(jobId: string): Promise<JobProgress> {
    return this.calls.run('getProgress', () => this.m.progress.of(jobId));
  }

  // ---------------------------------------------------------------- DistributedStateStore

  /**
   * Hands the lowest-index PENDING batch of a PROCESSING job to `workerId`
   * (`claimedAt` by the database clock) and keeps its lease alive until it is
   * reported, released or the store is closed (`leaseRenewalMs`).
   * Concurrent claimers never get the same batch and never wait on each other.
   */
  claimBatch(jobId: string, workerId: string): Promise<ClaimBatchResult> {
    return this.calls.run('claimBatch', () => this.m.claims.claim(jobId, workerId));
  }

  /** Puts a batch back to PENDING if `workerId` still holds it; otherwise does nothing. */
  async releaseBatch(jobId: string, batchId: string, workerId: string): Promise<void> {
    await this.calls.run('releaseBatch', () => this.m.claims.release(jobId, batchId, workerId));
  }

  /**
   * Renews `workerId`'s lease on a batch now (`renewedAt`). Not needed for
   * batches claimed through this store, which renews them itself.
   * @throws LeaseLostError if the worker no longer holds the batch.
   */
  heartbeatBatch(jobId: string, batchId: string, workerId: string): Promise<void> {
    return this.calls.run('heartbeatBatch', () => this.m.claims.renew(jobId, batchId, workerId));
  }

  /**
   * Puts back to PENDING every PROCESSING batch of the job whose lease is
   * older than `timeoutMs` (database clock), in one statement; each stale
   * batch is counted by exactly one of concurrent callers.
   * @returns how many batches this call reclaimed.
   */
  reclaimStaleBatches(jobId: string, timeoutMs: number): Promise<number> {
    return this.calls.run('reclaimStaleBatches', () => this.m.claims.reclaimStale(jobId, timeoutMs));
  }

  /** Saves a batch's records with multi-row upserts, all or nothing; saving them again replaces them. */
  saveBatchRecords(jobId: string, batchId: string, records: readonly ProcessedRecord[]): Promise<void> {
    return this.calls.run('saveBatchRecords', () => this.m.records.saveBatch(jobId, batchId, records));
  }

  /** A batch's records, by index. */
  getBatchRecords(jobId: string, batchId: string): Promise<ProcessedRecord[]> {
    return this.calls.run('getBatchRecords', () => this.m.records.byBatch(jobId, batchId));
  }

  /** Batch counts by status, from one aggregate query. */
  getDistributedStatus(jobId: string): Promise<DistributedJobStatus> {
    return this.calls.run('getDistributedStatus', () => this.m.finalizer.distributedStatus(jobId));
  }

  /**
   * If the job is PROCESSING and has batches, all COMPLETED or FAILED, moves
   * it to FAILED (any batch failed) or COMPLETED and sets `completedAt`.
   * `true` to exactly one caller however many race.
   */
  tryFinalizeJob(jobId: string): Promise<boolean> {
    return this.calls.run('tryFinalizeJob', () => this.m.finalizer.tryFinalize(jobId));
  }

  // ---------------------------------------------------------------- beyond the port

  /**
   * Deletes a job with its batches and records, atomically — only if its
   * status is one of `options.statuses`, when given.
   * @returns whether it deleted the job.
   */
  deleteJob(jobId: string, options: DeleteJobOptions = {}): Promise<boolean> {
    return this.calls.run('deleteJob', () => this.m.admin.deleteJob(jobId, options));
  }

  /**
   * Deletes jobs whose status is one of `statuses` (default: terminal) and
   * that finished more than `olderThanMs` ago, in bounded steps.
   * @returns how many jobs were deleted.
   */
  purgeJobs(options: PurgeJobsOptions): Promise<number> {
    return this.calls.run('purgeJobs', () => this.m.admin.purgeJobs(options));
  }

  /** A page of jobs, newest first, each with its batch counts and progress (as `getProgress`). */
  listJobs(options: ListJobsOptions = {}): Promise<JobSummary[]> {
    return this.calls.run('listJobs', () => this.m.inspect.listJobs(options));
  }

  /** How many jobs there are, or how many have one of `options.status`. */
  countJobs(options: Pick<ListJobsOptions, 'status'> = {}): Promise<number> {
    return this.calls.run('countJobs', () => this.m.inspect.countJobs(options));
  }

  /** One job's summary, as `listJobs` gives it; `null` for an unknown job. */
  getJobSummary(jobId: string): Promise<JobSummary | null> {
    return this.calls.run('getJobSummary', () => this.m.inspect.jobSummary(jobId));
  }

  /** Every batch of a job, by index, with its holder and its claim, renewal and finish times. */
  listBatches(jobId: string): Promise<BatchDetail[]> {
    return this.calls.run('listBatches', () => this.m.inspect.listBatches(jobId));
  }

  /** A page of a job's failed and invalid records, by index, with their total. */
  listFailedRecords(jobId: string, options: RecordPageOptions = {}): Promise<RecordPage> {
    return this.calls.run('listFailedRecords', () => this.m.inspect.listFailedRecords(jobId, options));
  }

  /**
   * Store-wide figures for metrics: jobs by status and, over the jobs not yet
   * terminal, batches by status, records by outcome, leases older than
   * `staleAfterMs` and the oldest lease's age.
   */
  stats(options: { staleAfterMs: number }): Promise<StoreStats> {
    return this.calls.run('stats', () => this.m.inspect.stats(options));
  }

  /** The database clock in epoch ms (the clock of leases and `updatedAt`). */
  databaseTime(): Promise<number> {
    return this.calls.run('databaseTime', () => this.m.admin.databaseTime());
  }

  /**
   * Calls `listener` after every call of a public method of this store with
   * the method's name, its duration and whether it failed (metrics, tracing).
   * @returns a function that removes the listener.
   */
  observe(listener: StoreCallListener): () => void {
    return this.calls.add(listener);
  }
}

export type { SequelizeStateStoreOptions } from './options';
export type { UpdateBatchOptions } from './batches';
export type { DeleteJobOptions, PurgeJobsOptions } from './admin';
export type { StoreCall, StoreCallListener } from './calls';
export type { BatchDetail, JobSummary, ListJobsOptions, RecordPage, RecordPageOptions, StoreStats } from './inspect';
