/**
 * The read-only views operators, the CLI and the dashboard use: job pages with
 * the same progress `getProgress` gives, batch leases with claim, renewal and
 * finish times, failed records by page, store-wide figures for metrics, and
 * the call observer. On every database.
 */
import 'reflect-metadata';
import { LeaseLostError, type StoreCall } from '../../src';
import { DATABASES, freshStore } from '../helpers/databases';
import { distributedJob, pendingRecord } from '../reliability/helpers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(DATABASES.map((d) => [d.name, d] as const))('inspection on %s', (_name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    ctx = await freshStore(db);
  });
  afterAll(async () => ctx?.drop());

  /** A distributed job of `n` batches of 2 records, prepared as the orchestrator does. */
  async function prepared(jobId: string, n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, (_, i) => `${jobId}-b${i}`);
    for (const [i, id] of ids.entries()) await ctx.store.saveBatchRecords(jobId, id, [pendingRecord(i * 2), pendingRecord(i * 2 + 1)]);
    await ctx.store.saveJobState(distributedJob(jobId, ids, 2));
    return ids;
  }

  test('listBatches: claim time kept across renewals, renewal and finish times, the holder', async () => {
    const { store } = ctx;
    const ids = await prepared('ins-lease', 3);
    const claim = await store.claimBatch('ins-lease', 'w1');
    if (!claim.claimed) throw new Error('no claim');
    let [b0] = await store.listBatches('ins-lease');
    expect(b0).toMatchObject({ id: ids[0], index: 0, status: 'PROCESSING', workerId: 'w1', claimedAt: claim.reservation.claimedAt });
    expect(b0?.renewedAt).toBeUndefined();
    await sleep(20);
    await store.heartbeatBatch('ins-lease', ids[0] as string, 'w1');
    [b0] = await store.listBatches('ins-lease');
    expect(b0?.claimedAt).toBe(claim.reservation.claimedAt);
    expect(b0?.renewedAt).toBeGreaterThan(claim.reservation.claimedAt);
    // getJobState's claimedAt is the claim's, too.
    expect((await store.getJobState('ins-lease'))?.batches[0]?.claimedAt).toBe(claim.reservation.claimedAt);
    await store.updateBatchState('ins-lease', ids[0] as string, { batchId: ids[0] as string, status: 'COMPLETED', processedCount: 2, failedCount: 0 });
    const all = await store.listBatches('ins-lease');
    expect(all.map((b) => [b.id, b.index, b.status])).toEqual([[ids[0], 0, 'COMPLETED'], [ids[1], 1, 'PENDING'], [ids[2], 2, 'PENDING']]);
    expect(all[0]?.finishedAt).toBeGreaterThanOrEqual(b0?.renewedAt as number);
    expect(all[1]).toMatchObject({ recordStartIndex: 2, recordEndIndex: 3, version: 0 });
    expect(all[1]?.finishedAt).toBeUndefined();
    // A reclaim clears the lease entirely.
    const second = await store.claimBatch('ins-lease', 'w2');
    if (!second.claimed) throw new Error('no claim');
    await sleep(30);
    expect(await store.reclaimStaleBatches('ins-lease', 10)).toBe(1);
    const [, back] = await store.listBatches('ins-lease');
    expect(back).toMatchObject({ status: 'PENDING' });
    expect(back?.workerId).toBeUndefined();
    expect(back?.claimedAt).toBeUndefined();
    await expect(store.heartbeatBatch('ins-lease', ids[1] as string, 'w2')).rejects.toBeInstanceOf(LeaseLostError);
  });

  test('listBatches infers the index of a single-process batch reported before any saveJobState named it', async () => {
    const { store } = ctx;
    await store.saveJobState({ id: 'ins-single', config: { batchSize: 5 }, status: 'PROCESSING', batches: [], totalRecords: 0 });
    await store.updateBatchState('ins-single', 'late', { batchId: 'late', status: 'PROCESSING', processedCount: 0, failedCount: 0 });
    expect((await store.listBatches('ins-single')).map((b) => b.index)).toEqual([null]);
    await store.saveProcessedRecord('ins-single', 'late', { ...pendingRecord(12), status: 'processed' });
    expect((await store.listBatches('ins-single')).map((b) => [b.id, b.index])).toEqual([['late', 2]]);
  });

  test('listBatches: by index whatever order they were written in, batches without one last by id', async () => {
    const { store } = ctx;
    const batch = (id: string, index: number) => ({ id, index, status: 'PENDING' as const, records: [], processedCount: 0, failedCount: 0 });
    await store.saveJobState({ id: 'ins-order', config: { batchSize: 5 }, status: 'PROCESSING', batches: [batch('c', 2), batch('a', 0), batch('b', 1)], totalRecords: 15 });
    for (const id of ['zz', 'mm']) await store.updateBatchState('ins-order', id, { batchId: id, status: 'PROCESSING', processedCount: 0, failedCount: 0 });
    expect((await store.listBatches('ins-order')).map((b) => [b.id, b.index])).toEqual([['a', 0], ['b', 1], ['c', 2], ['mm', null], ['zz', null]]);
  });

  test('listJobs carries the progress getProgress gives, for every job of the page; countJobs counts', async () => {
    const { store } = ctx;
    const ids = await prepared('ins-progress', 4);
    const claim = await store.claimBatch('ins-progress', 'w');
    if (!claim.claimed) throw new Error('no claim');
    await store.saveProcessedRecord('ins-progress', ids[0] as string, { ...pendingRecord(0), status: 'processed' });
    await store.saveProcessedRecord('ins-progress', ids[0] as string, { ...pendingRecord(1), status: 'invalid', errors: [{ field: 'x', message: 'bad', code: 'REQUIRED' }] });
    const jobs = await store.listJobs({ limit: 100 });
    expect(jobs.length).toBeGreaterThanOrEqual(3);
    for (const job of jobs) {
      expect(job.progress).toEqual({ ...(await store.getProgress(job.id)), elapsedMs: job.progress.elapsedMs, ...(job.progress.estimatedRemainingMs !== undefined ? { estimatedRemainingMs: expect.any(Number) } : {}) });
      expect([job.processedRecords, job.failedRecords]).toEqual([job.progress.processedRecords, job.progress.failedRecords]);
    }
    const mine = jobs.find((j) => j.id === 'ins-progress');
    expect(mine?.progress).toMatchObject({ totalRecords: 8, processedRecords: 1, failedRecords: 1, pendingRecords: 6, percentage: 25 });
    expect(mine?.batches).toEqual({ total: 4, pending: 3, processing: 1, paused: 0, completed: 0, failed: 0 });
    const total = await store.countJobs();
    expect(total).toBe(jobs.length);
    expect(await store.countJobs({ status: 'PROCESSING' })).toBe(jobs.filter((j) => j.status === 'PROCESSING').length);
    expect(await store.countJobs({ status: ['COMPLETED', 'FAILED'] })).toBe(jobs.filter((j) => ['COMPLETED', 'FAILED'].includes(j.status)).length);
  });

  test('listFailedRecords pages failed and invalid records by index, with their total', async () => {
    const { store } = ctx;
    await store.saveJobState({ id: 'ins-failed', config: { batchSize: 100 }, status: 'PROCESSING', batches: [], totalRecords: 30 });
    await store.updateBatchState('ins-failed', 'b', { batchId: 'b', status: 'PROCESSING', processedCount: 0, failedCount: 0 });
    for (let i = 0; i < 30; i++) {
      const status = i % 3 === 0 ? 'failed' : i % 3 === 1 ? 'invalid' : 'processed';
      await store.saveProcessedRecord('ins-failed', 'b', { ...pendingRecord(i), status, ...(status === 'failed' ? { processingError: `boom ${i}` } : {}) });
    }
    const first = await store.listFailedRecords('ins-failed', { limit: 7 });
    expect(first.total).toBe(20);
    expect(first.records.map((r) => r.index)).toEqual([0, 1, 3, 4, 6, 7, 9]);
    const last = await store.listFailedRecords('ins-failed', { limit: 7, offset: 14 });
    expect(last.records.map((r) => r.index)).toEqual([21, 22, 24, 25, 27, 28]);
    expect(last.records[0]).toMatchObject({ status: 'failed', processingError: 'boom 21' });
    await expect(store.listFailedRecords('ins-failed', { limit: 0 })).rejects.toThrow(/options.limit/);
  });

  test('stats: jobs by status; batches, records and leases of the jobs not yet terminal', async () => {
    const sequelize = db.connect({ storage: (ctx.sequelize as unknown as { options: { storage?: string } }).options.storage });
    const { SequelizeStateStore } = await import('../../src');
    const store = new SequelizeStateStore(sequelize, { tablePrefix: `${ctx.prefix}` });
    try {
      const before = await store.stats({ staleAfterMs: 60_000 });
      const ids = await prepared('ins-stats', 3);
      await store.claimBatch('ins-stats', 'w-old');
      await sleep(60);
      await store.claimBatch('ins-stats', 'w-new');
      const after = await store.stats({ staleAfterMs: 40 });
      expect(after.jobs.PROCESSING).toBe(before.jobs.PROCESSING + 1);
      expect(after.batches.PROCESSING).toBe(before.batches.PROCESSING + 2);
      expect(after.batches.PENDING).toBe(before.batches.PENDING + 1);
      expect(after.records.pending).toBe(before.records.pending + 6);
      expect(after.staleBatches).toBeGreaterThanOrEqual(1);
      expect(after.oldestLeaseAgeMs).toBeGreaterThanOrEqual(40);
      await store.updateBatchState('ins-stats', ids[0] as string, { batchId: ids[0] as string, status: 'COMPLETED', processedCount: 2, failedCount: 0 });
      const done = await store.stats({ staleAfterMs: 60_000 });
      expect(done.records.processed).toBe(after.records.processed + 2);
      expect(done.staleBatches).toBe(0);
    } finally {
      await sequelize.close();
    }
  });

  test('getJobSummary gives one job as listJobs does; deleteJob with statuses deletes only a job in one of them', async () => {
    const { store } = ctx;
    await prepared('ins-summary', 2);
    const [listed] = (await store.listJobs({ limit: 1000 })).filter((j) => j.id === 'ins-summary');
    const summary = await store.getJobSummary('ins-summary');
    expect(summary).toEqual({ ...listed, progress: { ...listed?.progress, elapsedMs: summary?.progress.elapsedMs } });
    expect(await store.getJobSummary('no-such-job')).toBeNull();
    expect(await store.deleteJob('ins-summary', { statuses: ['COMPLETED', 'ABORTED', 'FAILED'] })).toBe(false);
    expect(await store.getJobSummary('ins-summary')).not.toBeNull();
    expect(await store.deleteJob('ins-summary', { statuses: ['PROCESSING'] })).toBe(true);
    expect(await store.getJobSummary('ins-summary')).toBeNull();
    expect(await store.listBatches('ins-summary')).toEqual([]);
  });

  test('observe: every call reported with its operation, duration and outcome; removing the listener stops it', async () => {
    const { store } = ctx;
    const calls: StoreCall[] = [];
    const stop = store.observe((c) => void calls.push(c));
    const throwing = store.observe(() => {
      throw new Error('a broken listener is ignored');
    });
    await store.saveJobState({ id: 'ins-obs', config: { batchSize: 1 }, status: 'PROCESSING', batches: [], totalRecords: 0 });
    await store.getProgress('no-such-job').catch(() => undefined);
    await store.getJobState('ins-obs');
    stop();
    throwing();
    await store.getJobState('ins-obs');
    expect(calls.map((c) => [c.operation, c.ok])).toEqual([['saveJobState', true], ['getProgress', false], ['getJobState', true]]);
    for (const c of calls) expect(c.durationMs).toBeGreaterThanOrEqual(0);
  });
});
