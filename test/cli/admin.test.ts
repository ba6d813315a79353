/**
 * The store's operator methods (listJobs, purgeJobs, databaseTime) on every
 * database in DATABASES.
 */
import { randomUUID } from 'crypto';
import { InvalidInputError, type JobState, type ProcessedRecord } from '../../src';
import { DATABASES, freshStore } from '../helpers/databases';

type Fresh = Awaited<ReturnType<typeof freshStore>>;

const DAY = 86_400_000;

function pending(index: number): ProcessedRecord {
  return { index, raw: { n: index }, parsed: { n: index }, status: 'pending', errors: [] };
}

/** Prepares a distributed job the way the engine's orchestrator does. */
async function prepareDistributed(store: Fresh['store'], records: number, batchSize: number, extra: Partial<JobState> = {}): Promise<JobState> {
  const id = randomUUID();
  const batches = [];
  for (let start = 0, i = 0; start < records; start += batchSize, i++) {
    const batchId = randomUUID();
    const recs = [];
    for (let r = start; r < Math.min(records, start + batchSize); r++) recs.push(pending(r));
    await store.saveBatchRecords(id, batchId, recs);
    batches.push({
      id: batchId, index: i, status: 'PENDING' as const, records: [], processedCount: 0, failedCount: 0,
      recordStartIndex: start, recordEndIndex: Math.min(records, start + batchSize) - 1,
    });
  }
  const job: JobState = {
    id, config: { batchSize }, status: 'PROCESSING', batches, totalRecords: records, startedAt: Date.now(), distributed: true, ...extra,
  };
  await store.saveJobState(job);
  return job;
}

async function finishedJob(store: Fresh['store'], status: 'COMPLETED' | 'FAILED' | 'ABORTED', completedAt: number | undefined, records = 3): Promise<string> {
  const id = randomUUID();
  const batchId = randomUUID();
  await store.saveJobState({
    id, config: { batchSize: 10 }, status, totalRecords: records, startedAt: (completedAt ?? Date.now()) - 1000,
    ...(completedAt !== undefined ? { completedAt } : {}),
    batches: [{ id: batchId, index: 0, status: 'COMPLETED', records: [], processedCount: records, failedCount: 0 }],
  });
  for (let i = 0; i < records; i++) {
    await store.saveProcessedRecord(id, batchId, { ...pending(i), status: 'processed' });
  }
  return id;
}

describe.each(DATABASES.map((d) => [d.name, d] as const))('store administration on %s', (_name, db) => {
  let fresh: Fresh;
  beforeAll(async () => {
    fresh = await freshStore(db);
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it('databaseTime reads the database clock in epoch ms', async () => {
    const now = await fresh.store.databaseTime();
    expect(Number.isInteger(now)).toBe(true);
    expect(Math.abs(now - Date.now())).toBeLessThan(60_000);
  });

  it('listJobs summarises jobs with batch counts, filters by status and pages', async () => {
    const { store } = fresh;
    const dist = await prepareDistributed(store, 25, 10);
    const claim = await store.claimBatch(dist.id, 'w1');
    if (!claim.claimed) throw new Error('no claim');
    await store.updateBatchState(dist.id, claim.reservation.batchId, {
      batchId: claim.reservation.batchId, status: 'COMPLETED', processedCount: 8, failedCount: 2,
    });
    await store.claimBatch(dist.id, 'w2');
    const done = await finishedJob(store, 'COMPLETED', Date.now());

    const all = await store.listJobs();
    const d = all.find((j) => j.id === dist.id);
    expect(d).toMatchObject({
      status: 'PROCESSING', distributed: true, totalRecords: 25,
      batches: { total: 3, pending: 1, processing: 1, paused: 0, completed: 1, failed: 0 },
      processedRecords: 8, failedRecords: 2,
    });
    expect(d?.startedAt).toBe(dist.startedAt);
    expect(d?.completedAt).toBeUndefined();
    expect(typeof d?.createdAt).toBe('number');
    expect(typeof d?.updatedAt).toBe('number');
    const c = all.find((j) => j.id === done);
    expect(c).toMatchObject({ status: 'COMPLETED', distributed: false, totalRecords: 3, processedRecords: 3, batches: { total: 1, completed: 1 } });
    expect(typeof c?.completedAt).toBe('number');

    const processing = await store.listJobs({ status: 'PROCESSING' });
    expect(processing.map((j) => j.id)).toContain(dist.id);
    expect(processing.every((j) => j.status === 'PROCESSING')).toBe(true);
    const both = await store.listJobs({ status: ['PROCESSING', 'COMPLETED'] });
    expect(both.map((j) => j.id).sort()).toEqual(expect.arrayContaining([dist.id, done]));

    // A job with no batch rows is listed with zero counts.
    const empty = randomUUID();
    await store.saveJobState({ id: empty, config: { batchSize: 5 }, status: 'CREATED', batches: [], totalRecords: 0 });
    const e = (await store.listJobs({ status: 'CREATED' })).find((j) => j.id === empty);
    expect(e).toMatchObject({ batches: { total: 0, pending: 0, completed: 0 }, processedRecords: 0, failedRecords: 0 });

    const pageAll = await store.listJobs({ limit: 1000 });
    const page1 = await store.listJobs({ limit: 2 });
    const page2 = await store.listJobs({ limit: 2, offset: 2 });
    expect(page1).toHaveLength(2);
    expect([...page1, ...page2].map((j) => j.id)).toEqual(pageAll.slice(0, 4).map((j) => j.id));
    for (let i = 1; i < pageAll.length; i++) {
      expect(pageAll[i - 1]!.createdAt).toBeGreaterThanOrEqual(pageAll[i]!.createdAt);
    }
  });

  it('listJobs rejects bad options', async () => {
    await expect(fresh.store.listJobs({ status: 'DONE' as never })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(fresh.store.listJobs({ limit: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(fresh.store.listJobs({ offset: -1 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('purgeJobs deletes old finished jobs in bounded chunks and leaves the rest', async () => {
    const { store, sequelize } = fresh;
    const old = Date.now() - 10 * DAY;
    const oldCompleted = await finishedJob(store, 'COMPLETED', old, 3);
    const oldFailed = await prepareDistributed(store, 2500, 100, { status: 'FAILED', completedAt: old });
    const recent = await finishedJob(store, 'COMPLETED', Date.now(), 2);
    const running = await prepareDistributed(store, 30, 10, { startedAt: old });
    const abortedNoDate = await finishedJob(store, 'ABORTED', undefined, 1);

    const statements: string[] = [];
    // Sequelize reads `options.logging` at each query: capture the statements.
    const options = (sequelize as unknown as { options: { logging: unknown } }).options;
    const previous = options.logging;
    options.logging = (sql: string) => { statements.push(sql); };
    let purged: number;
    try {
      purged = await store.purgeJobs({ olderThanMs: 7 * DAY, chunkSize: 1000 });
    } finally {
      options.logging = previous;
    }
    expect(purged).toBe(2);
    // 2,500 records of the failed job need at least three bounded deletes.
    const recordDeletes = statements.filter((s) => /DELETE FROM \S*bulkimport_records/.test(s));
    expect(recordDeletes.length).toBeGreaterThanOrEqual(3);

    expect(await store.getJobState(oldCompleted)).toBeNull();
    expect(await store.getJobState(oldFailed.id)).toBeNull();
    expect(await store.getProcessedRecords(oldCompleted)).toEqual([]);
    expect(await store.getPendingRecords(oldFailed.id)).toEqual([]);
    expect((await store.getDistributedStatus(oldFailed.id)).totalBatches).toBe(0);

    expect(await store.getJobState(recent)).not.toBeNull();
    expect(await store.getProcessedRecords(recent)).toHaveLength(2);
    expect((await store.getJobState(running.id))?.batches).toHaveLength(3);
    expect(await store.getPendingRecords(running.id)).toHaveLength(30);
    expect(await store.getJobState(abortedNoDate)).not.toBeNull();

    // Nothing left to purge at that age: idempotent.
    expect(await store.purgeJobs({ olderThanMs: 7 * DAY })).toBe(0);

    // Without completedAt the last update counts; a non-terminal status is never purged by default.
    await new Promise((r) => setTimeout(r, 50));
    const terminal = await store.listJobs({ status: ['COMPLETED', 'FAILED', 'ABORTED'], limit: 1000 });
    expect(terminal.map((j) => j.id)).toEqual(expect.arrayContaining([abortedNoDate, recent]));
    expect(await store.purgeJobs({ olderThanMs: 10, chunkSize: 1 })).toBe(terminal.length);
    expect(await store.listJobs({ status: ['COMPLETED', 'FAILED', 'ABORTED'] })).toEqual([]);
    expect(await store.getJobState(abortedNoDate)).toBeNull();
    expect(await store.getJobState(running.id)).not.toBeNull();
    // Unless asked for.
    const processing = await store.listJobs({ status: 'PROCESSING', limit: 1000 });
    expect(processing.map((j) => j.id)).toContain(running.id);
    expect(await store.purgeJobs({ olderThanMs: 10, statuses: ['PROCESSING'], chunkSize: 7 })).toBe(processing.length);
    expect(await store.getJobState(running.id)).toBeNull();
    expect(await store.getPendingRecords(running.id)).toEqual([]);
  });

  it('purgeJobs rejects bad options', async () => {
    await expect(fresh.store.purgeJobs({ olderThanMs: -1 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(fresh.store.purgeJobs({ olderThanMs: 1, chunkSize: 0 })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(fresh.store.purgeJobs({ olderThanMs: 1, statuses: [] })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(fresh.store.purgeJobs({ olderThanMs: 1, statuses: ['GONE' as never] })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
