/**
 * Jobs: `saveJobState` (the job row and its batch rows, atomically) and
 * `getJobState` (the row with its batches as updated since). Both cost what
 * changed rather than what exists, through the caches of `jobCache.ts`.
 */
import { InvalidInputError, type ErrorContext } from '../errors';
import { BATCH_WRITE_KEYS, BatchMapper, type BatchRow, type StoredBatch } from '../mappers/BatchMapper';
import { decodeJson, isTrue, toNumber } from '../mappers/json';
import { JOB_WRITE_KEYS, JobMapper, type JobRow, type StoredJob } from '../mappers/JobMapper';
import { valuesOf } from '../mappers/rows';
import { checkId } from '../mappers/validate';
import type { Batch, JobState, JobStatus } from '../ports';
import type { StoreContext } from './context';
import type { Tx } from './Executor';
import { slotOf, type WrittenBatch, type WrittenJob, type WrittenSlot } from './jobCache';
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
  version?: unknown;
  createdAt?: unknown;
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

/** `version:created_at` of a job row: it changes whenever the row is saved, finalized, or deleted and made anew. */
function tokenOf(row: { version?: unknown; createdAt?: unknown }, versionDelta = 0): string {
  return `${(toNumber(row.version) ?? 0) + versionDelta}:${toNumber(row.createdAt) ?? ''}`;
}

function writtenOf(b: BatchRow): WrittenBatch {
  return {
    index: b.batchIndex, status: b.status, processed: b.processedCount, failed: b.failedCount,
    start: b.recordStartIndex, end: b.recordEndIndex,
  };
}

/** Whether `batch` (as given, not yet checked) has exactly the values `known` was written with. */
function sameAsWritten(batch: Batch, known: WrittenBatch): boolean {
  return batch.index === known.index && batch.status === known.status && batch.processedCount === known.processed
    && batch.failedCount === known.failed && (batch.recordStartIndex ?? null) === known.start && (batch.recordEndIndex ?? null) === known.end;
}

/** What is known after a save whose batches extend the last one's: the order grows in place, no rebuild. */
function grown(known: WrittenJob, batches: readonly Batch[], token: string): WrittenJob {
  for (let i = known.order.length; i < batches.length; i++) {
    const id = (batches[i] as Batch).id;
    known.order.push(id);
    known.positions.set(id, i);
    known.slots.push(slotOf(known.rows, id));
  }
  known.token = token;
  return known;
}

/** What is known after a save of `batches`, order and positions built anew. */
function fresh(batches: readonly Batch[], token: string, distributed: boolean, rows: Map<string, WrittenSlot>): WrittenJob {
  const order = batches.map((b) => b.id);
  return { token, distributed, order, positions: new Map(order.map((id, i) => [id, i])), rows, slots: order.map((id) => slotOf(rows, id)) };
}

/** What a save writes: the batches that differ from what is known to be stored, or (`all`) every batch row. */
interface SavePlan {
  /** Every batch row, checked where it changed; built only when what is known cannot be trusted. */
  all(): readonly BatchRow[];
  readonly changed: readonly BatchRow[];
  /** Whether `job.batches` starts with the ids of the last save in the same order (so the order only grows). */
  readonly extends: boolean;
}

/** The jobs module of one store. */
export class Jobs {
  /** Saves of one job run one after another, in call order (the engine's later call carries the newer state). */
  private readonly saving = new Map<string, Promise<unknown>>();

  constructor(private readonly ctx: StoreContext) {}

  /**
   * Creates or replaces a job. Single-process jobs: the batches given
   * replace the stored ones. Distributed jobs: batches not yet stored become
   * claimable rows, stored ones are left as they are, and a finalized job
   * cannot be saved back to a non-terminal status. Only batches that differ
   * from what this store knows to be stored are written.
   */
  async save(job: JobState): Promise<void> {
    const context: ErrorContext = { operation: 'saveJobState' };
    const row = JobMapper.toRow(job, context);
    const jobContext = { ...context, jobId: row.id };
    await this.ctx.flush();
    const previous = this.saving.get(row.id) ?? Promise.resolve();
    const run = previous.then(() => this.saveNow(job, row, jobContext), () => this.saveNow(job, row, jobContext));
    const settled = run.catch(() => undefined);
    this.saving.set(row.id, settled);
    void settled.then(() => {
      if (this.saving.get(row.id) === settled) this.saving.delete(row.id);
    });
    return run;
  }

  private async saveNow(job: JobState, row: JobRow, context: ErrorContext): Promise<void> {
    const ctx = this.ctx;
    const known = ctx.written.get(row.id);
    const cache = known && known.distributed === row.distributed ? known : undefined;
    const plan = this.plan(job, row, cache, context);
    ctx.read.forget(row.id);
    let landed: { token: string; trusted: boolean } | undefined;
    let writing: readonly BatchRow[] = [];
    try {
      await ctx.guard(context, () =>
        ctx.transaction(async (tx) => {
          const [head] = await ctx.select<{ status: string; distributed: unknown; version: unknown; createdAt: unknown }>(
            ctx.sql(selectJobHead, true), [row.id], tx);
          if (head && row.distributed && !TERMINAL_JOB_STATUSES.includes(row.status)
            && isTrue(head.distributed) && TERMINAL_JOB_STATUSES.includes(head.status as JobStatus)) {
            // A finalized distributed job stays final: re-opening it would let
            // tryFinalizeJob answer true a second time. The read locked the job
            // row, so a finalize committing meanwhile is seen, not overwritten.
            throw new InvalidInputError(
              `the distributed job is already ${head.status}; it cannot go back to ${row.status}`,
              { ...context, field: 'job.status' },
            );
          }
          // What is known of the stored rows holds only while the job row is
          // the one this store's last save left.
          const trusted = cache !== undefined && head !== undefined && tokenOf(head) === cache.token;
          writing = trusted ? plan.changed : plan.all();
          ctx.written.begin(row.id, writing.map((b) => b.batchId));
          await ctx.exec(ctx.sql(upsertJob), valuesOf(row, JOB_WRITE_KEYS), tx);
          await this.writeBatches(writing, row.distributed, tx);
          const token = head ? tokenOf(head, 1) : tokenOf((await ctx.select(ctx.sql(selectJobHead, false), [row.id], tx))[0] ?? {});
          landed = { token, trusted };
        }));
    } catch (error) {
      ctx.written.forget(row.id);
      if (writing.length > 0) ctx.written.end(row.id, writing.map((b) => b.batchId));
      throw error;
    }
    // Built once the save committed (a retried transaction may run its body twice).
    const { token, trusted } = landed as { token: string; trusted: boolean };
    const done = trusted && plan.extends
      ? grown(cache as WrittenJob, job.batches, token)
      : fresh(job.batches, token, row.distributed, trusted ? (cache as WrittenJob).rows : new Map<string, WrittenSlot>());
    if (TERMINAL_JOB_STATUSES.includes(row.status)) ctx.written.forget(row.id);
    else ctx.written.set(row.id, done);
    ctx.written.end(row.id, writing.map((b) => b.batchId), new Map(writing.map((b) => [b.batchId, writtenOf(b)])));
  }

  /**
   * Checks the batches and finds those that differ from what is known to be
   * stored. A batch in the same place, with the same values as this store
   * last wrote, was checked then and is neither checked nor written again:
   * the engine saves every batch so far after each one, and this keeps that
   * call's cost to the batches that changed.
   */
  private plan(job: JobState, row: JobRow, known: WrittenJob | undefined, context: ErrorContext): SavePlan {
    const batches = job.batches;
    // Rows of the places that changed, by place; the others are built only if `all()` is asked for.
    const checkedAt = new Map<number, BatchRow>();
    const changed: BatchRow[] = [];
    const tail = new Set<string>();
    const order = known?.order ?? [];
    const slots = known?.slots ?? [];
    let extends_ = known !== undefined && batches.length >= order.length;
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i] as Batch;
      const same = typeof batch === 'object' && batch !== null && order[i] === batch.id;
      if (!same && i < order.length) extends_ = false;
      const stored = same ? slots[i] : undefined;
      if (stored?.known && sameAsWritten(batch, stored)) continue;
      const checked = BatchMapper.toRow(row.id, batch, i, context);
      // An id seen at another place of this list (the unchanged places were
      // unique when last saved, so only a place that changed can repeat one).
      const earlier = same ? undefined : known?.positions.get(checked.batchId);
      if (tail.has(checked.batchId) || (earlier !== undefined && earlier !== i && earlier < batches.length
        && (batches[earlier] as Batch | undefined)?.id === checked.batchId)) {
        throw new InvalidInputError('job.batches names this batch id twice', { ...context, batchId: checked.batchId, field: 'job.batches' });
      }
      tail.add(checked.batchId);
      checkedAt.set(i, checked);
      changed.push(checked);
    }
    const all = (): BatchRow[] => batches.map((batch, i) => checkedAt.get(i) ?? {
      jobId: row.id, batchId: batch.id, batchIndex: batch.index, status: batch.status, processedCount: batch.processedCount,
      failedCount: batch.failedCount, recordStartIndex: batch.recordStartIndex ?? null, recordEndIndex: batch.recordEndIndex ?? null,
    });
    return { all, changed, extends: extends_ };
  }

  private async writeBatches(rows: readonly BatchRow[], distributed: boolean, tx: Tx): Promise<void> {
    const ctx = this.ctx;
    const per = ctx.rowsPerStatement(BATCH_COLUMNS.length);
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      await ctx.exec(ctx.sql(insertBatches, chunk.length, !distributed), chunk.flatMap((b) => valuesOf(b, BATCH_WRITE_KEYS)), tx);
    }
  }

  /**
   * The job as last saved, with its batches' status and counts as updated
   * since; `null` if unknown. The job row is read every time; the batches
   * may come from a copy (see `jobStateCacheMs`).
   */
  async get(jobId: string): Promise<JobState | null> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'getJobState', jobId };
    checkId(jobId, 'jobId', context);
    await ctx.flush();
    return ctx.guard(context, async () => {
      const now = Date.now();
      const [job] = await ctx.select<JobText>(ctx.sql(selectJob), [jobId]);
      if (!job) {
        ctx.read.forget(jobId);
        ctx.written.forget(jobId);
        return null;
      }
      const state = JobMapper.toDomain(decodeJob(job), []);
      const token = tokenOf(job);
      const copy = ctx.read.enabled ? ctx.read.batches(jobId, token, now) : undefined;
      if (copy) return { ...state, batches: copy };
      const started = ctx.read.startRead();
      let kept: Batch[] | undefined;
      try {
        const stored = await ctx.select<StoredBatch>(ctx.sql(selectBatches), [jobId]);
        const { batches, inferred } = await this.batchesWithIndex(jobId, stored, state.config.batchSize);
        // A copy is kept only when every batch's index is stored (one inferred
        // from a record could change with the next record).
        if (!inferred) kept = batches;
        return { ...state, batches };
      } finally {
        ctx.read.keep(jobId, token, kept, now, started);
      }
    });
  }

  /** Batches sorted by index; those saved before their index was known get it from their first record. */
  private async batchesWithIndex(jobId: string, stored: StoredBatch[], batchSize: number): Promise<{ batches: Batch[]; inferred: boolean }> {
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
    const batches = stored
      .filter((b) => !unindexed.includes(b) || first.has(b.batchId))
      .map((b) => BatchMapper.toDomain(b, first.get(b.batchId)))
      .sort((a, b) => a.index - b.index);
    return { batches, inferred: unindexed.length > 0 };
  }
}
