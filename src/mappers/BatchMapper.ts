import type { BatchEntity } from '../entities/BatchEntity';
import type { ErrorContext } from '../errors';
import type { Batch, BatchStatus } from '../ports';
import { toNumber } from './json';
import type { Narrowed, Read } from './rows';
import { BATCH_STATUSES, checkCount, checkId, checkObject, checkOptionalCount, checkStatus } from './validate';

/** The `BatchEntity` attributes `saveJobState` writes, in the order of the statement's columns. */
export const BATCH_WRITE_KEYS = [
  'jobId', 'batchId', 'batchIndex', 'status', 'processedCount', 'failedCount', 'recordStartIndex', 'recordEndIndex',
] as const satisfies readonly (keyof BatchEntity)[];

/** A batch as written: `BatchEntity` attributes. */
export type BatchRow = Narrowed<Pick<BatchEntity, (typeof BATCH_WRITE_KEYS)[number]>, {
  batchIndex: number;
  status: BatchStatus;
}>;

/**
 * A batch as read back: `BatchEntity` attributes as a model read returns them
 * (`BatchEntity.findAll(...)`), or as the store reads them.
 */
export type StoredBatch = Read<Pick<BatchEntity, 'batchId' | 'batchIndex' | 'status' | 'processedCount' | 'failedCount'>
  & Partial<Pick<BatchEntity, 'workerId' | 'claimedAt' | 'recordStartIndex' | 'recordEndIndex'>>>;

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
