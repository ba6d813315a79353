/**
 * `getProgress` reads the job row and its batch aggregates in one statement
 * and counts records only for the kinds of batches in flight the aggregates
 * show (src/store/progress.ts). On every database, through every state a
 * batch can be in, it must equal the records counted one by one
 * (test/engine/oracle.ts) — and `listJobs` must carry the same figures.
 */
import 'reflect-metadata';
import type { JobState, ProcessedRecord } from '../../src/ports';
import { expectExactProgress } from '../engine/oracle';
import { DATABASES, freshStore, type TestDatabase } from '../helpers/databases';
import { distributedJob, pendingRecord } from '../reliability/helpers';

const SIZE = 4;

function done(index: number, status: ProcessedRecord['status']): ProcessedRecord {
  return { ...pendingRecord(index), status, ...(status === 'failed' ? { errors: [{ field: 'name', message: 'bad', code: 'X', severity: 'error' }] } : {}) } as ProcessedRecord;
}

describe.each(DATABASES.map((d) => [d.name, d] as [string, TestDatabase]))('getProgress on %s', (_name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    ctx = await freshStore(db);
  });
  afterAll(async () => {
    await ctx?.drop();
  });

  const check = async (jobId: string, where: string): Promise<void> => {
    await expectExactProgress(ctx.store, jobId, where);
    const [summary] = (await ctx.store.listJobs({ limit: 100 })).filter((j) => j.id === jobId);
    const { elapsedMs: _a, estimatedRemainingMs: _b, ...listed } = summary?.progress ?? {};
    const { elapsedMs: _c, estimatedRemainingMs: _d, ...direct } = await ctx.store.getProgress(jobId);
    expect(listed).toEqual(direct);
  };

  test('a distributed job through claimed, paused, reclaimed, released and finished batches', async () => {
    const { store } = ctx;
    const jobId = 'p-dist';
    const ids = ['d0', 'd1', 'd2', 'd3', 'd4'];
    await store.saveJobState(distributedJob(jobId, ids, SIZE));
    for (const [i, id] of ids.entries()) await store.saveBatchRecords(jobId, id, Array.from({ length: SIZE }, (_, k) => pendingRecord(i * SIZE + k)));
    await check(jobId, 'all batches fresh');

    const first = await store.claimBatch(jobId, 'w1');
    const second = await store.claimBatch(jobId, 'w2');
    const a = first.claimed ? first.reservation : undefined;
    const b = second.claimed ? second.reservation : undefined;
    if (!a || !b) throw new Error('expected two claims');
    await store.saveProcessedRecord(jobId, a.batchId, done(a.recordStartIndex, 'processed'));
    await store.saveProcessedRecord(jobId, a.batchId, done(a.recordStartIndex + 1, 'failed'));
    await check(jobId, 'two batches held, one half done');

    await store.updateBatchState(jobId, b.batchId, { batchId: b.batchId, status: 'PAUSED', processedCount: 0, failedCount: 0 }, { workerId: 'w2' });
    await check(jobId, 'one batch paused');

    // a's lease ends: reclaimed, it is PENDING again but claimed before (its records count as they are).
    await new Promise((r) => setTimeout(r, 30));
    expect(await store.reclaimStaleBatches(jobId, 10)).toBeGreaterThan(0);
    await check(jobId, 'reclaimed');

    const third = await store.claimBatch(jobId, 'w3');
    if (!third.claimed) throw new Error('expected a claim');
    for (let k = 0; k < SIZE; k++) await store.saveProcessedRecord(jobId, third.reservation.batchId, done(third.reservation.recordStartIndex + k, k === 0 ? 'invalid' : 'processed'));
    await store.updateBatchState(jobId, third.reservation.batchId, { batchId: third.reservation.batchId, status: 'COMPLETED', processedCount: SIZE - 1, failedCount: 1 });
    await check(jobId, 'one batch completed, none held');

    const fourth = await store.claimBatch(jobId, 'w4');
    if (!fourth.claimed) throw new Error('expected a claim');
    await store.releaseBatch(jobId, fourth.reservation.batchId, 'w4');
    await check(jobId, 'one batch released');
  });

  test('a single-process job: none saved, batches named late, pending batches with records, a job without batches', async () => {
    const { store } = ctx;
    const jobId = 'p-single';
    const job = (batches: JobState['batches']): JobState => ({
      id: jobId, config: { batchSize: SIZE }, status: 'PROCESSING', totalRecords: 3 * SIZE, startedAt: 1_700_000_000_000, batches,
    });
    await store.saveJobState(job([]));
    await check(jobId, 'no batches');
    // The engine reports a batch before it names it in saveJobState.
    await store.updateBatchState(jobId, 's0', { batchId: 's0', status: 'PROCESSING', processedCount: 0, failedCount: 0 });
    await store.saveProcessedRecord(jobId, 's0', done(0, 'processed'));
    await check(jobId, 'a batch not yet named');
    await store.saveJobState(job([
      { id: 's0', index: 0, status: 'PROCESSING', records: [], processedCount: 0, failedCount: 0 },
      { id: 's1', index: 1, status: 'PENDING', records: [], processedCount: 0, failedCount: 0 },
    ]));
    await store.saveProcessedRecord(jobId, 's1', done(SIZE, 'failed'));
    await check(jobId, 'a pending batch with a record');
    await store.updateBatchState(jobId, 's0', { batchId: 's0', status: 'COMPLETED', processedCount: 1, failedCount: 0 });
    await check(jobId, 'only a pending batch in flight');
  });
});
