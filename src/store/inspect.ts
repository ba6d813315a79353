/**
 * Read-only views for operators, the CLI and the dashboard: pages of jobs
 * with their progress, a job's batches with their leases, failed records by
 * page, and store-wide figures for metrics. None of it is part of the
 * engine's port; all of it answers from indexed reads, without counting a
 * job's records table.
 */
import { InvalidInputError, type ErrorContext } from '../errors';
import { toNumber } from '../mappers/json';
import { RecordMapper } from '../mappers/RecordMapper';
import { checkCount, checkDuration, checkId, checkStatus, JOB_STATUSES } from '../mappers/validate';
import type { BatchStatus, JobProgress, JobStatus, ProcessedRecord } from '../ports';
import type { StoreContext } from './context';
import { batchCounts, progressInputs, progressJob, progressOf, type BatchCounts, type ProgressJob } from './progress';
import { decodeJob, type JobText } from './jobs';
import { decodeRecord } from './records';
import {
  countActiveBatchesByStatus, countJobs, countJobsByStatus, countRecords, leaseSummary, listBatches, listJobs, selectActiveJobs,
  selectFirstRecordOfBatches, selectJob, selectJobSummary, selectRecordsPage,
} from './sql';

/** Options of `listJobs` and `countJobs`. */
export interface ListJobsOptions {
  /** Only jobs with one of these statuses. Default: all. */
  readonly status?: JobStatus | readonly JobStatus[];
  /** Page size, 1–1000. Default 50 (`listJobs` only). */
  readonly limit?: number;
  /** Jobs to skip (newest first). Default 0 (`listJobs` only). */
  readonly offset?: number;
}

/** One job as `listJobs` returns it. Times are epoch ms. */
export interface JobSummary {
  readonly id: string;
  readonly status: JobStatus;
  readonly distributed: boolean;
  readonly totalRecords: number;
  readonly startedAt?: number;
  readonly completedAt?: number;
  /** When the job row was first saved (database clock). */
  readonly createdAt: number;
  /** When the job row was last saved or finalized (database clock). */
  readonly updatedAt: number;
  /** Batch counts by status; `total` is the number of batch rows. */
  readonly batches: BatchCounts;
  /** Records processed and failed: the same figures as `progress` (and `getProgress`). */
  readonly processedRecords: number;
  readonly failedRecords: number;
  /** What `getProgress` returns for this job, computed the same way. */
  readonly progress: JobProgress;
}

/** One batch with its lease, as `listBatches` returns it. Times are epoch ms, database clock. */
export interface BatchDetail {
  readonly id: string;
  /** 0-based index; `null` while a single-process batch reported before its index is known has no record saved. */
  readonly index: number | null;
  readonly status: BatchStatus;
  readonly processedCount: number;
  readonly failedCount: number;
  /** The worker holding the batch (distributed mode, while PROCESSING). */
  readonly workerId?: string;
  /** When the holder claimed it. */
  readonly claimedAt?: number;
  /** When the holder last renewed its lease (absent until the first renewal). */
  readonly renewedAt?: number;
  /** When it became COMPLETED or FAILED. */
  readonly finishedAt?: number;
  readonly recordStartIndex?: number;
  readonly recordEndIndex?: number;
  /** Moves on every change of the row. */
  readonly version: number;
}

/** Options of `listFailedRecords`. */
export interface RecordPageOptions {
  /** Page size, 1–1000. Default 100. */
  readonly limit?: number;
  /** Records to skip (by index). Default 0. */
  readonly offset?: number;
}

/** A page of records and how many there are in all. */
export interface RecordPage {
  readonly total: number;
  readonly records: ProcessedRecord[];
}

/** Store-wide figures for metrics (`stats`). */
export interface StoreStats {
  /** The database clock when read (epoch ms). */
  readonly now: number;
  /** Jobs by status (every job). */
  readonly jobs: Readonly<Record<JobStatus, number>>;
  /** Batches by status, over the jobs not yet terminal. */
  readonly batches: Readonly<Record<BatchStatus, number>>;
  /** Records processed, failed (or invalid) and still to do, over the jobs not yet terminal. */
  readonly records: Readonly<{ processed: number; failed: number; pending: number }>;
  /** PROCESSING batches of active jobs whose lease is older than `staleAfterMs`. */
  readonly staleBatches: number;
  /** Age of the oldest lease of an active job's PROCESSING batch (ms), 0 when none. */
  readonly oldestLeaseAgeMs: number;
}

const JOB_STATUS_LIST: readonly JobStatus[] = ['CREATED', 'PREVIEWING', 'PREVIEWED', 'PROCESSING', 'PAUSED', 'COMPLETED', 'ABORTED', 'FAILED'];
const BATCH_STATUS_LIST: readonly BatchStatus[] = ['PENDING', 'PROCESSING', 'PAUSED', 'COMPLETED', 'FAILED'];
/** Active jobs whose progress one pair of statements reads. */
const PROGRESS_CHUNK = 100;

/** The inspection module of one store. */
export class Inspect {
  constructor(private readonly ctx: StoreContext) {}

  /** A page of jobs, newest (by creation) first, each with its batch counts and progress. */
  async listJobs(options: ListJobsOptions = {}): Promise<JobSummary[]> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'listJobs' };
    const statuses = this.statuses(options, context);
    const limit = checkCount(options.limit ?? 50, 'options.limit', context);
    if (limit < 1 || limit > 1000) throw new InvalidInputError('options.limit must be from 1 to 1000', { ...context, field: 'options.limit' });
    const offset = checkCount(options.offset ?? 0, 'options.offset', context);
    await ctx.flush();
    return ctx.guard(context, async () => this.summaries(await ctx.select(ctx.sql(listJobs, statuses.length, limit, offset), [...statuses])));
  }

  /** One job's summary, as `listJobs` gives it; `null` for an unknown job. */
  async jobSummary(jobId: string): Promise<JobSummary | null> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'getJobSummary', jobId };
    checkId(jobId, 'jobId', context);
    await ctx.flush(jobId);
    return ctx.guard(context, async () => (await this.summaries(await ctx.select(ctx.sql(selectJobSummary), [jobId])))[0] ?? null);
  }

  /** Summaries of job rows (as `listJobs` selects them), with their batch counts and progress. */
  private async summaries(rows: Record<string, unknown>[]): Promise<JobSummary[]> {
    const ctx = this.ctx;
    {
      const jobs = rows.map(progressJob);
      const inputs = await progressInputs(ctx, jobs);
      const now = Date.now();
      return rows.map((r, i) => {
        const job = jobs[i] as ProgressJob;
        const input = inputs.get(job.id);
        const progress = progressOf(input as NonNullable<typeof input>, now);
        return {
          id: job.id,
          status: String(r.status) as JobStatus,
          distributed: job.distributed,
          totalRecords: job.totalRecords,
          ...(job.startedAt !== undefined ? { startedAt: job.startedAt } : {}),
          ...(job.completedAt !== undefined ? { completedAt: job.completedAt } : {}),
          createdAt: toNumber(r.createdAt) ?? 0,
          updatedAt: toNumber(r.updatedAt) ?? 0,
          batches: batchCounts(input?.batches ?? []),
          processedRecords: progress.processedRecords,
          failedRecords: progress.failedRecords,
          progress,
        };
      });
    }
  }

  /** How many jobs there are (with one of `options.status`, when given). */
  async countJobs(options: Pick<ListJobsOptions, 'status'> = {}): Promise<number> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'countJobs' };
    const statuses = this.statuses(options, context);
    return ctx.guard(context, async () => {
      const [row] = await ctx.select<{ n: unknown }>(ctx.sql(countJobs, statuses.length), [...statuses]);
      return toNumber(row?.n) ?? 0;
    });
  }

  /** Every batch of a job, by index, with its lease and finish times. */
  async listBatches(jobId: string): Promise<BatchDetail[]> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'listBatches', jobId };
    checkId(jobId, 'jobId', context);
    await ctx.flush(jobId);
    return ctx.guard(context, async () => {
      const rows = await ctx.select(ctx.sql(listBatches), [jobId]);
      const unindexed = rows.filter((r) => r.batchIndex === null || r.batchIndex === undefined).map((r) => String(r.batchId));
      const first = new Map<string, number>();
      if (unindexed.length > 0) {
        const [job] = await ctx.select<JobText>(ctx.sql(selectJob), [jobId]);
        const size = job ? toNumber((decodeJob(job).config as { batchSize?: unknown }).batchSize) : undefined;
        const per = ctx.rowsPerStatement(1);
        for (let i = 0; size && size > 0 && i < unindexed.length; i += per) {
          const part = unindexed.slice(i, i + per);
          for (const r of await ctx.select(ctx.sql(selectFirstRecordOfBatches, part.length), [jobId, ...part])) {
            const n = toNumber(r.first);
            if (n !== undefined) first.set(String(r.batchId), Math.floor(n / size));
          }
        }
      }
      // Sorted here, not by the database: MariaDB's sort of 10,000 rows by their
      // utf8mb4 batch ids took 60 ms of the 65.
      return rows.map((r) => batchDetail(r, first.get(String(r.batchId))))
        .sort((a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  /** A page of a job's failed and invalid records, by index, with how many there are. */
  async listFailedRecords(jobId: string, options: RecordPageOptions = {}): Promise<RecordPage> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'listFailedRecords', jobId };
    checkId(jobId, 'jobId', context);
    const limit = checkCount(options.limit ?? 100, 'options.limit', context);
    if (limit < 1 || limit > 1000) throw new InvalidInputError('options.limit must be from 1 to 1000', { ...context, field: 'options.limit' });
    const offset = checkCount(options.offset ?? 0, 'options.offset', context);
    await ctx.flush(jobId);
    return ctx.guard(context, async () => {
      const statuses = ['failed', 'invalid'];
      const [count] = await ctx.select<{ n: unknown }>(ctx.sql(countRecords, statuses.length), [jobId, ...statuses]);
      const rows = await ctx.select(ctx.sql(selectRecordsPage, statuses.length, limit, offset), [jobId, ...statuses]);
      return { total: toNumber(count?.n) ?? 0, records: rows.map((r) => RecordMapper.toDomain(decodeRecord(r as never))) };
    });
  }

  /**
   * Store-wide figures: jobs by status; over the jobs not yet terminal,
   * batches by status, records by outcome (as `getProgress` counts them),
   * stale leases and the oldest lease's age.
   */
  async stats(options: { staleAfterMs: number }): Promise<StoreStats> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'stats' };
    const staleAfter = Math.floor(checkDuration(options?.staleAfterMs, 'options.staleAfterMs', context));
    return ctx.guard(context, async () => {
      const jobs = Object.fromEntries(JOB_STATUS_LIST.map((s) => [s, 0])) as Record<JobStatus, number>;
      for (const r of await ctx.select(ctx.sql(countJobsByStatus), [])) {
        if (String(r.status) in jobs) jobs[String(r.status) as JobStatus] = toNumber(r.n) ?? 0;
      }
      const batches = Object.fromEntries(BATCH_STATUS_LIST.map((s) => [s, 0])) as Record<BatchStatus, number>;
      for (const r of await ctx.select(ctx.sql(countActiveBatchesByStatus), [])) {
        if (String(r.status) in batches) batches[String(r.status) as BatchStatus] = toNumber(r.n) ?? 0;
      }
      const records = { processed: 0, failed: 0, pending: 0 };
      const active = (await ctx.select(ctx.sql(selectActiveJobs), [])).map(progressJob);
      for (let i = 0; i < active.length; i += PROGRESS_CHUNK) {
        const chunk = active.slice(i, i + PROGRESS_CHUNK);
        for (const input of (await progressInputs(ctx, chunk)).values()) {
          const p = progressOf(input);
          records.processed += p.processedRecords;
          records.failed += p.failedRecords;
          records.pending += p.pendingRecords;
        }
      }
      const [lease] = await ctx.select(ctx.sql(leaseSummary), [staleAfter]);
      const now = toNumber(lease?.now) ?? Date.now();
      const oldest = toNumber(lease?.oldest);
      return {
        now, jobs, batches, records,
        staleBatches: toNumber(lease?.stale) ?? 0,
        oldestLeaseAgeMs: oldest !== undefined ? Math.max(0, now - oldest) : 0,
      };
    });
  }

  private statuses(options: Pick<ListJobsOptions, 'status'>, context: ErrorContext): JobStatus[] {
    const given = options.status === undefined ? [] : Array.isArray(options.status) ? options.status : [options.status];
    return given.map((s, i) => checkStatus<JobStatus>(s, JOB_STATUSES, `options.status[${i}]`, context));
  }
}

function batchDetail(r: Record<string, unknown>, inferredIndex: number | undefined): BatchDetail {
  const optional = (key: string): Record<string, number> => {
    const n = toNumber(r[key]);
    return n !== undefined ? { [key]: n } : {};
  };
  return {
    id: String(r.batchId),
    index: toNumber(r.batchIndex) ?? inferredIndex ?? null,
    status: String(r.status) as BatchStatus,
    processedCount: toNumber(r.processedCount) ?? 0,
    failedCount: toNumber(r.failedCount) ?? 0,
    ...(r.workerId !== null && r.workerId !== undefined ? { workerId: String(r.workerId) } : {}),
    ...optional('claimedAt'), ...optional('renewedAt'), ...optional('finishedAt'),
    ...optional('recordStartIndex'), ...optional('recordEndIndex'),
    version: toNumber(r.version) ?? 0,
  };
}

