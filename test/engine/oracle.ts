/**
 * What `getProgress` must return, counted the slow and obvious way: every
 * record row of the job by status (as the store did before it derived
 * progress from batch rows). Tests compare the two at checkpoints of the
 * engine's real call patterns.
 */
import { QueryTypes } from 'sequelize';
import type { SequelizeStateStore } from '../../src';
import type { JobProgress } from '../../src/ports';

type Counts = Record<string, number>;

async function countBy(store: SequelizeStateStore, table: string, jobId: string): Promise<Counts> {
  const q = (id: string): string => store.sequelize.getQueryInterface().quoteIdentifier(id);
  const rows = await store.sequelize.query<{ status: string; n: unknown }>(
    `SELECT ${q('status')} AS ${q('status')}, COUNT(*) AS ${q('n')} FROM ${table} WHERE ${q('job_id')} = $1 GROUP BY ${q('status')}`,
    { bind: [jobId], type: QueryTypes.SELECT, transaction: null },
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** The progress fields that do not depend on the clock, counted from every record and batch row. */
export async function exactProgress(store: SequelizeStateStore, jobId: string): Promise<Omit<JobProgress, 'elapsedMs' | 'estimatedRemainingMs'>> {
  const records = await countBy(store, store.tables.records, jobId);
  const batches = await countBy(store, store.tables.batches, jobId);
  const state = await store.getJobState(jobId);
  const sum = (c: Counts): number => Object.values(c).reduce((a, b) => a + b, 0);
  const processed = records.processed ?? 0;
  const failed = (records.failed ?? 0) + (records.invalid ?? 0);
  const total = Math.max(state?.totalRecords ?? 0, sum(records));
  return {
    totalRecords: total,
    processedRecords: processed,
    failedRecords: failed,
    pendingRecords: Math.max(0, total - processed - failed),
    percentage: total > 0 ? Math.round(((processed + failed) / total) * 100) : 0,
    currentBatch: batches.COMPLETED ?? 0,
    totalBatches: sum(batches),
  };
}

/** Asserts `getProgress` equals the counted figures now. */
export async function expectExactProgress(store: SequelizeStateStore, jobId: string, where: string): Promise<void> {
  const [exact, progress] = [await exactProgress(store, jobId), await store.getProgress(jobId)];
  const { elapsedMs: _e, estimatedRemainingMs: _r, ...derived } = progress;
  if (JSON.stringify(derived) !== JSON.stringify(exact)) {
    throw new Error(`getProgress differs from the records at ${where}: got ${JSON.stringify(derived)}, counted ${JSON.stringify(exact)}`);
  }
}
