import type { ErrorContext } from '../errors';
import type { Batch, BatchStatus } from '../ports';
import { toNumber } from './json';
import { BATCH_STATUSES, checkCount, checkId, checkObject, checkOptionalCount, checkStatus } from './validate';

/** A batch as written. Keys are `BatchEntity` attributes. */
export interface BatchRow {
  readonly jobId: string;
  readonly batchId: string;
  readonly batchIndex: number;
  readonly status: BatchStatus;
  readonly processedCount: number;
  readonly failedCount: number;
  readonly recordStartIndex: number | null;
  readonly recordEndIndex: number | null;
}

/** A batch as read back. */
export interface StoredBatch {
  readonly batchId: string;
  readonly batchIndex: number | string | null;
  readonly status: string;
  readonly processedCount: number | string;
  readonly failedCount: number | string;
  readonly workerId?: string | null;
  readonly claimedAt?: number | string | null;
  readonly recordStartIndex?: number | string | null;
  readonly recordEndIndex?: number | string | null;
}

/** Converts batches between the engine's `Batch` and `BatchEntity` rows. Pure. */
export class BatchMapper {
  /**
   * Validates one batch of a job being saved.
   * @throws InvalidInputError naming the job, batch and field that is wrong.
   */
  static toRow(jobId: string, batch: Batch, position: number, context: ErrorContext): BatchRow {
    const field = `job.batches[${position}]`;
    checkObject(batch, field, context);
    const ctx: ErrorContext = { ...context, batchId: typeof batch.id === 'string' ? batch.id : undefined };
    const start = checkOptionalCount(batch.recordStartIndex, `${field}.recordStartIndex`, ctx);
    const end = checkOptionalCount(batch.recordEndIndex, `${field}.recordEndIndex`, ctx);
    if (start !== null && end !== null && end < start) {
      checkCount(-1, `${field}.recordEndIndex (>= recordStartIndex ${start}; got ${end})`, ctx);
    }
    return {
      jobId,
      batchId: checkId(batch.id, `${field}.id`, ctx),
      batchIndex: checkCount(batch.index, `${field}.index`, ctx),
      status: checkStatus<BatchStatus>(batch.status, BATCH_STATUSES, `${field}.status`, ctx),
      processedCount: checkCount(batch.processedCount, `${field}.processedCount`, ctx),
      failedCount: checkCount(batch.failedCount, `${field}.failedCount`, ctx),
      recordStartIndex: start,
      recordEndIndex: end,
    };
  }

  /**
   * Decodes a stored batch. `index` is the stored index, or `inferredIndex`
   * when the engine has not saved it yet (see `SequelizeStateStore.getJobState`).
   */
  static toDomain(row: StoredBatch, inferredIndex?: number): Batch {
    const workerId = row.workerId ?? undefined;
    const claimedAt = toNumber(row.claimedAt);
    const recordStartIndex = toNumber(row.recordStartIndex);
    const recordEndIndex = toNumber(row.recordEndIndex);
    return {
      id: row.batchId,
      index: toNumber(row.batchIndex) ?? (inferredIndex as number),
      status: row.status as BatchStatus,
      records: [],
      processedCount: toNumber(row.processedCount) ?? 0,
      failedCount: toNumber(row.failedCount) ?? 0,
      ...(workerId !== undefined ? { workerId } : {}),
      ...(claimedAt !== undefined ? { claimedAt } : {}),
      ...(recordStartIndex !== undefined ? { recordStartIndex } : {}),
      ...(recordEndIndex !== undefined ? { recordEndIndex } : {}),
    };
  }
}
