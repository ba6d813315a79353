/**
 * Database faults, on real servers:
 * - a connection killed in the middle of a transaction (`pg_terminate_backend`,
 *   `KILL`) makes the call reject with a PersistenceError, leaves no lock held
 *   and nothing half-written, and the same store's next call works;
 * - a real deadlock, a lock-wait timeout and SQLITE_BUSY in the idempotent
 *   operations (reclaim, finalize) are retried and recover; the same fault in
 *   a non-idempotent write (saveJobState) is surfaced after one attempt;
 * - with a pool of one connection, no operation waits for a second connection
 *   (every query inside a transaction uses the transaction).
 */
import { QueryTypes, Sequelize, Transaction } from 'sequelize';
import { PersistenceError, SequelizeStateStore } from '../../src';
import { DATABASES, freshStore, SERVER_DATABASES, type TestDatabase } from '../helpers/databases';
import {
  beforeMatchingQuery, connectionIdOf, distributedJob, expectStoreError, isMysqlFamily, killConnection, pendingRecord, rowCounts,
} from './helpers';

type Ctx = Awaited<ReturnType<typeof freshStore>>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it is true (bounded number of tries; never a timing assertion). */
async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await probe()) return;
    await sleep(25);
  }
  throw new Error(`gave up waiting: ${what}`);
}

/** Whether some session is waiting on a row lock in a statement that mentions `marker`. */
async function someoneWaitsOnLock(db: TestDatabase, observer: Sequelize, marker: string): Promise<boolean> {
  const sql = db.name === 'postgres'
    ? `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`
    : `SELECT COUNT(*) AS n FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT' AND trx_query LIKE $1`;
  const [row] = await observer.query<{ n: unknown }>(sql, { bind: [`%${marker}%`], type: QueryTypes.SELECT });
  return Number(row?.n) > 0;
}

/** Session setting that makes a blocked statement give up quickly instead of waiting. */
function shortLockWait(db: TestDatabase): string {
  return db.name === 'postgres' ? `SET lock_timeout = '300ms'` : 'SET SESSION innodb_lock_wait_timeout = 1';
}

/** Starts a transaction on `sequelize` whose statements the test runs step by step. */
async function holder(sequelize: Sequelize): Promise<{ run(sql: string, bind?: unknown[]): Promise<unknown>; commit(): Promise<void> }> {
  const tx = await sequelize.transaction();
  return {
    run: (sql, bind) => sequelize.query(sql, { transaction: tx, bind, type: QueryTypes.RAW }),
    commit: () => tx.commit(),
  };
}

/** Locks a store's rows of one job for update from another connection, without waiting: throws if anyone holds them. */
async function lockNowait(db: TestDatabase, other: Sequelize, store: SequelizeStateStore, jobId: string): Promise<number> {
  return other.transaction(async (tx) => {
    const rows = await other.query(
      `SELECT ${db.name === 'postgres' ? '"batch_id"' : '`batch_id`'} FROM ${store.tables.batches} WHERE ${db.name === 'postgres' ? '"job_id"' : '`job_id`'} = $1 FOR UPDATE NOWAIT`,
      { bind: [jobId], transaction: tx, type: QueryTypes.SELECT },
    );
    const jobs = await other.query(
      `SELECT 1 FROM ${store.tables.jobs} WHERE ${db.name === 'postgres' ? '"id"' : '`id`'} = $1 FOR UPDATE NOWAIT`,
      { bind: [jobId], transaction: tx, type: QueryTypes.SELECT },
    );
    return rows.length + jobs.length;
  });
}

async function seedJob(store: SequelizeStateStore, jobId: string, batches: number, size: number): Promise<string[]> {
  const ids = Array.from({ length: batches }, (_, i) => `${jobId}-b${i}`);
  for (const [i, b] of ids.entries()) {
    await store.saveBatchRecords(jobId, b, Array.from({ length: size }, (_, k) => pendingRecord(i * size + k)));
  }
  await store.saveJobState(distributedJob(jobId, ids, size));
  return ids;
}

// Jest refuses an empty table: without a server URL these suites are simply not defined.
if (SERVER_DATABASES.length > 0) describe.each(SERVER_DATABASES.map((d) => [d.name, d] as const))('connection killed mid-transaction on %s', (_name, db) => {
  let ctx: Ctx;
  let killer: Sequelize;
  let other: SequelizeStateStore;
  let warn: jest.SpyInstance;
  beforeAll(async () => {
    // Sequelize warns when the ROLLBACK of a killed connection fails: expected here, keep the output readable.
    const original = console.warn.bind(console);
    warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      if (!/^Rolling back transaction .* failed/.test(String(args[0]))) original(...args);
    });
    ctx = await freshStore(db);
    killer = db.connect({ poolMax: 3 });
    other = new SequelizeStateStore(killer, { tablePrefix: ctx.prefix });
  });
  afterAll(async () => {
    warn?.mockRestore();
    await killer?.close();
    await ctx?.drop();
  });

  test('saveJobState with 2,500 batches, killed before its second batch statement', async () => {
    const ids = Array.from({ length: 2500 }, (_, i) => `k-b${i}`);
    const before = await rowCounts(ctx.store);
    let killed = 0;
    const unhook = beforeMatchingQuery(ctx.sequelize, /INSERT INTO \S*bulkimport_batches/, async (query, nth) => {
      if (nth === 2) {
        killed = connectionIdOf(query);
        await killConnection(db, killer, killed);
      }
    });
    try {
      const error = await expectStoreError(ctx.store.saveJobState(distributedJob('k-job', ids, 1)), PersistenceError, { jobId: 'k-job', operation: 'saveJobState' });
      expect(error.cause).toBeDefined();
    } finally {
      unhook();
    }
    expect(killed).toBeGreaterThan(0);
    // Nothing half-written, nothing locked: another connection sees and locks nothing of it at once.
    expect(await other.getJobState('k-job')).toBeNull();
    expect(await rowCounts(ctx.store)).toEqual(before);
    expect(await lockNowait(db, killer, ctx.store, 'k-job')).toBe(0);
    // Another process can write the same job without waiting.
    await other.saveJobState(distributedJob('k-job', ids.slice(0, 3), 1));
    await other.deleteJob('k-job');
    // The same store's next call works, on the same pool.
    await ctx.store.saveJobState(distributedJob('k-job', ids, 1));
    expect((await ctx.store.getJobState('k-job'))?.batches).toHaveLength(2500);
  });

  test('saveBatchRecords of 2,500 records, killed before its second statement, writes none', async () => {
    const records = Array.from({ length: 2500 }, (_, i) => pendingRecord(i));
    const unhook = beforeMatchingQuery(ctx.sequelize, /INSERT INTO \S*bulkimport_records/, async (query, nth) => {
      if (nth === 2) await killConnection(db, killer, connectionIdOf(query));
    });
    try {
      await expectStoreError(ctx.store.saveBatchRecords('k-rec', 'r0', records), PersistenceError, { jobId: 'k-rec', batchId: 'r0' });
    } finally {
      unhook();
    }
    expect(await other.getBatchRecords('k-rec', 'r0')).toEqual([]);
    await ctx.store.saveBatchRecords('k-rec', 'r0', records);
    expect(await ctx.store.getBatchRecords('k-rec', 'r0')).toHaveLength(2500);
  });

  test('claimBatch killed after it locked a batch leaves the batch claimable at once by another worker', async () => {
    const ids = await seedJob(ctx.store, 'k-claim', 3, 2);
    // MySQL/MariaDB: kill between the SELECT … FOR UPDATE and the UPDATE of the
    // claim transaction. PostgreSQL: the claim is one statement; kill as it starts.
    const pattern = isMysqlFamily(db) ? /^UPDATE \S*bulkimport_batches\S* SET `status` = 'PROCESSING'/ : /^UPDATE \S*bulkimport_batches"? SET "status" = 'PROCESSING'/;
    let fired = 0;
    const unhook = beforeMatchingQuery(ctx.sequelize, pattern, async (query) => {
      fired += 1;
      if (fired === 1) await killConnection(db, killer, connectionIdOf(query));
    });
    try {
      await expectStoreError(ctx.store.claimBatch('k-claim', 'worker-killed'), PersistenceError, { jobId: 'k-claim', workerId: 'worker-killed' });
    } finally {
      unhook();
    }
    expect(fired).toBe(1);
    expect(await lockNowait(db, killer, ctx.store, 'k-claim')).toBe(4);
    const state = await other.getJobState('k-claim');
    expect(state?.batches.map((b) => b.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
    const claim = await other.claimBatch('k-claim', 'worker-2');
    expect(claim).toMatchObject({ claimed: true, reservation: { batchId: ids[0], workerId: 'worker-2' } });
    const next = await ctx.store.claimBatch('k-claim', 'worker-killed');
    expect(next).toMatchObject({ claimed: true, reservation: { batchId: ids[1] } });
  });

  test('an idle pooled connection killed by the server: at most one call fails, clearly, then calls work', async () => {
    const one = await freshStore(db, { poolMax: 1 });
    try {
      let id = 0;
      const unhook = beforeMatchingQuery(one.sequelize, /^SELECT/, (query) => {
        id = connectionIdOf(query);
      });
      try {
        await one.store.getJobState('idle');
      } finally {
        unhook();
      }
      await killConnection(db, killer, id);
      await until(async () => {
        const sql = db.name === 'postgres' ? 'SELECT COUNT(*) AS n FROM pg_stat_activity WHERE pid = $1' : 'SELECT COUNT(*) AS n FROM information_schema.processlist WHERE id = $1';
        const [row] = await killer.query<{ n: unknown }>(sql, { bind: [id], type: QueryTypes.SELECT });
        return Number(row?.n) === 0;
      }, 'the killed connection to go away');
      // The call racing the driver's notice of the kill may fail, clearly; the next one works.
      const first = await one.store.saveProcessedRecord('idle', 'i0', pendingRecord(0)).then(() => null, (error: unknown) => error);
      if (first !== null) expect(first).toBeInstanceOf(PersistenceError);
      await one.store.saveProcessedRecord('idle', 'i0', pendingRecord(0));
      expect(await one.store.getPendingRecords('idle')).toHaveLength(1);
    } finally {
      await one.drop();
    }
  });

  test('deleteJob killed between its statements deletes nothing', async () => {
    await seedJob(ctx.store, 'k-del', 2, 3);
    const before = await rowCounts(ctx.store);
    const unhook = beforeMatchingQuery(ctx.sequelize, /^DELETE FROM \S*bulkimport_batches/, async (query) => {
      await killConnection(db, killer, connectionIdOf(query));
    });
    try {
      await expectStoreError(ctx.store.deleteJob('k-del'), PersistenceError, { jobId: 'k-del', operation: 'deleteJob' });
    } finally {
      unhook();
    }
    expect(await rowCounts(ctx.store)).toEqual(before);
    expect(await lockNowait(db, killer, ctx.store, 'k-del')).toBe(3);
    expect(await ctx.store.deleteJob('k-del')).toBe(true);
  });
});

if (SERVER_DATABASES.length > 0) describe.each(SERVER_DATABASES.map((d) => [d.name, d] as const))('transient faults on %s', (_name, db) => {
  let ctx: Ctx;
  let other: Sequelize;
  beforeAll(async () => {
    // These tests claim batches and then reclaim them as stale through the same
    // store: its own lease renewal (which would keep them fresh) is off.
    ctx = await freshStore(db, { poolMax: 1, leaseRenewalMs: 0 });
    other = db.connect({ poolMax: 3 });
  });
  afterAll(async () => {
    await other?.close();
    await ctx?.drop();
  });

  const q = (name: string): string => (db.name === 'postgres' ? `"${name}"` : `\`${name}\``);
  // The finalize statement that waits for the job row's lock: PostgreSQL locks
  // the row first (SELECT … FOR UPDATE) and checks the batches after; the
  // others wait in the conditional UPDATE itself.
  const finalizeWaits = db.name === 'postgres'
    ? /^SELECT .* FROM \S*bulkimport_jobs\S* WHERE \S+ = \$1 FOR UPDATE$/
    : /^UPDATE \S*bulkimport_jobs\S* SET \S+ = CASE WHEN EXISTS/;

  test('a real deadlock in reclaimStaleBatches is retried and the reclaim completes', async () => {
    const ids = await seedJob(ctx.store, 'dl-job', 3, 2);
    for (let i = 0; i < 3; i++) expect((await ctx.store.claimBatch('dl-job', `w${i}`)).claimed).toBe(true);
    await other.query(`UPDATE ${ctx.store.tables.batches} SET ${q('claimed_at')} = ${q('claimed_at')} - 600000 WHERE ${q('job_id')} = $1`,
      { bind: ['dl-job'] });
    const h = await holder(other);
    // Make the holder the heavier transaction, so InnoDB picks the reclaim as the victim.
    await h.run(`UPDATE ${ctx.store.tables.records} SET ${q('retry_count')} = 7 WHERE ${q('job_id')} = $1`, ['dl-job']);
    await h.run(`UPDATE ${ctx.store.tables.batches} SET ${q('version')} = ${q('version')} + 1 WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2`, ['dl-job', ids[2]]);
    let attempts = 0;
    const unhook = beforeMatchingQuery(ctx.sequelize, /SET \S+ = 'PENDING', \S+ = NULL, \S+ = NULL/, () => {
      attempts += 1;
    });
    try {
      const reclaim = ctx.store.reclaimStaleBatches('dl-job', 1000);
      // The reclaim holds batch 0 and waits for batch 2; the holder now asks for batch 0.
      await until(() => someoneWaitsOnLock(db, other, ctx.prefix), 'the reclaim to wait on the held batch');
      await h.run(`UPDATE ${ctx.store.tables.batches} SET ${q('version')} = ${q('version')} + 1 WHERE ${q('job_id')} = $1 AND ${q('batch_id')} = $2`, ['dl-job', ids[0]]);
      await h.commit();
      expect(await reclaim).toBe(3);
    } finally {
      unhook();
    }
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect((await ctx.store.getDistributedStatus('dl-job')).pendingBatches).toBe(3);
  });

  test('a lock-wait timeout in tryFinalizeJob is retried and the job is finalised exactly once', async () => {
    const ids = await seedJob(ctx.store, 'lt-job', 2, 1);
    for (const id of ids) {
      await ctx.store.updateBatchState('lt-job', id, { batchId: id, status: 'COMPLETED', processedCount: 1, failedCount: 0 });
    }
    await ctx.sequelize.query(shortLockWait(db));
    const h = await holder(other);
    await h.run(`UPDATE ${ctx.store.tables.jobs} SET ${q('version')} = ${q('version')} WHERE ${q('id')} = $1`, ['lt-job']);
    let attempts = 0;
    const unhook = beforeMatchingQuery(ctx.sequelize, finalizeWaits, async (_query, nth) => {
      attempts = nth;
      if (nth === 2) await h.commit(); // the lock goes away once the first attempt has timed out
    });
    try {
      expect(await ctx.store.tryFinalizeJob('lt-job')).toBe(true);
    } finally {
      unhook();
    }
    expect(attempts).toBe(2);
    expect(await ctx.store.tryFinalizeJob('lt-job')).toBe(false);
    expect((await ctx.store.getJobState('lt-job'))?.status).toBe('COMPLETED');
  });

  test('retries are bounded: a lock that never goes away surfaces a PersistenceError after transientRetries + 1 attempts', async () => {
    await ctx.sequelize.query(shortLockWait(db));
    // A second store on the same instance and tables, allowed 2 retries.
    const bounded = new SequelizeStateStore(ctx.sequelize, { tablePrefix: ctx.prefix, transientRetries: 2 });
    const ids = await seedJob(bounded, 'lt-bound', 1, 1);
    await bounded.updateBatchState('lt-bound', ids[0] as string, { batchId: ids[0] as string, status: 'COMPLETED', processedCount: 1, failedCount: 0 });
    const h = await holder(other);
    await h.run(`UPDATE ${ctx.store.tables.jobs} SET ${q('version')} = ${q('version')} WHERE ${q('id')} = $1`, ['lt-bound']);
    let attempts = 0;
    const unhook = beforeMatchingQuery(ctx.sequelize, finalizeWaits, () => {
      attempts += 1;
    });
    try {
      const error = await expectStoreError(bounded.tryFinalizeJob('lt-bound'), PersistenceError, { jobId: 'lt-bound', operation: 'tryFinalizeJob' });
      expect(error.message).toMatch(/lock/i);
    } finally {
      unhook();
      await h.commit();
    }
    expect(attempts).toBe(3);
    expect((await bounded.getJobState('lt-bound'))?.status).toBe('PROCESSING');
    expect(await bounded.tryFinalizeJob('lt-bound')).toBe(true);
  });

  test('the same lock-wait timeout in saveJobState (not retried) is surfaced after one attempt and writes nothing', async () => {
    await ctx.sequelize.query(shortLockWait(db));
    await ctx.store.saveJobState(distributedJob('lt-save', ['s0'], 1));
    const before = await ctx.store.getJobState('lt-save');
    const h = await holder(other);
    await h.run(`UPDATE ${ctx.store.tables.jobs} SET ${q('version')} = ${q('version')} WHERE ${q('id')} = $1`, ['lt-save']);
    let attempts = 0;
    // The first statement that waits on the held row: the guard's locking read of the job.
    const unhook = beforeMatchingQuery(ctx.sequelize, /^SELECT .* FROM \S*bulkimport_jobs\S* WHERE .* FOR UPDATE$/, () => {
      attempts += 1;
    });
    try {
      const error = await expectStoreError(ctx.store.saveJobState({ ...distributedJob('lt-save', ['s0', 's1'], 1), totalRecords: 99 }),
        PersistenceError, { jobId: 'lt-save' });
      expect(error.message).toMatch(/lock/i);
    } finally {
      unhook();
      await h.commit();
    }
    expect(attempts).toBe(1);
    expect(await ctx.store.getJobState('lt-save')).toEqual(before);
  });
});

describe('transient faults on sqlite', () => {
  const sqlite = DATABASES.find((d) => d.name === 'sqlite') as TestDatabase;
  test('SQLITE_BUSY from another connection holding the write lock is retried in tryFinalizeJob', async () => {
    // Sequelize retries SQLITE_BUSY on its own by default; turn that off so
    // that only the store's retry is at work.
    const probe = sqlite.connect();
    const storage = (probe as unknown as { options: { storage: string } }).options.storage;
    await probe.close();
    const sequelize = new Sequelize({ dialect: 'sqlite', storage, logging: false, retry: { max: 0 } });
    const store = new SequelizeStateStore(sequelize, { sqliteBusyTimeoutMs: 50 });
    await store.initialize();
    const ctx = { sequelize, store, drop: () => sequelize.close() };
    const other = sqlite.connect({ storage });
    try {
      const ids = await seedJob(ctx.store, 'busy', 2, 1);
      for (const id of ids) {
        await ctx.store.updateBatchState('busy', id, { batchId: id, status: 'COMPLETED', processedCount: 1, failedCount: 0 });
      }
      const tx = await other.transaction({ type: Transaction.TYPES.IMMEDIATE });
      let attempts = 0;
      const unhook = beforeMatchingQuery(ctx.sequelize, /^UPDATE \S*bulkimport_jobs\S* SET \S+ = CASE WHEN EXISTS/, async (_q, nth) => {
        attempts = nth;
        if (nth === 2) await tx.commit();
      });
      try {
        expect(await ctx.store.tryFinalizeJob('busy')).toBe(true);
      } finally {
        unhook();
      }
      expect(attempts).toBe(2);
      expect((await ctx.store.getJobState('busy'))?.status).toBe('COMPLETED');
    } finally {
      await other.close();
      await ctx.drop();
    }
  });
});

describe.each(DATABASES.map((d) => [d.name, d] as const))('a pool of one connection on %s', (_name, db) => {
  test('no operation waits for a second connection', async () => {
    const ctx = await freshStore(db, { poolMax: 1 });
    try {
      const { store } = ctx;
      const ids = Array.from({ length: 1500 }, (_, i) => `p${i}`);
      await store.saveBatchRecords('pool', 'p0', Array.from({ length: 2500 }, (_, i) => pendingRecord(i)));
      await store.saveJobState(distributedJob('pool', ids, 1));
      await store.saveJobState(distributedJob('pool', ids, 1)); // existing batches: the no-op upsert path
      await store.saveJobState({ ...distributedJob('single', ids, 1), distributed: false, status: 'PAUSED' });
      // Several at once, all queued on the one connection.
      const claims = await Promise.all(Array.from({ length: 4 }, (_, i) => store.claimBatch('pool', `w${i}`)));
      expect(new Set(claims.map((c) => (c.claimed ? c.reservation.batchId : c.reason))).size).toBe(4);
      await Promise.all([
        store.reclaimStaleBatches('pool', 0),
        store.getProgress('pool'),
        store.getJobState('pool'),
        store.updateBatchState('pool', 'p5', { batchId: 'p5', status: 'COMPLETED', processedCount: 1, failedCount: 0 }),
        store.saveProcessedRecord('pool', 'p0', { ...pendingRecord(0), status: 'processed' }),
        store.tryFinalizeJob('pool'),
      ]);
      expect(await store.deleteJob('pool')).toBe(true);
      expect(await store.deleteJob('single')).toBe(true);
      expect(await rowCounts(store)).toEqual({ jobs: 0, batches: 0, records: 0 });
    } finally {
      await ctx.drop();
    }
  });
});
