/**
 * The engine's port types, carried here so the library needs no copy of
 * `@batchactions/core` at run time. They are kept structurally identical to the
 * engine's public contract (`@batchactions/core` 0.0.6): a store typed against
 * these is accepted wherever the engine asks for a `StateStore` or a
 * `DistributedStateStore`.
 *
 * @packageDocumentation
 */

/** Lifecycle status of an import job. Terminal: `COMPLETED`, `ABORTED`, `FAILED`. */
export type JobStatus =
  | 'CREATED'
  | 'PREVIEWING'
  | 'PREVIEWED'
  | 'PROCESSING'
  | 'PAUSED'
  | 'COMPLETED'
  | 'ABORTED'
  | 'FAILED';

/** Lifecycle status of a batch. */
export type BatchStatus = 'PENDING' | 'PROCESSING' | 'PAUSED' | 'COMPLETED' | 'FAILED';

/** Status of one processed record (lower case, as the engine spells it). */
export type RecordStatus = 'valid' | 'invalid' | 'processed' | 'failed' | 'pending';

/** A record as read from the source, before validation. */
export interface RawRecord {
  readonly [key: string]: unknown;
}

/** A record after validation and transformation. */
export interface ParsedRecord {
  readonly [key: string]: unknown;
}

/** Error codes the engine's validator produces. */
export type ValidationErrorCode =
  | 'REQUIRED'
  | 'TYPE_MISMATCH'
  | 'PATTERN_MISMATCH'
  | 'CUSTOM_VALIDATION'
  | 'UNKNOWN_FIELD'
  | 'DUPLICATE_VALUE'
  | 'EXTERNAL_DUPLICATE';

/** Severity of a validation finding; warnings do not make a record invalid. */
export type ErrorSeverity = 'error' | 'warning';

/** Category of a validation finding. */
export type ErrorCategory = 'VALIDATION' | 'FORMAT' | 'DUPLICATE' | 'PROCESSING' | 'CUSTOM';

/** One validation finding on one field of a record. */
export interface ValidationError {
  readonly field: string;
  readonly message: string;
  readonly code: ValidationErrorCode;
  readonly value?: unknown;
  readonly severity?: ErrorSeverity;
  readonly category?: ErrorCategory;
  readonly suggestion?: string;
  readonly metadata?: Record<string, unknown>;
}

/** A record with its processing outcome. `index` is its 0-based position in the source. */
export interface ProcessedRecord {
  readonly index: number;
  readonly raw: RawRecord;
  readonly parsed: ParsedRecord;
  readonly status: RecordStatus;
  readonly errors: readonly ValidationError[];
  readonly processingError?: string;
  readonly retryCount?: number;
}

/** A batch of records. Stores return `records` as `[]`: records are read separately. */
export interface Batch {
  readonly id: string;
  readonly index: number;
  readonly status: BatchStatus;
  readonly records: readonly ProcessedRecord[];
  readonly processedCount: number;
  readonly failedCount: number;
  /** Distributed mode: the worker holding the batch. */
  readonly workerId?: string;
  /** Distributed mode: when the batch was claimed (epoch ms). */
  readonly claimedAt?: number;
  /** Distributed mode: first record index of the batch (inclusive). */
  readonly recordStartIndex?: number;
  /** Distributed mode: last record index of the batch (inclusive). */
  readonly recordEndIndex?: number;
}

/** Engine configuration persisted with a job. */
export interface JobConfig {
  readonly id?: string;
  readonly schema?: Record<string, unknown>;
  readonly batchSize: number;
  readonly maxConcurrentBatches?: number;
  readonly continueOnError?: boolean;
  readonly maxRetries?: number;
  readonly retryDelayMs?: number;
  readonly skipEmptyRows?: boolean;
}

/** The persisted state of one job. Timestamps are epoch milliseconds. */
export interface JobState {
  readonly id: string;
  readonly config: JobConfig;
  readonly status: JobStatus;
  readonly batches: readonly Batch[];
  readonly totalRecords: number;
  readonly startedAt?: number;
  readonly completedAt?: number;
  readonly distributed?: boolean;
}

/** Progress of a job, computed from what is persisted. */
export interface JobProgress {
  readonly totalRecords: number;
  readonly processedRecords: number;
  readonly failedRecords: number;
  readonly pendingRecords: number;
  /** 0–100: processed + failed over total, rounded. */
  readonly percentage: number;
  /** Number of batches COMPLETED. */
  readonly currentBatch: number;
  readonly totalBatches: number;
  readonly elapsedMs: number;
  readonly estimatedRemainingMs?: number;
}

/** New status and counts of one batch. */
export interface BatchState {
  readonly batchId: string;
  readonly status: BatchStatus;
  readonly processedCount: number;
  readonly failedCount: number;
}

/** A batch handed to one worker by `claimBatch`. */
export interface BatchReservation {
  readonly jobId: string;
  readonly batchId: string;
  readonly batchIndex: number;
  readonly workerId: string;
  /** Epoch ms. */
  readonly claimedAt: number;
  readonly recordStartIndex: number;
  readonly recordEndIndex: number;
}

/** Outcome of `claimBatch`. */
export type ClaimBatchResult =
  | { readonly claimed: true; readonly reservation: BatchReservation }
  | { readonly claimed: false; readonly reason: 'NO_PENDING_BATCHES' | 'JOB_NOT_FOUND' | 'JOB_NOT_PROCESSING' };

/** Batch counts of a distributed job, by status. */
export interface DistributedJobStatus {
  readonly jobId: string;
  readonly totalBatches: number;
  readonly completedBatches: number;
  readonly failedBatches: number;
  readonly processingBatches: number;
  readonly pendingBatches: number;
  /** `true` when there is at least one batch and every batch is COMPLETED or FAILED. */
  readonly isComplete: boolean;
}

/** The engine's persistence port. */
export interface StateStore {
  /** Creates or replaces the job's state (upsert); the engine calls it after every batch with every batch so far. */
  saveJobState(job: JobState): Promise<void>;
  /** The state as last saved, with batch statuses and counts as updated since; `null` when unknown. */
  getJobState(jobId: string): Promise<JobState | null>;
  /** Sets one batch's status and counts (when a batch starts and when it ends). */
  updateBatchState(jobId: string, batchId: string, state: BatchState): Promise<void>;
  /** Creates or replaces the record at `(jobId, record.index)`: the hot path of every import. */
  saveProcessedRecord(jobId: string, batchId: string, record: ProcessedRecord): Promise<void>;
  /** Records with status `failed` or `invalid`, ordered by index. */
  getFailedRecords(jobId: string): Promise<readonly ProcessedRecord[]>;
  /** Records with status `pending` or `valid`, ordered by index. */
  getPendingRecords(jobId: string): Promise<readonly ProcessedRecord[]>;
  /** Records with status `processed`, ordered by index. */
  getProcessedRecords(jobId: string): Promise<readonly ProcessedRecord[]>;
  /** Progress computed from what is persisted. */
  getProgress(jobId: string): Promise<JobProgress>;
}

/** The engine's persistence port for multi-worker imports. */
export interface DistributedStateStore extends StateStore {
  /** Atomically moves the lowest-index PENDING batch of a PROCESSING job to PROCESSING for `workerId`. */
  claimBatch(jobId: string, workerId: string): Promise<ClaimBatchResult>;
  /** Back to PENDING, only if `workerId` still holds the batch. */
  releaseBatch(jobId: string, batchId: string, workerId: string): Promise<void>;
  /** PROCESSING batches claimed more than `timeoutMs` ago go back to PENDING; returns how many. */
  reclaimStaleBatches(jobId: string, timeoutMs: number): Promise<number>;
  /** Bulk-saves a batch's records (the orchestrator's prepare phase). */
  saveBatchRecords(jobId: string, batchId: string, records: readonly ProcessedRecord[]): Promise<void>;
  /** A batch's records ordered by index (a worker, after claiming). */
  getBatchRecords(jobId: string, batchId: string): Promise<readonly ProcessedRecord[]>;
  /** Batch counts by status. */
  getDistributedStatus(jobId: string): Promise<DistributedJobStatus>;
  /** Finalizes a PROCESSING job whose batches are all terminal; `true` to exactly one caller. */
  tryFinalizeJob(jobId: string): Promise<boolean>;
}
