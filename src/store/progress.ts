/**
 * Progress of a job from what is persisted, without counting its records
 * table: finished batches count by the figures they reported
 * (`updateBatchState`), batches in flight by their records' statuses, and
 * batches of a distributed job that were never claimed by their record range
 * (all pending). One computation serves `getProgress`, `listJobs`, the CLI
 * and the dashboard, so they never disagree.
 */
import { NotFoundError, type ErrorContext } from '../errors';
import { isTrue, toNumber } from '../mappers/json';
import { checkId } from '../mappers/validate';
import type { JobProgress } from '../ports';
import type { StoreContext } from './context';
import { withCounters } from './counters';
import { batchAggregates, jobProgressRows, jobProgressWithLive, liveRecordCounts } from './sql';

/** One group of a job's batch rows (by status, and whether never changed since saved). */
export interface BatchAggregate {
  readonly status: string;
  /** `version` 0: saved and never claimed or reported since. */
  readonly fresh: boolean;
  readonly n: number;
  readonly processed: number;
  readonly failed: number;
  /** Records the rows account for (record range, else processed + failed). */
  readonly size: number;
}

/** What progress is computed from. */
export interface ProgressInputs {
  readonly totalRecords: number;
  readonly startedAt?: number;
  readonly completedAt?: number;
  readonly distributed: boolean;
  readonly batches: readonly BatchAggregate[];
  /** Record counts by record status, over the batches in flight. */
  readonly live: Readonly<Record<string, number>>;
}

/** Batch counts by status of a job. */
export type BatchCounts = Readonly<Record<'total' | 'pending' | 'processing' | 'paused' | 'completed' | 'failed', number>>;

const TERMINAL = new Set(['COMPLETED', 'FAILED']);

/** A job's batch counts by status. */
export function batchCounts(batches: readonly BatchAggregate[]): BatchCounts {
  const by = (status: string): number => batches.filter((b) => b.status === status).reduce((n, b) => n + b.n, 0);
  return {
    total: batches.reduce((n, b) => n + b.n, 0),
    pending: by('PENDING'), processing: by('PROCESSING'), paused: by('PAUSED'), completed: by('COMPLETED'), failed: by('FAILED'),
  };
}

/**
 * The progress `getProgress` returns. `processedRecords` counts records
 * `processed`, `failedRecords` those `failed` or `invalid`; `totalRecords` is
 * the job's, or the records stored if more; `currentBatch` the batches
 * COMPLETED; `elapsedMs` runs from `startedAt` to `completedAt` (or `now`).
 */
export function progressOf(inputs: ProgressInputs, now: number = Date.now()): JobProgress {
  let processed = inputs.live.processed ?? 0;
  let failed = (inputs.live.failed ?? 0) + (inputs.live.invalid ?? 0);
  let stored = Object.values(inputs.live).reduce((a, b) => a + b, 0);
  for (const b of inputs.batches) {
    if (TERMINAL.has(b.status)) {
      processed += b.processed;
      failed += b.failed;
      stored += b.size;
    } else if (inputs.distributed && b.status === 'PENDING' && b.fresh) {
      stored += b.size;
    }
  }
  const counts = batchCounts(inputs.batches);
  const total = Math.max(inputs.totalRecords, stored);
  const done = processed + failed;
  const pending = Math.max(0, total - done);
  const { startedAt, completedAt } = inputs;
  const elapsedMs = startedAt !== undefined ? Math.max(0, (completedAt ?? now) - startedAt) : 0;
  return {
    totalRecords: total,
    processedRecords: processed,
    failedRecords: failed,
    pendingRecords: pending,
    percentage: total > 0 ? Math.round((done / total) * 100) : 0,
    currentBatch: counts.completed,
    totalBatches: counts.total,
    elapsedMs,
    ...(done > 0 && startedAt !== undefined ? { estimatedRemainingMs: Math.round((elapsedMs / done) * pending) } : {}),
  };
}

/** A job row as progress needs it. */
export interface ProgressJob {
  readonly id: string;
  readonly totalRecords: number;
  readonly startedAt?: number;
  readonly completedAt?: number;
  readonly distributed: boolean;
}

/** The kinds of batches in flight a job's aggregates show, whose records must be counted (none: no lookup). */
function liveBatches(job: ProgressJob, batches: readonly BatchAggregate[]): { held: boolean; pending: boolean } {
  const any = (test: (b: BatchAggregate) => boolean): boolean => batches.some((b) => b.n > 0 && test(b));
  return {
    held: any((b) => b.status === 'PROCESSING' || b.status === 'PAUSED'),
    pending: any((b) => b.status === 'PENDING' && !(job.distributed && b.fresh)),
  };
}

/** One aggregate row as {@link BatchAggregate}. */
function aggregateOf(r: Record<string, unknown>): BatchAggregate {
  return {
    status: String(r.status),
    fresh: isTrue(r.fresh),
    n: toNumber(r.n) ?? 0,
    processed: toNumber(r.processed) ?? 0,
    failed: toNumber(r.failed) ?? 0,
    size: toNumber(r.size) ?? 0,
  };
}

/** A job's inputs from its aggregates: the record counts of its batches in flight read when there are any. */
async function withLive(ctx: StoreContext, job: ProgressJob, batches: readonly BatchAggregate[]): Promise<ProgressInputs> {
  const live: Record<string, number> = {};
  const { held, pending } = liveBatches(job, batches);
  if (held || pending) {
    for (const r of await ctx.select(ctx.sql(liveRecordCounts, job.distributed, held, pending), [job.id])) live[String(r.status)] = toNumber(r.n) ?? 0;
  }
  return { ...job, batches, live };
}

/**
 * Reads the batch aggregates of `jobs` (at most a few hundred, one statement)
 * and the record counts of the batches in flight of those that have any (one
 * statement each), and builds their inputs.
 */
export async function progressInputs(ctx: StoreContext, jobs: readonly ProgressJob[]): Promise<Map<string, ProgressInputs>> {
  const out = new Map<string, ProgressInputs>();
  if (jobs.length === 0) return out;
  const ids = jobs.map((j) => j.id);
  const aggregates = await withCounters(ctx, (counters) => ctx.select<Record<string, unknown>>(ctx.sql(batchAggregates, ids.length, counters), ids));
  for (const job of jobs) {
    // For one job the statement has no jobId column (see batchAggregates): every row is that job's.
    const batches = aggregates.filter((r) => ids.length === 1 || r.jobId === job.id).map(aggregateOf);
    out.set(job.id, await withLive(ctx, job, batches));
  }
  return out;
}

/** The progress module of one store. */
export class Progress {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * `getProgress`: the job row joined to its batch aggregates (one statement;
   * from the progress counters where the database keeps them), then the
   * record counts of its batches in flight if it has any.
   * @throws NotFoundError for an unknown job.
   */
  async of(jobId: string): Promise<JobProgress> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'getProgress', jobId };
    checkId(jobId, 'jobId', context);
    await ctx.flush(jobId);
    return ctx.guard(context, () => withCounters(ctx, async (counters) => {
      if (counters) {
        // Job, counters and the records in flight in one statement.
        const rows = await ctx.select(ctx.sql(jobProgressWithLive), [jobId]);
        const head = rows.filter((r) => r.live === null || r.live === undefined);
        if (!head[0]) throw new NotFoundError('no such job', context);
        const live: Record<string, number> = {};
        for (const r of rows) if (!head.includes(r)) live[String(r.status)] = toNumber(r.n) ?? 0;
        return progressOf({ ...progressJob(head[0]), batches: aggregatesOf(head), live });
      }
      const rows = await ctx.select(ctx.sql(jobProgressRows, false), [jobId]);
      if (!rows[0]) throw new NotFoundError('no such job', context);
      const job = progressJob(rows[0]);
      return progressOf(await withLive(ctx, job, aggregatesOf(rows)));
    }));
  }
}

/** The aggregate groups of job-and-aggregate rows (a job without batches joins one row with no group: NULL status). */
function aggregatesOf(rows: readonly Record<string, unknown>[]): BatchAggregate[] {
  return rows.filter((r) => r.status !== null && r.status !== undefined).map(aggregateOf);
}

/** The fields of a job row progress needs. */
export function progressJob(row: Record<string, unknown>): ProgressJob {
  const startedAt = toNumber(row.startedAt);
  const completedAt = toNumber(row.completedAt);
  return {
    id: String(row.id),
    totalRecords: toNumber(row.totalRecords) ?? 0,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(completedAt !== undefined ? { completedAt } : {}),
    distributed: isTrue(row.distributed),
  };
}
