/**
 * What the store remembers to make the engine's call pattern cheap, and the
 * limits that keep it correct (src/store/jobCache.ts), on every database:
 * - a save writes only batches that changed, and writes everything again
 *   when the job row is not the one its own last save left (another store
 *   saved the job, or it was deleted and saved anew);
 * - getJobState reads the batches once per `jobStateCacheMs`, shows this
 *   store's own writes at once and other stores' within `jobStateCacheMs`.
 */
import 'reflect-metadata';
import { SequelizeStateStore } from '../../src';
import type { Batch, JobState } from '../../src/ports';
import { DATABASES, freshStore, type TestDatabase } from '../helpers/databases';
import { distributedJob, pendingRecord } from '../reliability/helpers';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function singleJob(id: string, statuses: readonly Batch['status'][]): JobState {
  return {
    id, config: { batchSize: 10 }, status: 'PROCESSING', totalRecords: statuses.length * 10, startedAt: 1_764_000_000_000,
    batches: statuses.map((status, index) => ({
      id: `${id}-b${index}`, index, status, records: [], processedCount: status === 'COMPLETED' ? 10 : 0, failedCount: 0,
    })),
  };
}

/** Counts statements whose text matches `pattern`, through Sequelize's `beforeQuery` hook. */
function counting(store: SequelizeStateStore, pattern: RegExp): { n: number; stop(): void } {
  const name = `count-${Math.random()}`;
  const counter = { n: 0, stop: () => store.sequelize.removeHook('beforeQuery', name) };
  store.sequelize.addHook('beforeQuery', name, (_o, query) => {
    if (pattern.test(String((query as unknown as { sql?: string }).sql ?? ''))) counter.n += 1;
  });
  return counter;
}

describe.each(DATABASES.map((d) => [d.name, d] as [string, TestDatabase]))('job caches on %s', (_name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  let otherSequelize: ReturnType<TestDatabase['connect']>;
  let other: SequelizeStateStore;
  beforeAll(async () => {
    ctx = await freshStore(db);
    otherSequelize = db.connect({ storage: (ctx.sequelize as unknown as { options: { storage?: string } }).options.storage });
    other = new SequelizeStateStore(otherSequelize, { tablePrefix: ctx.prefix });
  });
  afterAll(async () => {
    await otherSequelize?.close();
    await ctx?.drop();
  });

  const versions = async (jobId: string): Promise<number[]> => (await ctx.store.listBatches(jobId)).map((b) => b.version);

  test('saving the same job again leaves unchanged batch rows alone; a changed or new batch is written', async () => {
    const { store } = ctx;
    await store.saveJobState(singleJob('c-same', ['COMPLETED', 'COMPLETED', 'PROCESSING']));
    const before = await versions('c-same');
    await store.saveJobState(singleJob('c-same', ['COMPLETED', 'COMPLETED', 'PROCESSING']));
    expect(await versions('c-same')).toEqual(before);
    await store.saveJobState(singleJob('c-same', ['COMPLETED', 'COMPLETED', 'COMPLETED', 'PROCESSING']));
    const after = await versions('c-same');
    expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
    expect(after[2]).toBe((before[2] as number) + 1);
    expect((await store.getJobState('c-same'))?.batches.map((b) => b.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'PROCESSING']);
  });

  test('batches reordered, dropped and added between saves: every save stores exactly the list it was given', async () => {
    const { store } = ctx;
    const [a, b, c] = singleJob('c-order', ['COMPLETED', 'COMPLETED', 'COMPLETED']).batches as [Batch, Batch, Batch];
    const save = (batches: Batch[]) => store.saveJobState({ ...singleJob('c-order', []), batches });
    const stored = async () => (await store.getJobState('c-order'))?.batches.map((x) => `${x.id}:${x.status}:${x.processedCount}`);
    await save([a, b, c]);
    await save([b, a]); // reordered and shorter: what is known is rebuilt, not extended
    await save([b, a, { ...c, status: 'PROCESSING', processedCount: 0 }]); // extends the last list: only c is new
    expect(await stored()).toEqual(['c-order-b0:COMPLETED:10', 'c-order-b1:COMPLETED:10', 'c-order-b2:PROCESSING:0']);
    await save([{ ...b, status: 'FAILED', processedCount: 3 }, a, { ...c, status: 'PROCESSING', processedCount: 0 }]); // a change at the front
    expect(await stored()).toEqual(['c-order-b0:COMPLETED:10', 'c-order-b1:FAILED:3', 'c-order-b2:PROCESSING:0']);
    const before = await versions('c-order');
    await save([a, { ...b, status: 'FAILED', processedCount: 3 }, { ...c, status: 'PROCESSING', processedCount: 0 }]); // same values, new order
    expect(await stored()).toEqual(['c-order-b0:COMPLETED:10', 'c-order-b1:FAILED:3', 'c-order-b2:PROCESSING:0']);
    expect((await versions('c-order'))[2]).toBe(before[2]); // c kept its place and values: not written again
  });

  test('a batch report through this store counts as written: the next save with those values leaves the row alone', async () => {
    const { store } = ctx;
    const job = singleJob('c-report', ['COMPLETED', 'PROCESSING']);
    await store.saveJobState(job);
    await store.updateBatchState('c-report', 'c-report-b1', { batchId: 'c-report-b1', status: 'COMPLETED', processedCount: 10, failedCount: 0 });
    const before = await versions('c-report');
    const reported = { ...(job.batches[1] as Batch), status: 'COMPLETED' as const, processedCount: 10 };
    await store.saveJobState({ ...job, batches: [job.batches[0] as Batch, reported] });
    expect(await versions('c-report')).toEqual(before);
    await store.saveJobState(job); // the engine's older view: it differs from what is stored, so it is written
    expect((await store.getJobState('c-report'))?.batches.map((b) => b.status)).toEqual(['COMPLETED', 'PROCESSING']);
  });

  test('the engine\'s single-process batch reports on a job this store saved: one statement each, for a new batch too', async () => {
    const { store } = ctx;
    const job = singleJob('c-plain', ['COMPLETED']);
    await store.saveJobState(job);
    const statements = counting(store, /./);
    try {
      await store.updateBatchState('c-plain', 'c-plain-new', { batchId: 'c-plain-new', status: 'PROCESSING', processedCount: 0, failedCount: 0 });
      await store.updateBatchState('c-plain', 'c-plain-new', { batchId: 'c-plain-new', status: 'COMPLETED', processedCount: 4, failedCount: 1 });
      await store.updateBatchState('c-plain', 'c-plain-b0', { batchId: 'c-plain-b0', status: 'FAILED', processedCount: 9, failedCount: 1 });
      expect(statements.n).toBe(3);
    } finally {
      statements.stop();
    }
    // (getJobState leaves out a batch whose index no saved record tells: read the rows.)
    const rows = (await store.listBatches('c-plain')).map((b) => [b.id, b.index, b.status, b.processedCount, b.failedCount]);
    expect(rows).toEqual([['c-plain-b0', 0, 'FAILED', 9, 1], ['c-plain-new', null, 'COMPLETED', 4, 1]]);
    await store.saveJobState({ ...job, batches: [...job.batches, { id: 'c-plain-new', index: 1, status: 'COMPLETED', records: [], processedCount: 4, failedCount: 1 }] });
    expect((await store.getJobState('c-plain'))?.batches.map((b) => [b.id, b.index])).toEqual([['c-plain-b0', 0], ['c-plain-new', 1]]);
  });

  test('a job this store saved as not distributed, made distributed by another store: an unknown batch is still refused', async () => {
    const { store } = ctx;
    await store.saveJobState(singleJob('c-became', ['COMPLETED']));
    await other.saveJobState(distributedJob('c-became', ['c-became-d0'], 2));
    await expect(store.updateBatchState('c-became', 'c-became-x', { batchId: 'c-became-x', status: 'PROCESSING', processedCount: 0, failedCount: 0 }))
      .rejects.toMatchObject({ name: 'NotFoundError' });
    expect((await store.getJobState('c-became'))?.batches.map((b) => b.id)).toEqual(['c-became-b0', 'c-became-d0']);
    // Deleted meanwhile: the report is kept as before (a batch row waiting for its job).
    await store.saveJobState(singleJob('c-deleted', []));
    expect(await other.deleteJob('c-deleted')).toBe(true);
    await store.updateBatchState('c-deleted', 'c-deleted-x', { batchId: 'c-deleted-x', status: 'PROCESSING', processedCount: 0, failedCount: 0 });
    expect(await store.models.Batch.count({ where: { jobId: 'c-deleted' } })).toBe(1);
  });

  test('another store saving the job in between: the next save writes every batch again', async () => {
    const { store } = ctx;
    const mine = singleJob('c-other', ['COMPLETED', 'COMPLETED', 'COMPLETED']);
    await store.saveJobState(mine);
    await other.saveJobState(singleJob('c-other', ['COMPLETED', 'PENDING', 'COMPLETED']));
    await store.saveJobState(mine); // the same as this store's last save: only a stale cache would skip it
    expect((await store.getJobState('c-other'))?.batches.map((b) => b.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
  });

  test('a job deleted and saved anew by another store: the next save writes every batch again', async () => {
    const { store } = ctx;
    const mine = singleJob('c-gone', ['COMPLETED', 'PROCESSING']);
    await store.saveJobState(mine);
    expect(await other.deleteJob('c-gone')).toBe(true);
    await other.saveJobState(singleJob('c-gone', []));
    await store.saveJobState(mine);
    expect((await store.getJobState('c-gone'))?.batches.map((b) => [b.id, b.status])).toEqual([['c-gone-b0', 'COMPLETED'], ['c-gone-b1', 'PROCESSING']]);
    expect(await other.deleteJob('c-gone')).toBe(true);
    await store.saveJobState(mine); // deleted and not saved anew: the save creates it whole
    expect((await store.getJobState('c-gone'))?.batches).toHaveLength(2);
  });

  test('a repeated save is still checked: a bad or duplicate batch is refused, naming it', async () => {
    const { store } = ctx;
    const job = singleJob('c-check', ['COMPLETED', 'PROCESSING']);
    await store.saveJobState(job);
    await expect(store.saveJobState({ ...job, batches: [...job.batches, { ...(job.batches[0] as Batch), index: 2 }] }))
      .rejects.toThrow(/names this batch id twice/);
    await expect(store.saveJobState({ ...job, batches: [job.batches[0] as Batch, { ...(job.batches[1] as Batch), processedCount: -1 }] }))
      .rejects.toThrow(/job\.batches\[1\]\.processedCount/);
    await store.saveJobState(job);
    expect((await store.getJobState('c-check'))?.batches).toHaveLength(2);
  });

  test('getJobState: batches read once while the job row is unchanged; own writes at once, others\' within jobStateCacheMs', async () => {
    const sequelize = db.connect({ storage: (ctx.sequelize as unknown as { options: { storage?: string } }).options.storage });
    const worker = new SequelizeStateStore(sequelize, { tablePrefix: ctx.prefix, jobStateCacheMs: 400 });
    try {
      const ids = ['c-read-b0', 'c-read-b1', 'c-read-b2'];
      for (const [i, b] of ids.entries()) await ctx.store.saveBatchRecords('c-read', b, [pendingRecord(i)]);
      await ctx.store.saveJobState(distributedJob('c-read', ids, 1));
      const reads = counting(worker, /FROM \S*bulkimport_batches\S* WHERE \S+ = (\$1|\?) ORDER BY/);
      try {
        expect((await worker.getJobState('c-read'))?.totalRecords).toBe(3);
        for (let i = 0; i < 5; i++) await worker.getJobState('c-read');
        expect(reads.n).toBe(1);
        // Own writes show at once.
        const claim = await worker.claimBatch('c-read', 'w');
        if (!claim.claimed) throw new Error('no claim');
        expect((await worker.getJobState('c-read'))?.batches[0]).toMatchObject({ status: 'PROCESSING', workerId: 'w', claimedAt: claim.reservation.claimedAt });
        await worker.updateBatchState('c-read', ids[0] as string, { batchId: ids[0] as string, status: 'COMPLETED', processedCount: 1, failedCount: 0 });
        expect((await worker.getJobState('c-read'))?.batches[0]).toMatchObject({ status: 'COMPLETED', processedCount: 1 });
        expect(reads.n).toBe(1);
        // Another store's batch write: within jobStateCacheMs.
        await other.claimBatch('c-read', 'someone-else');
        await sleep(450);
        expect((await worker.getJobState('c-read'))?.batches[1]).toMatchObject({ status: 'PROCESSING', workerId: 'someone-else' });
        expect(reads.n).toBe(2);
        // A change of the job row (here the job saved again) shows at once, batches read anew.
        await other.saveJobState({ ...distributedJob('c-read', ids, 1), totalRecords: 7 });
        const state = await worker.getJobState('c-read');
        expect(state?.totalRecords).toBe(7);
        expect(reads.n).toBe(3);
      } finally {
        reads.stop();
      }
      // jobStateCacheMs: 0 reads every time.
      const fresh = new SequelizeStateStore(sequelize, { tablePrefix: ctx.prefix, jobStateCacheMs: 0 });
      const every = counting(fresh, /FROM \S*bulkimport_batches\S* WHERE \S+ = (\$1|\?) ORDER BY/);
      for (let i = 0; i < 3; i++) await fresh.getJobState('c-read');
      every.stop();
      expect(every.n).toBe(3);
    } finally {
      await worker.close();
      await sequelize.close();
    }
  });

  test('the finalizer reads every batch\'s final counts (the engine sums them for its job summary)', async () => {
    const sequelize = db.connect({ storage: (ctx.sequelize as unknown as { options: { storage?: string } }).options.storage });
    const a = new SequelizeStateStore(sequelize, { tablePrefix: ctx.prefix, jobStateCacheMs: 60_000 });
    try {
      const ids = ['c-fin-b0', 'c-fin-b1'];
      for (const [i, b] of ids.entries()) await ctx.store.saveBatchRecords('c-fin', b, [pendingRecord(i)]);
      await ctx.store.saveJobState(distributedJob('c-fin', ids, 1));
      await a.getJobState('c-fin'); // a copy, kept for a minute
      const first = await other.claimBatch('c-fin', 'w-other');
      if (!first.claimed) throw new Error('no claim');
      await other.updateBatchState('c-fin', first.reservation.batchId, { batchId: first.reservation.batchId, status: 'COMPLETED', processedCount: 1, failedCount: 0 });
      const second = await a.claimBatch('c-fin', 'w-a');
      if (!second.claimed) throw new Error('no claim');
      await a.updateBatchState('c-fin', second.reservation.batchId, { batchId: second.reservation.batchId, status: 'COMPLETED', processedCount: 1, failedCount: 0 });
      expect(await a.tryFinalizeJob('c-fin')).toBe(true);
      const final = await a.getJobState('c-fin');
      expect(final?.status).toBe('COMPLETED');
      expect(final?.batches.map((b) => [b.status, b.processedCount])).toEqual([['COMPLETED', 1], ['COMPLETED', 1]]);
    } finally {
      await a.close();
      await sequelize.close();
    }
  });
});
