/** Batches as the engine reports them: `updateBatchState`, plain or fenced by a worker. */
import { InvalidInputError, LeaseLostError, NotFoundError, type ErrorContext, type StateStoreError } from '../errors';
import { isTrue } from '../mappers/json';
import { BATCH_STATUSES, checkCount, checkId, checkObject, checkStatus } from '../mappers/validate';
import type { BatchState, BatchStatus } from '../ports';
import type { StoreContext } from './context';
import { insertUnindexedBatch, selectBatchHolder, selectJobHead, updateBatch } from './sql';

/** Options of the fenced form of `updateBatchState`. */
export interface UpdateBatchOptions {
  /**
   * The worker that holds the batch. When given, the update lands only if
   * that worker still holds the batch (status PROCESSING, same worker);
   * otherwise it rejects with {@link LeaseLostError} and changes nothing.
   */
  readonly workerId?: string;
}

/** Why a fenced operation found nothing to change: the batch is gone, or held by someone else (or no one). */
export async function leaseError(ctx: StoreContext, jobId: string, batchId: string, context: ErrorContext): Promise<StateStoreError> {
  const [batch] = await ctx.select<{ status: string; workerId: string | null }>(ctx.sql(selectBatchHolder), [jobId, batchId]);
  if (!batch) return new NotFoundError('no such batch', context);
  const holder = batch.workerId ? `held by worker ${JSON.stringify(batch.workerId)}` : 'held by no worker';
  return new LeaseLostError(`the worker no longer holds this batch: it is ${batch.status}, ${holder}`, context);
}

/** The batch-reporting module of one store. */
export class Batches {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Sets one batch's status and counts; `version` moves. A batch the engine
   * has not yet named in `saveJobState` (single-process streaming) is stored
   * with its index to come; in a distributed job an unknown batch is a
   * {@link NotFoundError}. With `options.workerId` the update is fenced.
   */
  async update(jobId: string, batchId: string, state: BatchState, options: UpdateBatchOptions = {}): Promise<void> {
    const ctx = this.ctx;
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
    await ctx.flush(jobId);
    await ctx.guard(context, async () => {
      const bind: unknown[] = [jobId, batchId, status, processed, failed];
      if (fenced) bind.push(options.workerId);
      // One autocommit statement: after a deadlock (MariaDB, against concurrent
      // claims and finalizes) it was rolled back, so running it again is safe.
      const changed = await ctx.retrying(() => ctx.count(ctx.sql(updateBatch, fenced, status === 'PENDING'), bind));
      if (changed > 0) return;
      if (fenced) throw await leaseError(ctx, jobId, batchId, context);
      const [head] = await ctx.select<{ distributed: unknown }>(ctx.sql(selectJobHead, false), [jobId]);
      if (head && isTrue(head.distributed)) throw new NotFoundError('no such batch in this distributed job', context);
      await ctx.exec(ctx.sql(insertUnindexedBatch), [jobId, batchId, status, processed, failed]);
    });
  }
}
