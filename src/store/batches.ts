/** Batches as the engine reports them: `updateBatchState`, plain or fenced by a worker. */
import { InvalidInputError, LeaseLostError, NotFoundError, type ErrorContext, type StateStoreError } from '../errors';
import { isTrue } from '../mappers/json';
import { BATCH_STATUSES, checkCount, checkId, checkObject, checkStatus } from '../mappers/validate';
import type { Batch, BatchState, BatchStatus } from '../ports';
import type { StoreContext } from './context';
import { slotValue, type WrittenBatch } from './jobCache';
import type { Leases } from './leases';
import { insertUnindexedBatch, selectBatchHolder, selectJobHead, updateBatch, upsertBatchOfPlainJob } from './sql';

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
  constructor(private readonly ctx: StoreContext, private readonly leases: Leases) {}

  /**
   * Sets one batch's status and counts; `version` moves. A batch the engine
   * has not yet named in `saveJobState` (single-process streaming) is stored
   * with its index to come; in a distributed job an unknown batch is a
   * {@link NotFoundError}.
   *
   * Fenced — it lands only while the worker still holds the batch, else
   * {@link LeaseLostError} and nothing changes — with `options.workerId`, and
   * without it for a batch this store claimed (the engine's worker never
   * passes one): a worker whose batch was reclaimed and taken by another
   * cannot overwrite the new holder's state.
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
    if (options.workerId !== undefined) checkId(options.workerId, 'options.workerId', context);
    const workerId = options.workerId ?? this.leases.holder(jobId, batchId);
    const fenced = workerId !== undefined;
    await ctx.flush(jobId);
    const ids = [batchId];
    ctx.written.begin(jobId, ids);
    let written: WrittenBatch | undefined;
    try {
      written = await ctx.guard(fenced ? { ...context, workerId } : context, async () => {
        const bind: unknown[] = [jobId, batchId, status, processed, failed];
        // What the row now holds, where this store knew the rest of it.
        const landed = (): WrittenBatch | undefined => {
          const was = slotValue(ctx.written.get(jobId)?.rows.get(batchId));
          return was ? { ...was, status, processed, failed } : undefined;
        };
        // A job this store saved as not distributed (the engine's single
        // process): one upsert, which the statement itself confines to such a
        // job; a job made distributed since, or deleted, takes the path below.
        if (!fenced && status !== 'PENDING' && ctx.written.get(jobId)?.distributed === false
          && (await ctx.retrying(() => ctx.count(ctx.sql(upsertBatchOfPlainJob), bind))) > 0) {
          return landed();
        }
        if (fenced) bind.push(workerId);
        // One autocommit statement: after a deadlock (MariaDB, against concurrent
        // claims and finalizes) it was rolled back, so running it again is safe.
        const changed = await ctx.retrying(() => ctx.count(ctx.sql(updateBatch, fenced, status === 'PENDING'), bind));
        if (changed > 0) return landed();
        if (fenced) {
          this.leases.ended(jobId, batchId);
          throw await leaseError(ctx, jobId, batchId, { ...context, workerId });
        }
        const [head] = await ctx.select<{ distributed: unknown }>(ctx.sql(selectJobHead, false), [jobId]);
        if (head && isTrue(head.distributed)) throw new NotFoundError('no such batch in this distributed job', context);
        await ctx.exec(ctx.sql(insertUnindexedBatch), [jobId, batchId, status, processed, failed]);
        return { index: null, status, processed, failed, start: null, end: null };
      });
    } catch (error) {
      ctx.written.end(jobId, ids);
      ctx.read.forget(jobId);
      throw error;
    }
    ctx.written.end(jobId, ids, written ? new Map([[batchId, written]]) : undefined);
    if (status !== 'PROCESSING') this.leases.ended(jobId, batchId);
    ctx.read.patch(jobId, batchId, (b) => {
      const next: Batch = { ...b, status, processedCount: processed, failedCount: failed };
      if (status !== 'PENDING') return next;
      const { workerId: _w, claimedAt: _c, ...rest } = next;
      return rest;
    });
  }
}
