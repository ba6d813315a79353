/**
 * The store under the engine's own call patterns (test/engine), on every
 * database: the single-process import with 1 and 4 batches at once, a pause,
 * a crash and a restore on a cold store, and the distributed orchestrator and
 * workers. At checkpoints between calls, `getProgress` (derived from batch
 * rows) equals the figures counted from every record row; at the end, what is
 * stored is what the engine holds. The engine's repeated whole-job saves
 * write only what changed.
 */
import 'reflect-metadata';
import { SequelizeStateStore } from '../../src';
import type { JobState } from '../../src/ports';
import { DATABASES, freshStore, type TestDatabase } from '../helpers/databases';
import { workerLoop } from '../engine/distributedWorker';
import { expectExactProgress } from '../engine/oracle';
import { prepareJob } from '../engine/orchestrator';
import { guard } from '../engine/quiesce';
import { restoreJob, SingleProcessImport, usualOutcome, userRecords, type StoreCallRecord } from '../engine/singleProcess';

jest.setTimeout(180_000);

/** The engine's final state as the store must return it (records cleared, batches by index). */
function asStored(state: JobState): unknown {
  return {
    ...state,
    batches: [...state.batches].map((b) => ({ ...b, records: [] })).sort((a, b) => a.index - b.index),
  };
}

/** Counts the batch rows the store writes (INSERT … INTO batches), through Sequelize's `beforeQuery` hook. */
function countBatchRowWrites(store: SequelizeStateStore): { rows: number; stop(): void } {
  const counter = { rows: 0, stop: () => store.sequelize.removeHook('beforeQuery', 'count-batch-rows') };
  store.sequelize.addHook('beforeQuery', 'count-batch-rows', (options, query) => {
    const sql = String((query as unknown as { sql?: string }).sql ?? '');
    if (/^INSERT INTO \S*bulkimport_batches/.test(sql) && /batch_index/.test(sql)) {
      counter.rows += ((options as { bind?: unknown[] }).bind ?? []).length / 8;
    }
  });
  return counter;
}

describe.each(DATABASES.map((d) => [d.name, d] as [string, TestDatabase]))('the engine\'s call patterns on %s', (_name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  beforeAll(async () => {
    ctx = await freshStore(db);
  });
  afterAll(async () => ctx?.drop());

  /**
   * Every `every`-th store call: progress equals the counted figures, checked
   * while no store call is in flight (the engine's other batches wait).
   */
  const checkpoints = (guarded: ReturnType<typeof guard<SequelizeStateStore>>, store: SequelizeStateStore, jobId: () => string, every: number) => {
    let n = 0;
    return async (call: StoreCallRecord): Promise<void> => {
      n += 1;
      if (n % every === 0 && call.method !== 'getJobState') {
        await guarded.atRest(() => expectExactProgress(store, jobId(), `call ${n} (${call.method})`));
      }
    };
  };

  test.each([[1, true], [4, true], [2, false]] as const)(
    'single process, %d batch(es) at once (initial save: %s): exact progress throughout, the engine\'s state at the end, saves write what changed',
    async (concurrency, initialSave) => {
      const { store } = ctx;
      const guarded = guard(store);
      const records = userRecords(503, 97);
      let job!: SingleProcessImport;
      const counter = countBatchRowWrites(store);
      try {
        job = new SingleProcessImport({
          store: guarded.store, records, batchSize: 5, maxConcurrentBatches: concurrency, skipEmptyRows: true, initialSave,
          outcome: usualOutcome, afterCall: checkpoints(guarded, store, () => job.jobId, 37),
        });
        await job.start();
      } finally {
        counter.stop();
      }
      expect(job.status).toBe('COMPLETED');
      await expectExactProgress(store, job.jobId, 'the end');
      expect(await store.getJobState(job.jobId)).toEqual(asStored(job.snapshot()));
      const progress = await store.getProgress(job.jobId);
      expect(progress).toMatchObject({ totalRecords: 503, processedRecords: job.processedCount, failedRecords: job.failedCount, totalBatches: 101 });
      // 101 batches saved after each batch: 5,151 batch rows if every save rewrote every batch so far.
      expect(counter.rows).toBeLessThanOrEqual(3 * 101);
    },
  );

  test('single process: pause, resume, then a crash mid-batch and a restore on a store with nothing cached', async () => {
    const { store, prefix } = ctx;
    const guarded = guard(store);
    const records = userRecords(300);
    let calls = 0;
    let job!: SingleProcessImport;
    job = new SingleProcessImport({
      store: guarded.store, records, batchSize: 10, maxConcurrentBatches: 3, outcome: usualOutcome,
      afterCall: async (call) => {
        calls += 1;
        if (calls === 40) void job.pause().then(() => setTimeout(() => job.resume(), 30));
        if (calls === 160) guarded.crash(); // every batch in flight stops where it is
        if (call.method === 'saveJobState' && calls % 3 === 0) await guarded.atRest(() => expectExactProgress(store, job.jobId, `call ${calls}`));
      },
    });
    await job.start().catch(() => undefined); // the final save fails too: the process is gone
    const stored = await store.getJobState(job.jobId);
    expect(stored?.status).toBe('PROCESSING');
    expect(stored?.batches.some((b) => b.status !== 'COMPLETED')).toBe(true);
    await expectExactProgress(store, job.jobId, 'after the crash');

    const other = db.connect({ storage: (ctx.sequelize as unknown as { options: { storage?: string } }).options.storage });
    try {
      const cold = new SequelizeStateStore(other, { tablePrefix: prefix });
      const coldGuard = guard(cold);
      const restored = await restoreJob({ store: coldGuard.store, records, batchSize: 10, jobId: job.jobId, outcome: usualOutcome,
        afterCall: checkpoints(coldGuard, cold, () => job.jobId, 11) });
      if (!restored) throw new Error('not restored');
      await restored.start();
      expect(restored.status).toBe('COMPLETED');
      await expectExactProgress(cold, job.jobId, 'after the restore');
      const final = await cold.getJobState(job.jobId);
      // Every batch index COMPLETED exactly once; the crashed run's unfinished batches stay as the engine left them.
      const completed = final?.batches.filter((b) => b.status === 'COMPLETED').map((b) => b.index).sort((a, b) => a - b);
      expect(completed).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect((await cold.getProcessedRecords(job.jobId)).length + (await cold.getFailedRecords(job.jobId)).length).toBe(300);
    } finally {
      await other.close();
    }
  });

  test('distributed: the orchestrator\'s prepare and three workers; progress exact between their turns', async () => {
    const { store } = ctx;
    const job = await prepareJob(store, { totalRecords: 600, batchSize: 20, parallel: 2 });
    await expectExactProgress(store, job.jobId, 'after prepare');
    // Workers take turns, one loop iteration (reclaim … finalize) each; a check runs between turns.
    let tail = Promise.resolve();
    const turn = (): Promise<() => void> => {
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const ready = tail.then(() => release);
      tail = tail.then(() => mine);
      return ready;
    };
    let turns = 0;
    const checked = async (): Promise<() => void> => {
      const release = await turn();
      turns += 1;
      if (turns % 3 === 0) await expectExactProgress(store, job.jobId, `turn ${turns}`);
      return release;
    };
    const hang = (): Promise<never> => Promise.reject(new Error('no hang in this test'));
    const noop = async (): Promise<void> => undefined;
    await Promise.all([0, 1, 2].map((n) => workerLoop(store, {
      jobId: job.jobId, workerId: `w${n}`, staleMs: 60_000, fenced: false, heartbeatEvery: 10, failBatches: false, hang, pollMs: 5,
      turn: checked,
    }, noop)));
    await expectExactProgress(store, job.jobId, 'the end');
    const state = await store.getJobState(job.jobId);
    expect(state?.status).toBe('COMPLETED');
    expect(state?.batches.reduce((n, b) => n + b.processedCount + b.failedCount, 0)).toBe(600);
  });
});
