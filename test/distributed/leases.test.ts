/**
 * Leases the store keeps alive, without the engine's help (it never calls
 * heartbeatBatch), and fencing on the engine's path:
 * - a batch held 3× longer than the stale timeout is not reclaimed while its
 *   store lives, and its report lands;
 * - a store renews within a third of the timeout it was given, `close()`
 *   stops renewing (the batch is reclaimed after the timeout), and a late
 *   report through the closed store is still fenced;
 * - a worker process that stalls stops renewing: its batch is reclaimed and
 *   redone, and its report, without a worker id, is refused;
 * - the renewal timer never keeps a process alive.
 */
import 'reflect-metadata';
import { LeaseLostError, SequelizeStateStore } from '../../src';
import { DATABASES, freshStore, type TestDatabase } from '../helpers/databases';
import { slowTest } from '../helpers/slow';
import { distributedJob, pendingRecord } from '../reliability/helpers';
import { forkScript } from './harness';

jest.setTimeout(60_000);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(DATABASES.map((d) => [d.name, d] as [string, TestDatabase]))('leases kept alive by the store on %s', (name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  let other: ReturnType<TestDatabase['connect']>;
  let reclaimer: SequelizeStateStore;
  const storage = (): string | undefined => (ctx.sequelize as unknown as { options: { storage?: string } }).options.storage;

  beforeAll(async () => {
    ctx = await freshStore(db);
    other = db.connect({ storage: storage() });
    reclaimer = new SequelizeStateStore(other, { tablePrefix: ctx.prefix });
    await reclaimer.initialize();
  });
  afterAll(async () => {
    await other?.close();
    await ctx?.drop();
  });

  async function job(id: string, batches = 2): Promise<string[]> {
    const ids = Array.from({ length: batches }, (_, i) => `${id}-b${i}`);
    for (const [i, b] of ids.entries()) await ctx.store.saveBatchRecords(id, b, [pendingRecord(i)]);
    await ctx.store.saveJobState(distributedJob(id, ids, 1));
    return ids;
  }

  test('a batch held three times the stale timeout, with no heartbeat, is never reclaimed and its report lands', async () => {
    const worker = new SequelizeStateStore(db.connect({ storage: storage() }), { tablePrefix: ctx.prefix });
    try {
      await job('lease-long');
      const stale = 600;
      expect(await worker.reclaimStaleBatches('lease-long', stale)).toBe(0); // the engine's worker, before each claim
      const claim = await worker.claimBatch('lease-long', 'w-long');
      if (!claim.claimed) throw new Error('no claim');
      for (let t = 0; t < 9; t++) {
        await sleep(stale / 3);
        expect(await reclaimer.reclaimStaleBatches('lease-long', stale)).toBe(0);
      }
      const [held] = await reclaimer.listBatches('lease-long');
      expect(held).toMatchObject({ status: 'PROCESSING', workerId: 'w-long', claimedAt: claim.reservation.claimedAt });
      expect(held?.renewedAt).toBeGreaterThan(claim.reservation.claimedAt + stale);
      const id = claim.reservation.batchId;
      await worker.updateBatchState('lease-long', id, { batchId: id, status: 'COMPLETED', processedCount: 1, failedCount: 0 });
      const renewed = (await reclaimer.listBatches('lease-long'))[0]?.renewedAt;
      await sleep(stale / 2);
      // Reported: no longer renewed.
      expect((await reclaimer.listBatches('lease-long'))[0]).toMatchObject({ status: 'COMPLETED', renewedAt: renewed });
    } finally {
      await worker.close();
      await worker.sequelize.close();
    }
  });

  test('close() stops renewing: the batch is reclaimed after the timeout, and a late report through that store is still refused', async () => {
    const worker = new SequelizeStateStore(db.connect({ storage: storage() }), { tablePrefix: ctx.prefix, leaseRenewalMs: 100 });
    try {
      await job('lease-close');
      const claim = await worker.claimBatch('lease-close', 'w-close');
      if (!claim.claimed) throw new Error('no claim');
      await sleep(450);
      expect(await reclaimer.reclaimStaleBatches('lease-close', 400)).toBe(0); // leaseRenewalMs: renewed every 100 ms
      await worker.close();
      await sleep(500);
      expect(await reclaimer.reclaimStaleBatches('lease-close', 400)).toBe(1);
      const again = await reclaimer.claimBatch('lease-close', 'w-new');
      expect(again.claimed && again.reservation.batchId).toBe(claim.reservation.batchId);
      const id = claim.reservation.batchId;
      await expect(worker.updateBatchState('lease-close', id, { batchId: id, status: 'COMPLETED', processedCount: 1, failedCount: 0 }))
        .rejects.toBeInstanceOf(LeaseLostError);
      expect((await reclaimer.listBatches('lease-close'))[0]).toMatchObject({ status: 'PROCESSING', workerId: 'w-new' });
    } finally {
      await worker.sequelize.close();
    }
  });

  slowTest('a worker process that stalls stops renewing: its batch is reclaimed and taken over, and its report is refused', async () => {
    await job('lease-stall');
    const child = forkScript('leaseChild.ts', {
      LEASE_DIALECT: name === 'sqlite' ? 'sqlite' : name, LEASE_URL: db.url ?? (storage() as string), LEASE_PREFIX: ctx.prefix,
      LEASE_JOB_ID: 'lease-stall', LEASE_WORKER_ID: 'w-stall', LEASE_STALE_MS: '600', LEASE_STALL_MS: '2500',
    });
    const messages: Array<{ type: string; batchId?: string; outcome?: string; message?: string }> = [];
    const next = (type: string): Promise<(typeof messages)[number]> => new Promise((resolve, reject) => {
      const check = (): void => {
        const m = messages.find((x) => x.type === type || x.type === 'error');
        if (m) {
          if (m.type === 'error') reject(new Error(m.message));
          else resolve(m);
        } else setTimeout(check, 20);
      };
      check();
    });
    child.on('message', (m: (typeof messages)[number]) => void messages.push(m));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const { batchId } = await next('claimed');
      await sleep(500); // renewed while alive
      expect(await reclaimer.reclaimStaleBatches('lease-stall', 600)).toBe(0);
      child.send({ type: 'stall' });
      // Stalled: no renewal; reclaimed once the lease is older than the timeout, and taken by another worker.
      let reclaimed = 0;
      for (let i = 0; i < 40 && reclaimed === 0; i++) {
        await sleep(100);
        reclaimed = await reclaimer.reclaimStaleBatches('lease-stall', 600);
      }
      expect(reclaimed).toBe(1);
      const taken = await reclaimer.claimBatch('lease-stall', 'w-other');
      expect(taken.claimed && taken.reservation.batchId).toBe(batchId);
      expect((await next('reported')).outcome).toBe('LeaseLostError');
      expect((await reclaimer.listBatches('lease-stall')).find((b) => b.id === batchId)).toMatchObject({ status: 'PROCESSING', workerId: 'w-other' });
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('the renewal timer does not keep a process alive', async () => {
    await job('lease-exit');
    const child = forkScript('leaseChild.ts', {
      LEASE_DIALECT: name === 'sqlite' ? 'sqlite' : name, LEASE_URL: db.url ?? (storage() as string), LEASE_PREFIX: ctx.prefix,
      LEASE_JOB_ID: 'lease-exit', LEASE_WORKER_ID: 'w-exit', LEASE_STALE_MS: '60000', LEASE_STALL_MS: '0',
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.on('message', (m: { type: string; message?: string }) => (m.type === 'claimed' ? resolve() : reject(new Error(m.message))));
      });
      const left = Date.now();
      child.send({ type: 'leave' });
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).toBe(0);
      // The next renewal was due in 20 s (a third of 60 s): the process did not wait for it.
      expect(Date.now() - left).toBeLessThan(10_000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
