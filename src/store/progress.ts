/** `getProgress`: a job's progress computed from what is persisted. */
import { NotFoundError, type ErrorContext } from '../errors';
import { toNumber } from '../mappers/json';
import { checkId } from '../mappers/validate';
import type { JobProgress } from '../ports';
import type { StoreContext } from './context';
import { countsOf, sum } from './finalize';
import type { JobText } from './jobs';
import { countBatchesByStatus, countRecordsByStatus, selectJob } from './sql';

/** The progress module of one store. */
export class Progress {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Progress from aggregate queries (no rows are loaded). `processedRecords`
   * counts records `processed`; `failedRecords` those `failed` or `invalid`;
   * `currentBatch` the batches COMPLETED. `elapsedMs` runs from `startedAt`
   * to `completedAt` (or now).
   * @throws NotFoundError for an unknown job.
   */
  async of(jobId: string): Promise<JobProgress> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'getProgress', jobId };
    checkId(jobId, 'jobId', context);
    await ctx.flush(jobId);
    return ctx.guard(context, async () => {
      const [job] = await ctx.select<JobText>(ctx.sql(selectJob), [jobId]);
      if (!job) throw new NotFoundError('no such job', context);
      const records = countsOf(await ctx.select(ctx.sql(countRecordsByStatus), [jobId]));
      const batches = countsOf(await ctx.select(ctx.sql(countBatchesByStatus), [jobId]));
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
}
