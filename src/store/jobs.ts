/**
 * Jobs: `saveJobState` (the job row and its batch rows, atomically) and
 * `getJobState` (the row with its batches as updated since).
 */
import { InvalidInputError, type ErrorContext } from '../errors';
import { BATCH_WRITE_KEYS, BatchMapper, type StoredBatch } from '../mappers/BatchMapper';
import { decodeJson, isTrue, toNumber } from '../mappers/json';
import { JOB_WRITE_KEYS, JobMapper, type StoredJob } from '../mappers/JobMapper';
import { valuesOf } from '../mappers/rows';
import { checkId } from '../mappers/validate';
import type { Batch, JobState, JobStatus } from '../ports';
import type { StoreContext } from './context';
import {
  BATCH_COLUMNS, insertBatches, selectBatches, selectFirstRecordOfBatches, selectJob, selectJobHead, upsertJob,
} from './sql';

/** Job statuses after which nothing more happens. */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['COMPLETED', 'ABORTED', 'FAILED'];

/** A job row as the store's statements read it: `config` as JSON text. */
export interface JobText {
  id: string;
  status: string;
  config: unknown;
  totalRecords: unknown;
  startedAt: unknown;
  completedAt: unknown;
  distributed: unknown;
}

/** Decodes a job row the store read into the shape a model read gives ({@link StoredJob}). */
export function decodeJob(row: JobText): StoredJob {
  return {
    id: row.id,
    status: row.status,
    config: decodeJson(row.config),
    totalRecords: toNumber(row.totalRecords) ?? 0,
    startedAt: toNumber(row.startedAt) ?? null,
    completedAt: toNumber(row.completedAt) ?? null,
    distributed: isTrue(row.distributed),
  };
}

/** The jobs module of one store. */
export class Jobs {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Creates or replaces a job. Single-process jobs: the batches given
   * replace the stored ones. Distributed jobs: batches not yet stored become
   * claimable rows, stored ones are left as they are, and a finalized job
   * cannot be saved back to a non-terminal status.
   */
  async save(job: JobState): Promise<void> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'saveJobState' };
    const row = JobMapper.toRow(job, context);
    const jobContext = { ...context, jobId: row.id };
    const batches = job.batches.map((batch, i) => BatchMapper.toRow(row.id, batch, i, jobContext));
    const seen = new Set<string>();
    for (const b of batches) {
      if (seen.has(b.batchId)) {
        throw new InvalidInputError('job.batches names this batch id twice', { ...jobContext, batchId: b.batchId, field: 'job.batches' });
      }
      seen.add(b.batchId);
    }
    await ctx.flush();
    await ctx.guard(jobContext, () =>
      ctx.transaction(async (tx) => {
        if (row.distributed && !TERMINAL_JOB_STATUSES.includes(row.status)) {
          // A finalized distributed job stays final: re-opening it would let
          // tryFinalizeJob answer true a second time. The read locks the job
          // row, so a finalize committing meanwhile is seen, not overwritten.
          const [stored] = await ctx.select<{ status: string; distributed: unknown }>(ctx.sql(selectJobHead, true), [row.id], tx);
          if (stored && isTrue(stored.distributed) && TERMINAL_JOB_STATUSES.includes(stored.status as JobStatus)) {
            throw new InvalidInputError(
              `the distributed job is already ${stored.status}; it cannot go back to ${row.status}`,
              { ...jobContext, field: 'job.status' },
            );
          }
        }
        await ctx.exec(ctx.sql(upsertJob), valuesOf(row, JOB_WRITE_KEYS), tx);
        const per = ctx.rowsPerStatement(BATCH_COLUMNS.length);
        for (let i = 0; i < batches.length; i += per) {
          const chunk = batches.slice(i, i + per);
          await ctx.exec(ctx.sql(insertBatches, chunk.length, !row.distributed), chunk.flatMap((b) => valuesOf(b, BATCH_WRITE_KEYS)), tx);
        }
      }));
  }

  /** The job as last saved, with its batches' status and counts as updated since; `null` if unknown. */
  async get(jobId: string): Promise<JobState | null> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'getJobState', jobId };
    checkId(jobId, 'jobId', context);
    await ctx.flush();
    return ctx.guard(context, async () => {
      const [job] = await ctx.select<JobText>(ctx.sql(selectJob), [jobId]);
      if (!job) return null;
      const stored = await ctx.select<StoredBatch>(ctx.sql(selectBatches), [jobId]);
      const state = JobMapper.toDomain(decodeJob(job), []);
      return { ...state, batches: await this.batchesWithIndex(jobId, stored, state.config.batchSize) };
    });
  }

  /** Batches sorted by index; those saved before their index was known get it from their first record. */
  private async batchesWithIndex(jobId: string, stored: StoredBatch[], batchSize: number): Promise<Batch[]> {
    const ctx = this.ctx;
    const unindexed = stored.filter((b) => b.batchIndex === null || b.batchIndex === undefined);
    const first = new Map<string, number>();
    if (unindexed.length > 0 && Number.isInteger(batchSize) && batchSize > 0) {
      const per = ctx.rowsPerStatement(1);
      for (let i = 0; i < unindexed.length; i += per) {
        const part = unindexed.slice(i, i + per);
        const rows = await ctx.select<{ batchId: string; first: unknown }>(
          ctx.sql(selectFirstRecordOfBatches, part.length),
          [jobId, ...part.map((b) => b.batchId)],
        );
        for (const r of rows) {
          const n = toNumber(r.first);
          if (n !== undefined) first.set(r.batchId, Math.floor(n / batchSize));
        }
      }
    }
    // A batch whose index cannot be known (no record saved) is left out: the
    // engine redoes it on restore, which rewrites the same records.
    return stored
      .filter((b) => !unindexed.includes(b) || first.has(b.batchId))
      .map((b) => BatchMapper.toDomain(b, first.get(b.batchId)))
      .sort((a, b) => a.index - b.index);
  }
}
