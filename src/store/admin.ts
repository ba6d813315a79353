/**
 * Operations beyond the engine's port that change or delete: deleting and
 * purging jobs. And the database clock.
 */
import { InvalidInputError, type ErrorContext } from '../errors';
import { toNumber } from '../mappers/json';
import { checkCount, checkDuration, checkId, checkObject, checkStatus, JOB_STATUSES } from '../mappers/validate';
import type { JobStatus } from '../ports';
import type { StoreContext } from './context';
import { TERMINAL_JOB_STATUSES } from './jobs';
import {
  chunkBoundary, deleteJobRows, deleteJobRowsUpTo, deletePurgeableJob, selectJobHead, selectNow, selectPurgeableJobs,
} from './sql';

/** Options of `SequelizeStateStore.deleteJob`. */
export interface DeleteJobOptions {
  /**
   * Delete only a job whose status is one of these (checked with the job row
   * locked, so a job that changes status meanwhile is not deleted). Default: any.
   */
  readonly statuses?: readonly JobStatus[];
}

/** Options of `SequelizeStateStore.purgeJobs`. */
export interface PurgeJobsOptions {
  /** Jobs that finished (`completedAt`, else last update) more than this many ms ago, by the database clock. */
  readonly olderThanMs: number;
  /** Statuses eligible for purging. Default the terminal ones: COMPLETED, ABORTED, FAILED. */
  readonly statuses?: readonly JobStatus[];
  /** Most rows one DELETE statement removes, 1–100,000. Default 1,000. */
  readonly chunkSize?: number;
}

/** The administration module of one store. */
export class Admin {
  constructor(private readonly ctx: StoreContext) {}

  /** Deletes a job with its batches and records, atomically (only with one of `options.statuses`, when given); whether it did. */
  async deleteJob(jobId: string, options: DeleteJobOptions = {}): Promise<boolean> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'deleteJob', jobId };
    checkId(jobId, 'jobId', context);
    const statuses = options.statuses === undefined ? undefined : (Array.isArray(options.statuses) ? options.statuses : [])
      .map((s, i) => checkStatus<JobStatus>(s, JOB_STATUSES, `options.statuses[${i}]`, context));
    if (options.statuses !== undefined && !Array.isArray(options.statuses)) {
      throw new InvalidInputError('options.statuses must be an array of job statuses', { ...context, field: 'options.statuses' });
    }
    await ctx.flush(jobId);
    ctx.written.forget(jobId);
    ctx.read.forget(jobId);
    return ctx.guard(context, () =>
      ctx.transaction(async (tx) => {
        if (statuses) {
          const [head] = await ctx.select<{ status: string }>(ctx.sql(selectJobHead, true), [jobId], tx);
          if (!head || !statuses.includes(head.status as JobStatus)) return false;
        }
        await ctx.count(ctx.sql(deleteJobRows, 'records'), [jobId], tx);
        await ctx.count(ctx.sql(deleteJobRows, 'batches'), [jobId], tx);
        return (await ctx.count(ctx.sql(deleteJobRows, 'jobs'), [jobId], tx)) > 0;
      }));
  }

  /**
   * Deletes jobs (with their batches and records) whose status is one of
   * `statuses` (default terminal) and that finished more than `olderThanMs`
   * ago, in bounded steps, each its own statement; the job row goes last,
   * only if it is still eligible. Interrupted, running it again finishes it.
   * @returns how many jobs were deleted.
   */
  async purgeJobs(options: PurgeJobsOptions): Promise<number> {
    const ctx = this.ctx;
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
    await ctx.flush();
    return ctx.guard(context, async () => {
      let deleted = 0;
      const tried = new Set<string>();
      for (;;) {
        const ids = (await ctx.select<{ id: string }>(ctx.sql(selectPurgeableJobs, statuses.length, Math.min(chunk, 100)), [age, ...statuses]))
          .map((r) => String(r.id))
          .filter((id) => !tried.has(id));
        if (ids.length === 0) return deleted;
        for (const id of ids) {
          tried.add(id);
          ctx.written.forget(id);
          ctx.read.forget(id);
          for (const table of ['records', 'batches'] as const) {
            for (;;) {
              const [edge] = await ctx.select<{ k: unknown }>(ctx.sql(chunkBoundary, table, chunk), [id]);
              if (!edge) {
                await ctx.retrying(() => ctx.count(ctx.sql(deleteJobRows, table), [id]));
                break;
              }
              await ctx.retrying(() => ctx.count(ctx.sql(deleteJobRowsUpTo, table), [id, edge.k]));
            }
          }
          deleted += await ctx.retrying(() => ctx.count(ctx.sql(deletePurgeableJob, statuses.length), [id, age, ...statuses]));
        }
      }
    });
  }

  /** The database clock in epoch ms (the clock leases and `updatedAt` use). */
  async databaseTime(): Promise<number> {
    const ctx = this.ctx;
    return ctx.guard({ operation: 'databaseTime' }, async () => {
      const [row] = await ctx.select<{ now: unknown }>(ctx.sql(selectNow), []);
      return toNumber(row?.now) ?? Date.now();
    });
  }
}
