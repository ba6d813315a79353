/** Exactly-once finalization of a distributed job, and its batch counts. */
import type { ErrorContext } from '../errors';
import { isTrue, toNumber } from '../mappers/json';
import { checkId } from '../mappers/validate';
import type { DistributedJobStatus } from '../ports';
import type { StoreContext } from './context';
import { withCounters } from './counters';
import { countBatchesByStatus, finalizeCheck, finalizeJob, selectJobHead } from './sql';

/** Counts by status from `SELECT status, COUNT(*) AS n … GROUP BY status` rows. */
export function countsOf(rows: Record<string, unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) counts[String(row.status)] = toNumber(row.n) ?? 0;
  return counts;
}

/** The sum of a set of counts. */
export function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** The finalization module of one store. */
export class Finalizer {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * If the job is PROCESSING and has batches, all COMPLETED or FAILED, moves
   * it to FAILED (any batch failed) or COMPLETED and sets `completedAt`.
   * `true` to exactly one caller however many race.
   */
  async tryFinalize(jobId: string): Promise<boolean> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'tryFinalizeJob', jobId };
    checkId(jobId, 'jobId', context);
    await ctx.flush(jobId);
    return ctx.guard(context, async () => {
      if (!ctx.dialect.lockBeforeCheck) return (await ctx.retrying(() => ctx.count(ctx.sql(finalizeJob), [jobId]))) === 1;
      // PostgreSQL: the conditional UPDATE alone could wait for a re-save that
      // adds batches and then finalize without seeing them (its subqueries keep
      // the first snapshot). So: a plain check first (most calls end here), then
      // the job row locked, then the UPDATE in a new statement, which sees
      // every batch committed before the lock was granted.
      const [head] = await withCounters(ctx, (counters) =>
        ctx.select<{ status: string; anyBatch: unknown; unfinished: unknown }>(ctx.sql(finalizeCheck, counters), [jobId]));
      if (!head || head.status !== 'PROCESSING' || !isTrue(head.anyBatch) || isTrue(head.unfinished)) return false;
      return ctx.retrying(() => ctx.transaction(async (tx) => {
        await ctx.select(ctx.sql(selectJobHead, true), [jobId], tx);
        return (await ctx.count(ctx.sql(finalizeJob), [jobId], tx)) === 1;
      }));
    });
  }

  /** Batch counts by status, from one aggregate query (over the progress counters where the database keeps them). */
  async distributedStatus(jobId: string): Promise<DistributedJobStatus> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'getDistributedStatus', jobId };
    checkId(jobId, 'jobId', context);
    return ctx.guard(context, async () => {
      const counts = countsOf(await withCounters(ctx, (counters) => ctx.select(ctx.sql(countBatchesByStatus, counters), [jobId])));
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
}
