/**
 * The raw limit of the engine's call patterns: a stand-in for the store that
 * the engine models (test/engine/*) drive call for call, each method doing
 * the least plain SQL that keeps the same state in the same tables through
 * the raw driver (no Sequelize, no validation, no caches beyond what the
 * pattern itself tells).
 */
import type { BatchState, ClaimBatchResult, DistributedJobStatus, JobState, ProcessedRecord } from '../../src';
import { rawClaimRow, retryDeadlock } from './cycles';
import { recordParams, type RawConnection, type RawSql } from './raw';

const num = (v: unknown): number => Number(v ?? 0);
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);

/**
 * `single`: single-process pattern — `updateBatchState` upserts the batch row
 * (the engine reports a batch before any save names it), `saveJobState`
 * upserts the job row and names the index of batches new since the last save
 * (found from the end of the list: the engine appends). `worker`: the
 * distributed worker's calls.
 */
export class RawEngineStore {
  private readonly indexed = new Map<string, Set<string>>();

  constructor(private readonly raw: RawConnection, private readonly sql: RawSql, private readonly mode: 'single' | 'worker') {}

  async saveJobState(job: JobState): Promise<void> {
    await this.raw.run(this.sql.upsertJob(), [
      job.id, job.status, JSON.stringify(job.config), job.totalRecords, job.startedAt ?? null, job.completedAt ?? null,
    ]);
    let known = this.indexed.get(job.id);
    if (!known) this.indexed.set(job.id, (known = new Set()));
    for (let i = job.batches.length - 1; i >= 0; i--) {
      const b = job.batches[i];
      if (!b || known.has(b.id)) break;
      await this.raw.run(this.sql.setBatchIndex(), [b.index, job.id, b.id]);
      known.add(b.id);
    }
  }

  async updateBatchState(jobId: string, batchId: string, state: BatchState): Promise<void> {
    if (this.mode === 'single') {
      await this.raw.run(this.sql.upsertBatchState(), [jobId, batchId, state.status, state.processedCount, state.failedCount]);
    } else {
      await retryDeadlock(() => this.raw.run(this.sql.updateBatch(), [state.status, state.processedCount, state.failedCount, jobId, batchId]));
    }
  }

  async saveProcessedRecord(jobId: string, batchId: string, record: ProcessedRecord): Promise<void> {
    await this.raw.run(this.sql.upsertRecords(1), recordParams(jobId, batchId, record));
  }

  async reclaimStaleBatches(jobId: string, timeoutMs: number): Promise<number> {
    return retryDeadlock(() => this.raw.run(this.sql.reclaimStale(), [jobId, timeoutMs]));
  }

  async claimBatch(jobId: string, workerId: string): Promise<ClaimBatchResult> {
    const row = await retryDeadlock(() => rawClaimRow(this.raw, this.sql, jobId, workerId));
    if (!row) {
      const [job] = await this.raw.rows<{ status: string }>(this.sql.jobTotal(), [jobId]);
      return { claimed: false, reason: !job ? 'JOB_NOT_FOUND' : job.status !== 'PROCESSING' ? 'JOB_NOT_PROCESSING' : 'NO_PENDING_BATCHES' };
    }
    return {
      claimed: true,
      reservation: {
        jobId, batchId: row.batch_id, batchIndex: num(row.batch_index), workerId, claimedAt: Date.now(),
        recordStartIndex: num(row.record_start_index), recordEndIndex: num(row.record_end_index),
      },
    };
  }

  async getBatchRecords(jobId: string, batchId: string): Promise<ProcessedRecord[]> {
    const rows = await this.raw.rows<Record<string, unknown>>(this.sql.batchRecords(), [jobId, batchId]);
    return rows.map((r) => ({
      index: num(r.record_index), status: r.status as ProcessedRecord['status'], raw: json(r.raw) as never, parsed: json(r.parsed) as never,
      errors: json(r.errors) as never, ...(r.processing_error == null ? {} : { processingError: json(r.processing_error) as string }),
      retryCount: num(r.retry_count),
    }));
  }

  /** The job row; its batches only once the job is finished (the engine reads them then for its summary, before only `totalRecords`). */
  async getJobState(jobId: string): Promise<JobState | null> {
    const [job] = await this.raw.rows<{ status: string; total_records: unknown }>(this.sql.jobTotal(), [jobId]);
    if (!job) return null;
    const batches = job.status === 'PROCESSING' ? [] : (await this.raw.rows<Record<string, unknown>>(this.sql.jobBatches(), [jobId])).map((b) => ({
      id: String(b.batch_id), index: num(b.batch_index), status: b.status as never, records: [],
      processedCount: num(b.processed_count), failedCount: num(b.failed_count),
    }));
    return { id: jobId, config: { batchSize: 0 }, status: job.status as never, batches, totalRecords: num(job.total_records), distributed: true };
  }

  async tryFinalizeJob(jobId: string): Promise<boolean> {
    return (await retryDeadlock(() => this.raw.run(this.sql.finalize(), this.sql.finalizeParams(jobId)))) === 1;
  }

  async getDistributedStatus(jobId: string): Promise<DistributedJobStatus> {
    const rows = await this.raw.rows<{ status: string; n: unknown }>(this.sql.countBatches(), [jobId]);
    const c: Record<string, number> = {};
    for (const r of rows) c[r.status] = num(r.n);
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const done = (c.COMPLETED ?? 0) + (c.FAILED ?? 0);
    return {
      jobId, totalBatches: total, completedBatches: c.COMPLETED ?? 0, failedBatches: c.FAILED ?? 0,
      processingBatches: c.PROCESSING ?? 0, pendingBatches: c.PENDING ?? 0, isComplete: total > 0 && done === total,
    };
  }
}
