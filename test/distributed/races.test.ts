/**
 * Issue 3: the distributed races, one at a time, each with many separate
 * Sequelize instances (one connection each) hitting the database at the same
 * moment (on SQLite: 16 instances on one file in one process, whose store
 * statements take turns in the process; two processes on one file, where the
 * database's lock serialises them, are in sqlite.test.ts): claimers on the last batch, finalizers, a stale worker completing
 * after its batch was reclaimed, heartbeats, release by a non-holder,
 * repeated `saveJobState` / `saveBatchRecords`, concurrent reclaims, claim
 * reasons and the `version` column.
 */
import { randomUUID } from 'crypto';
import type { Sequelize } from 'sequelize';
import { LeaseLostError, SequelizeStateStore, type Batch, type ClaimBatchResult, type JobState } from '../../src';
import { DATABASES, freshStore, type TestDatabase } from '../helpers/databases';
import { pendingRecord } from '../engine/protocol';

const N = 16;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

jest.setTimeout(180_000);

/** `n` stores on the same tables, each on its own Sequelize instance with one connection, already connected. */
async function peers(
  db: TestDatabase, prefix: string, n: number, storage?: string,
): Promise<{ stores: SequelizeStateStore[]; close(): Promise<void> }> {
  const instances: Sequelize[] = [];
  const stores: SequelizeStateStore[] = [];
  for (let i = 0; i < n; i++) {
    const sequelize = db.connect({ poolMax: 1, storage });
    instances.push(sequelize);
    stores.push(new SequelizeStateStore(sequelize, { tablePrefix: prefix }));
  }
  await Promise.all(instances.map((s) => s.authenticate()));
  // SQLite: initialize() sets the connection's busy timeout (the tables exist already).
  if (storage) for (const s of stores) await s.initialize();
  return {
    stores,
    async close() {
      await Promise.all(instances.map((s) => s.close()));
    },
  };
}

function batches(count: number, size = 10, status: Batch['status'] = 'PENDING'): Batch[] {
  return Array.from({ length: count }, (_, index) => ({
    id: randomUUID(), index, status, records: [], processedCount: 0, failedCount: 0,
    recordStartIndex: index * size, recordEndIndex: index * size + size - 1,
  }));
}

function distributedJob(list: readonly Batch[], status: JobState['status'] = 'PROCESSING', id = `job-${randomUUID()}`): JobState {
  return {
    id, config: { batchSize: 10 }, status, distributed: true, batches: list,
    totalRecords: list.length * 10, startedAt: Date.now(),
  };
}

/** The stored batch row (model attributes), including the lease and `version`. */
async function batchRow(store: SequelizeStateStore, jobId: string, batchId: string): Promise<{
  status: string; workerId: string | null; claimedAt: number | null; renewedAt: number | null; version: number;
  processedCount: number; failedCount: number;
}> {
  const row = (await store.models.Batch.findOne({ where: { jobId, batchId }, raw: true })) as unknown as Record<string, unknown> | null;
  if (!row) throw new Error(`no batch row ${batchId}`);
  return {
    status: String(row.status),
    workerId: (row.workerId as string | null) ?? null,
    claimedAt: row.claimedAt === null || row.claimedAt === undefined ? null : Number(row.claimedAt),
    renewedAt: row.renewedAt === null || row.renewedAt === undefined ? null : Number(row.renewedAt),
    version: Number(row.version),
    processedCount: Number(row.processedCount),
    failedCount: Number(row.failedCount),
  };
}

function claimedIds(results: readonly ClaimBatchResult[]): string[] {
  return results.flatMap((r) => (r.claimed ? [r.reservation.batchId] : []));
}

// SQLite too: many instances on one file in one process, their store statements taking turns.
describe.each(DATABASES.map((db) => [db.name, db] as [string, TestDatabase]))('distributed races on %s', (_name, db) => {
  let fresh: Awaited<ReturnType<typeof freshStore>>;
  let pool: Awaited<ReturnType<typeof peers>>;
  let store: SequelizeStateStore;

  beforeAll(async () => {
    fresh = await freshStore(db, { poolMax: 4 });
    store = fresh.store;
    const storage = db.name === 'sqlite' ? (fresh.sequelize as unknown as { options: { storage?: string } }).options.storage : undefined;
    pool = await peers(db, fresh.prefix, N, storage);
  });

  afterAll(async () => {
    await pool?.close();
    await fresh?.drop();
  });

  test(`${N} claimers on the last pending batch: exactly one wins, the rest get NO_PENDING_BATCHES`, async () => {
    for (let round = 0; round < 3; round++) {
      const list = batches(6);
      const job = distributedJob(list);
      await store.saveJobState(job);
      for (let i = 0; i < 5; i++) {
        const r = await store.claimBatch(job.id, 'warmup');
        expect(r.claimed && r.reservation.batchIndex).toBe(i);
      }
      const results = await Promise.all(pool.stores.map((s, i) => s.claimBatch(job.id, `w${i}`)));
      const winners = results.filter((r) => r.claimed);
      expect(winners).toHaveLength(1);
      expect(winners[0]!.claimed && winners[0]!.reservation.batchId).toBe(list[5]!.id);
      expect(results.filter((r) => !r.claimed && r.reason === 'NO_PENDING_BATCHES')).toHaveLength(N - 1);
      const row = await batchRow(store, job.id, list[5]!.id);
      expect(row.status).toBe('PROCESSING');
      expect(row.workerId).toBe(winners[0]!.claimed ? winners[0]!.reservation.workerId : null);
    }
  });

  test(`${N} claimers on ${N} pending batches at once: each gets a different batch, none is told NO_PENDING_BATCHES`, async () => {
    for (let round = 0; round < 3; round++) {
      const list = batches(N);
      const job = distributedJob(list);
      await store.saveJobState(job);
      const results = await Promise.all(pool.stores.map((s, i) => s.claimBatch(job.id, `w${i}`)));
      expect(results.map((r) => (r.claimed ? 'claimed' : r.reason))).toEqual(Array(N).fill('claimed'));
      expect(new Set(claimedIds(results)).size).toBe(N);
      expect((await store.getDistributedStatus(job.id)).processingBatches).toBe(N);
    }
  });

  test(`${N} connections draining 300 batches: every batch handed out exactly once, in a valid lease`, async () => {
    const list = batches(300);
    const job = distributedJob(list);
    await store.saveJobState(job);
    const got = await Promise.all(pool.stores.map(async (s, i) => {
      const mine: ClaimBatchResult[] = [];
      for (;;) {
        const r = await s.claimBatch(job.id, `w${i}`);
        if (!r.claimed) {
          expect(r.reason).toBe('NO_PENDING_BATCHES');
          return mine;
        }
        mine.push(r);
      }
    }));
    const ids = got.flat().map((r) => (r.claimed ? r.reservation.batchId : ''));
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    // Each worker's claims come in increasing batch index (lowest PENDING first).
    for (const mine of got) {
      const idx = mine.map((r) => (r.claimed ? r.reservation.batchIndex : -1));
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
    }
    const status = await store.getDistributedStatus(job.id);
    expect(status).toMatchObject({ totalBatches: 300, processingBatches: 300, pendingBatches: 0 });
  });

  test(`${N} workers complete their batches and call tryFinalizeJob at the same moment: exactly one true`, async () => {
    for (const failOne of [false, true, false]) {
      const list = batches(N);
      const job = distributedJob(list);
      await store.saveJobState(job);
      const claims = await Promise.all(pool.stores.map((s, i) => s.claimBatch(job.id, `w${i}`)));
      const finals = await Promise.all(pool.stores.map(async (s, i) => {
        const r = claims[i]!;
        if (!r.claimed) throw new Error('claim failed');
        const status = failOne && i === 7 ? 'FAILED' : 'COMPLETED';
        await s.updateBatchState(job.id, r.reservation.batchId, { batchId: r.reservation.batchId, status, processedCount: 9, failedCount: 1 });
        return s.tryFinalizeJob(job.id);
      }));
      expect(finals.filter(Boolean)).toHaveLength(1);
      const state = await store.getJobState(job.id);
      expect(state!.status).toBe(failOne ? 'FAILED' : 'COMPLETED');
      expect(typeof state!.completedAt).toBe('number');
      expect(state!.batches.reduce((a, b) => a + b.processedCount, 0)).toBe(9 * N);
      expect(state!.batches.reduce((a, b) => a + b.failedCount, 0)).toBe(N);
      // Once finalized, nobody else gets true and nothing is claimable.
      expect(await Promise.all(pool.stores.map((s) => s.tryFinalizeJob(job.id)))).toEqual(Array(N).fill(false));
      expect(await pool.stores[0]!.claimBatch(job.id, 'late')).toEqual({ claimed: false, reason: 'JOB_NOT_PROCESSING' });
    }
  });

  test(`${N} concurrent tryFinalizeJob on a finished job: exactly one true; none while a batch is not terminal`, async () => {
    const list = batches(4);
    const job = distributedJob(list);
    await store.saveJobState(job);
    const held: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await store.claimBatch(job.id, 'w');
      if (r.claimed) held.push(r.reservation.batchId);
    }
    for (const id of held.slice(0, 3)) {
      await store.updateBatchState(job.id, id, { batchId: id, status: 'COMPLETED', processedCount: 10, failedCount: 0 });
    }
    expect(await Promise.all(pool.stores.map((s) => s.tryFinalizeJob(job.id)))).toEqual(Array(N).fill(false));
    expect((await store.getJobState(job.id))!.status).toBe('PROCESSING');
    await store.updateBatchState(job.id, held[3]!, { batchId: held[3]!, status: 'COMPLETED', processedCount: 10, failedCount: 0 });
    const results = await Promise.all(pool.stores.map((s) => s.tryFinalizeJob(job.id)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const state = await store.getJobState(job.id);
    expect(state!.status).toBe('COMPLETED');
    expect(state!.completedAt).toBeGreaterThanOrEqual(job.startedAt!);
  });

  test('a stale worker completing (fenced) after its batch was reclaimed and claimed again gets LeaseLostError; the new holder is untouched', async () => {
    const [a, reclaimer, b] = pool.stores as [SequelizeStateStore, SequelizeStateStore, SequelizeStateStore];
    const list = batches(1);
    const job = distributedJob(list);
    await store.saveJobState(job);
    const first = await a.claimBatch(job.id, 'worker-A');
    expect(first.claimed).toBe(true);
    await sleep(50);
    expect(await reclaimer.reclaimStaleBatches(job.id, 10)).toBe(1);
    const second = await b.claimBatch(job.id, 'worker-B');
    expect(second.claimed && second.reservation.batchId).toBe(list[0]!.id);
    const before = await batchRow(store, job.id, list[0]!.id);
    expect(before).toMatchObject({ status: 'PROCESSING', workerId: 'worker-B' });

    const state = { batchId: list[0]!.id, status: 'COMPLETED' as const, processedCount: 10, failedCount: 0 };
    await expect(a.updateBatchState(job.id, list[0]!.id, state, { workerId: 'worker-A' })).rejects.toBeInstanceOf(LeaseLostError);
    await expect(a.updateBatchState(job.id, list[0]!.id, state, { workerId: 'worker-A' })).rejects.toThrow(/worker-B/);
    await expect(a.heartbeatBatch(job.id, list[0]!.id, 'worker-A')).rejects.toBeInstanceOf(LeaseLostError);
    await a.releaseBatch(job.id, list[0]!.id, 'worker-A');
    expect(await batchRow(store, job.id, list[0]!.id)).toEqual(before);
    expect(await a.tryFinalizeJob(job.id)).toBe(false);

    await b.updateBatchState(job.id, list[0]!.id, { ...state, processedCount: 7, failedCount: 3 }, { workerId: 'worker-B' });
    expect(await batchRow(store, job.id, list[0]!.id)).toMatchObject({ status: 'COMPLETED', processedCount: 7, failedCount: 3 });
    // A completed batch cannot be completed again by its former holder either.
    await expect(b.updateBatchState(job.id, list[0]!.id, state, { workerId: 'worker-B' })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await b.tryFinalizeJob(job.id)).toBe(true);
  });

  test('stale completion racing reclaim + re-claim: the old holder wins or the new one does, never both', async () => {
    const outcomes = { oldWon: 0, newWon: 0 };
    for (let round = 0; round < 12; round++) {
      const [a, reclaimer, b] = [pool.stores[round % N]!, pool.stores[(round + 5) % N]!, pool.stores[(round + 11) % N]!];
      const list = batches(1);
      const job = distributedJob(list);
      await store.saveJobState(job);
      await a.claimBatch(job.id, 'worker-A');
      await sleep(25);
      const id = list[0]!.id;
      const [completion, takeover] = await Promise.all([
        a.updateBatchState(job.id, id, { batchId: id, status: 'COMPLETED', processedCount: 10, failedCount: 0 }, { workerId: 'worker-A' })
          .then(() => 'ok' as const, (e: unknown) => e),
        reclaimer.reclaimStaleBatches(job.id, 5).then(async (n) => ({ n, claim: await b.claimBatch(job.id, 'worker-B') })),
      ]);
      const row = await batchRow(store, job.id, id);
      if (completion === 'ok') {
        outcomes.oldWon++;
        expect(takeover.n).toBe(0);
        expect(takeover.claim).toEqual({ claimed: false, reason: 'NO_PENDING_BATCHES' });
        expect(row).toMatchObject({ status: 'COMPLETED', processedCount: 10 });
      } else {
        outcomes.newWon++;
        expect(completion).toBeInstanceOf(LeaseLostError);
        expect(takeover.n).toBe(1);
        expect(takeover.claim.claimed).toBe(true);
        expect(row).toMatchObject({ status: 'PROCESSING', workerId: 'worker-B', processedCount: 0 });
      }
    }
    expect(outcomes.oldWon + outcomes.newWon).toBe(12);
  });

  test('heartbeatBatch keeps a batch from being reclaimed; without it the batch goes stale', async () => {
    const [a, reclaimer] = pool.stores as [SequelizeStateStore, SequelizeStateStore];
    const list = batches(1);
    const job = distributedJob(list);
    await store.saveJobState(job);
    await a.claimBatch(job.id, 'worker-A');
    const id = list[0]!.id;
    const claimedAt = (await batchRow(store, job.id, id)).claimedAt!;
    let last = claimedAt;
    for (let i = 0; i < 8; i++) {
      await sleep(250);
      await a.heartbeatBatch(job.id, id, 'worker-A');
      const row = await batchRow(store, job.id, id);
      expect(row.renewedAt!).toBeGreaterThan(last); // the lease was renewed
      expect(row.claimedAt).toBe(claimedAt); // and the claim keeps its time
      last = row.renewedAt!;
      // Each renewal is younger than the timeout: nothing to reclaim, though 2 s have passed since the claim.
      expect(await reclaimer.reclaimStaleBatches(job.id, 1500)).toBe(0);
    }
    expect(await batchRow(store, job.id, id)).toMatchObject({ status: 'PROCESSING', workerId: 'worker-A' });
    await sleep(1700);
    expect(await reclaimer.reclaimStaleBatches(job.id, 1500)).toBe(1);
    await expect(a.heartbeatBatch(job.id, id, 'worker-A')).rejects.toBeInstanceOf(LeaseLostError);
    expect(await batchRow(store, job.id, id)).toMatchObject({ status: 'PENDING', workerId: null, claimedAt: null, renewedAt: null });
  });

  test('releaseBatch by a non-holder changes nothing; by the holder it puts the batch back', async () => {
    const list = batches(2);
    const job = distributedJob(list);
    await store.saveJobState(job);
    const r = await store.claimBatch(job.id, 'holder');
    const id = r.claimed ? r.reservation.batchId : '';
    const before = await batchRow(store, job.id, id);
    await Promise.all(pool.stores.map((s, i) => s.releaseBatch(job.id, id, `intruder-${i}`)));
    await store.releaseBatch(job.id, list[1]!.id, 'holder'); // a PENDING batch it does not hold
    expect(await batchRow(store, job.id, id)).toEqual(before);
    expect((await batchRow(store, job.id, list[1]!.id)).version).toBe(0);
    await store.releaseBatch(job.id, id, 'holder');
    const after = await batchRow(store, job.id, id);
    expect(after).toMatchObject({ status: 'PENDING', workerId: null, claimedAt: null, version: before.version + 1 });
    await store.releaseBatch(job.id, id, 'holder'); // again: no longer held, nothing happens
    expect(await batchRow(store, job.id, id)).toEqual(after);
    const again = await store.claimBatch(job.id, 'other');
    expect(again.claimed && again.reservation.batchId).toBe(id);
  });

  test('saveJobState of the same distributed job again (also concurrently) neither resets claimed/done batches nor duplicates them', async () => {
    const list = batches(5);
    const job = distributedJob(list);
    await store.saveJobState(job);
    const c0 = await store.claimBatch(job.id, 'w0');
    const c1 = await store.claimBatch(job.id, 'w1');
    const done = c0.claimed ? c0.reservation.batchId : '';
    const held = c1.claimed ? c1.reservation.batchId : '';
    await store.updateBatchState(job.id, done, { batchId: done, status: 'COMPLETED', processedCount: 8, failedCount: 2 }, { workerId: 'w0' });
    const heldBefore = await batchRow(store, job.id, held);
    const doneBefore = await batchRow(store, job.id, done);

    await Promise.all(pool.stores.slice(0, 8).map((s) => s.saveJobState(job)));
    await store.saveJobState({ ...job, batches: [...list, ...batches(1).map((b) => ({ ...b, index: 5 }))] }); // one batch more

    expect(await batchRow(store, job.id, held)).toEqual(heldBefore);
    expect(await batchRow(store, job.id, done)).toEqual(doneBefore);
    const state = await store.getJobState(job.id);
    expect(state!.batches.map((b) => b.status)).toEqual(['COMPLETED', 'PROCESSING', 'PENDING', 'PENDING', 'PENDING', 'PENDING']);
    expect(await store.models.Batch.count({ where: { jobId: job.id } })).toBe(6);
    const next = await store.claimBatch(job.id, 'w2');
    expect(next.claimed && next.reservation.batchIndex).toBe(2);
  });

  test('claimers racing repeated saveJobState of the same job all get a batch, and no batch is reset', async () => {
    for (let round = 0; round < 2; round++) {
      const list = batches(200);
      const job = distributedJob(list);
      await store.saveJobState(job);
      const [saves, claims] = await Promise.all([
        Promise.all(pool.stores.slice(0, 3).map((s) => s.saveJobState(job))),
        Promise.all(pool.stores.slice(3).map((s, i) => s.claimBatch(job.id, `w${i}`))),
      ]);
      expect(saves).toHaveLength(3);
      expect(claims.map((r) => (r.claimed ? 'claimed' : r.reason))).toEqual(Array(N - 3).fill('claimed'));
      expect(new Set(claimedIds(claims)).size).toBe(N - 3);
      const status = await store.getDistributedStatus(job.id);
      expect(status).toMatchObject({ totalBatches: 200, processingBatches: N - 3, pendingBatches: 200 - (N - 3) });
    }
  });

  test('engine path (no worker id), on the store that claimed the batch: a stalled worker reporting after its batch was redone is refused (LeaseLostError), the new holder\'s state stands', async () => {
    const [a, reclaimer, b] = pool.stores as [SequelizeStateStore, SequelizeStateStore, SequelizeStateStore];
    const list = batches(2);
    const job = distributedJob(list);
    await store.saveJobState(job);
    const ra = await a.claimBatch(job.id, 'worker-A');
    const id = ra.claimed ? ra.reservation.batchId : '';
    await sleep(50);
    expect(await reclaimer.reclaimStaleBatches(job.id, 10)).toBe(1);
    const rb = await b.claimBatch(job.id, 'worker-B');
    expect(rb.claimed && rb.reservation.batchId).toBe(id);
    const other = await b.claimBatch(job.id, 'worker-B');
    const otherId = other.claimed ? other.reservation.batchId : '';
    await b.updateBatchState(job.id, otherId, { batchId: otherId, status: 'COMPLETED', processedCount: 10, failedCount: 0 });
    const otherRow = await batchRow(store, job.id, otherId);
    // The stalled worker reports the batch the way the engine does, without a worker id: its store knows it claimed it.
    const late = await a.updateBatchState(job.id, id, { batchId: id, status: 'COMPLETED', processedCount: 9, failedCount: 1 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(LeaseLostError);
    expect((late as LeaseLostError).context).toMatchObject({ jobId: job.id, batchId: id, workerId: 'worker-A' });
    expect(await batchRow(store, job.id, id)).toMatchObject({ status: 'PROCESSING', workerId: 'worker-B' });
    expect(await a.tryFinalizeJob(job.id)).toBe(false);
    await b.updateBatchState(job.id, id, { batchId: id, status: 'COMPLETED', processedCount: 10, failedCount: 0 });
    expect(await batchRow(store, job.id, id)).toMatchObject({ status: 'COMPLETED', processedCount: 10, failedCount: 0 });
    expect(await batchRow(store, job.id, otherId)).toEqual(otherRow);
    const finals = await Promise.all([a.tryFinalizeJob(job.id), b.tryFinalizeJob(job.id)]);
    expect(finals.filter(Boolean)).toHaveLength(1);
  });

  test('engine path (no worker id), on a store that never claimed the batch: the report lands as before (last writer wins for that batch only)', async () => {
    const [a, reclaimer, b] = pool.stores as [SequelizeStateStore, SequelizeStateStore, SequelizeStateStore];
    const list = batches(2);
    const job = distributedJob(list);
    await store.saveJobState(job);
    const ra = await a.claimBatch(job.id, 'worker-A');
    const id = ra.claimed ? ra.reservation.batchId : '';
    await sleep(50);
    expect(await reclaimer.reclaimStaleBatches(job.id, 10)).toBe(1);
    const rb = await b.claimBatch(job.id, 'worker-B');
    expect(rb.claimed && rb.reservation.batchId).toBe(id);
    const other = await b.claimBatch(job.id, 'worker-B');
    const otherId = other.claimed ? other.reservation.batchId : '';
    await b.updateBatchState(job.id, otherId, { batchId: otherId, status: 'COMPLETED', processedCount: 10, failedCount: 0 });
    const otherRow = await batchRow(store, job.id, otherId);
    // Reported through `reclaimer`, which claimed nothing: not fenced.
    await reclaimer.updateBatchState(job.id, id, { batchId: id, status: 'COMPLETED', processedCount: 9, failedCount: 1 });
    expect(await batchRow(store, job.id, id)).toMatchObject({ status: 'COMPLETED', processedCount: 9, failedCount: 1 });
    const finals = await Promise.all([a.tryFinalizeJob(job.id), b.tryFinalizeJob(job.id)]);
    expect(finals.filter(Boolean)).toHaveLength(1);
    expect(await batchRow(store, job.id, otherId)).toEqual(otherRow);
  });

  test('saveBatchRecords repeated (also concurrently) is idempotent', async () => {
    const jobId = `job-${randomUUID()}`;
    const batchId = randomUUID();
    const records = Array.from({ length: 120 }, (_, i) => pendingRecord(1000 + i));
    await store.saveBatchRecords(jobId, batchId, records);
    await store.saveBatchRecords(jobId, batchId, records);
    await Promise.all(pool.stores.slice(0, 6).map((s) => s.saveBatchRecords(jobId, batchId, records)));
    const back = await store.getBatchRecords(jobId, batchId);
    expect(back.map((r) => r.index)).toEqual(records.map((r) => r.index));
    expect(back).toEqual(records);
    expect(await store.models.Record.count({ where: { jobId } })).toBe(120);
  });

  test('claimBatch reasons: JOB_NOT_FOUND, JOB_NOT_PROCESSING, NO_PENDING_BATCHES', async () => {
    expect(await store.claimBatch(`job-${randomUUID()}`, 'w')).toEqual({ claimed: false, reason: 'JOB_NOT_FOUND' });
    for (const status of ['CREATED', 'PAUSED', 'COMPLETED', 'ABORTED', 'FAILED'] as const) {
      const job = distributedJob(batches(2), status);
      await store.saveJobState(job);
      expect(await store.claimBatch(job.id, 'w')).toEqual({ claimed: false, reason: 'JOB_NOT_PROCESSING' });
      expect((await store.getDistributedStatus(job.id)).pendingBatches).toBe(2);
    }
    const job = distributedJob(batches(1));
    await store.saveJobState(job);
    expect((await store.claimBatch(job.id, 'w')).claimed).toBe(true);
    expect(await store.claimBatch(job.id, 'w2')).toEqual({ claimed: false, reason: 'NO_PENDING_BATCHES' });
    // A paused job hands out nothing, even with PENDING batches; resumed, it does.
    const paused = distributedJob(batches(2), 'PROCESSING');
    await store.saveJobState(paused);
    await store.saveJobState({ ...paused, status: 'PAUSED' });
    expect(await store.claimBatch(paused.id, 'w')).toEqual({ claimed: false, reason: 'JOB_NOT_PROCESSING' });
    await store.saveJobState(paused);
    expect((await store.claimBatch(paused.id, 'w')).claimed).toBe(true);
  });

  test(`${N} concurrent reclaimStaleBatches: counts sum to the true number of stale batches`, async () => {
    for (let round = 0; round < 2; round++) {
      const list = batches(40);
      const job = distributedJob(list);
      await store.saveJobState(job);
      await Promise.all(pool.stores.map(async (s, i) => {
        for (let k = 0; k < 2; k++) await s.claimBatch(job.id, `w${i}`);
      }));
      expect((await store.getDistributedStatus(job.id)).processingBatches).toBe(2 * N);
      await sleep(50);
      const counts = await Promise.all(pool.stores.map((s) => s.reclaimStaleBatches(job.id, 10)));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(2 * N);
      expect((await store.getDistributedStatus(job.id))).toMatchObject({ processingBatches: 0, pendingBatches: 40 });
      expect((await Promise.all(pool.stores.map((s) => s.reclaimStaleBatches(job.id, 10)))).every((n) => n === 0)).toBe(true);
    }
  });

  test('the version column moves on every state change of a batch and of the job', async () => {
    const list = batches(1);
    const job = distributedJob(list);
    await store.saveJobState(job);
    const id = list[0]!.id;
    const versions: number[] = [(await batchRow(store, job.id, id)).version];
    const step = async (fn: () => Promise<unknown>): Promise<void> => {
      await fn();
      versions.push((await batchRow(store, job.id, id)).version);
    };
    await step(() => store.claimBatch(job.id, 'w1'));
    await step(() => store.heartbeatBatch(job.id, id, 'w1'));
    await step(() => store.updateBatchState(job.id, id, { batchId: id, status: 'PROCESSING', processedCount: 3, failedCount: 0 }, { workerId: 'w1' }));
    await step(() => store.releaseBatch(job.id, id, 'w1'));
    await step(() => store.claimBatch(job.id, 'w2'));
    await step(async () => {
      await sleep(30);
      expect(await store.reclaimStaleBatches(job.id, 5)).toBe(1);
    });
    await step(() => store.claimBatch(job.id, 'w3'));
    await step(() => store.updateBatchState(job.id, id, { batchId: id, status: 'COMPLETED', processedCount: 10, failedCount: 0 }));
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]!);
    // Refused changes do not move it.
    await step(() => store.releaseBatch(job.id, id, 'w3'));
    await step(() => expect(store.heartbeatBatch(job.id, id, 'w3')).rejects.toBeInstanceOf(LeaseLostError));
    expect(versions.slice(-3)).toEqual([versions.at(-3), versions.at(-3), versions.at(-3)]);

    const jobVersion = async (): Promise<number> =>
      Number(((await store.models.Job.findOne({ where: { id: job.id }, raw: true })) as unknown as { version: unknown }).version);
    const v0 = await jobVersion();
    expect(await store.tryFinalizeJob(job.id)).toBe(true);
    expect(await jobVersion()).toBeGreaterThan(v0);
  });
});
