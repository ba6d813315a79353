/**
 * SQLite under the engine's concurrent batches in one process: with
 * `maxConcurrentBatches` up to 8, in the default journal mode and in WAL, with
 * and without write-behind, the import completes and no SQLITE_BUSY reaches
 * the engine (the store runs its own statements one at a time per database
 * file in the process). And `:memory:`, where Sequelize uses one connection for
 * everything: a record saved while a job save's transaction is open is not
 * rolled back with it.
 */
import 'reflect-metadata';
import { Sequelize } from 'sequelize';
import { InvalidInputError, SequelizeStateStore } from '../../src';
import { DATABASES, freshStore } from '../helpers/databases';
import { expectExactProgress } from '../engine/oracle';
import { SingleProcessImport, usualOutcome, userRecords } from '../engine/singleProcess';
import { distributedJob, pendingRecord } from './helpers';

const sqlite = DATABASES.find((d) => d.name === 'sqlite')!;
jest.setTimeout(120_000);

describe('SQLite, one process, the engine running batches concurrently', () => {
  test.each([
    { mode: 'default journal', wal: false, buffered: false, concurrency: 8 },
    { mode: 'default journal', wal: false, buffered: true, concurrency: 8 },
    { mode: 'WAL', wal: true, buffered: false, concurrency: 8 },
    { mode: 'WAL', wal: true, buffered: true, concurrency: 4 },
  ])('$mode, write-behind $buffered: $concurrency batches at once complete, no SQLITE_BUSY', async ({ wal, buffered, concurrency }) => {
    const ctx = await freshStore(sqlite, { ...(buffered ? { recordBuffer: { maxRecords: 50, maxDelayMs: 5 } } : {}) });
    try {
      if (wal) await ctx.sequelize.query('PRAGMA journal_mode = WAL');
      // Another writer on the same instance at the same time: the application's own statements.
      let appWrites = 0;
      let importing = true;
      await ctx.sequelize.query('CREATE TABLE app_users (id INTEGER PRIMARY KEY, email TEXT)');
      const app = (async () => {
        while (importing) {
          await ctx.sequelize.query('INSERT INTO app_users (email) VALUES ($1)', { bind: [`u${appWrites}`] });
          appWrites += 1;
        }
      })();
      const job = new SingleProcessImport({
        store: ctx.store, records: userRecords(300), batchSize: 5, maxConcurrentBatches: concurrency, outcome: usualOutcome,
      });
      try {
        await job.start();
      } finally {
        importing = false;
        await app;
      }
      expect(job.error).toBeUndefined();
      expect(job.status).toBe('COMPLETED');
      await ctx.store.close();
      await expectExactProgress(ctx.store, job.jobId, 'the end');
      expect((await ctx.store.getProgress(job.jobId)).processedRecords + (await ctx.store.getProgress(job.jobId)).failedRecords).toBe(300);
      expect(appWrites).toBeGreaterThan(0);
    } finally {
      await ctx.drop();
    }
  });
});

describe('SQLite :memory: (one connection for everything)', () => {
  test('a record saved while a job save\'s transaction is open is not rolled back with that transaction', async () => {
    const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
    try {
      const store = new SequelizeStateStore(sequelize);
      await store.initialize();
      // A finalized distributed job: saving it back to PROCESSING is refused inside the save's transaction.
      await store.saveBatchRecords('mem-job', 'b0', [pendingRecord(0)]);
      await store.saveJobState(distributedJob('mem-job', ['b0'], 1));
      const claim = await store.claimBatch('mem-job', 'w');
      if (!claim.claimed) throw new Error('no claim');
      await store.updateBatchState('mem-job', 'b0', { batchId: 'b0', status: 'COMPLETED', processedCount: 1, failedCount: 0 });
      expect(await store.tryFinalizeJob('mem-job')).toBe(true);
      // Hold the save's transaction open at its first statement.
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => { release = r; });
      let inside: () => void = () => undefined;
      const entered = new Promise<void>((r) => { inside = r; });
      sequelize.addHook('beforeQuery', 'hold', async (_o, query) => {
        if (/^SELECT .*bulkimport_jobs/.test(String((query as unknown as { sql?: string }).sql))) {
          inside();
          await held;
        }
      });
      const save = store.saveJobState(distributedJob('mem-job', ['b0'], 1)).catch((e: unknown) => e);
      await entered;
      const record = store.saveProcessedRecord('other-job', 'x', { ...pendingRecord(5), status: 'processed' });
      await new Promise((r) => setTimeout(r, 50));
      sequelize.removeHook('beforeQuery', 'hold');
      release();
      expect(await save).toBeInstanceOf(InvalidInputError);
      await record;
      expect((await store.getProcessedRecords('other-job')).map((r) => r.index)).toEqual([5]);
    } finally {
      await sequelize.close();
    }
  });
});
