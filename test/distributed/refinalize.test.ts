import 'reflect-metadata';
import { InvalidInputError, SequelizeStateStore, type Batch, type JobState } from '../../src';
import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { DATABASES, freshStore, SERVER_DATABASES } from '../helpers/databases';

const job = (status: JobState['status']): JobState => ({
  id: 'job-final',
  config: { batchSize: 10 },
  status,
  distributed: true,
  totalRecords: 10,
  startedAt: 1_700_000_000_000,
  batches: [{ id: 'b0', index: 0, status: 'PENDING', records: [], processedCount: 0, failedCount: 0, recordStartIndex: 0, recordEndIndex: 9 }],
});

describe.each(DATABASES.map((d) => [d.name, d] as const))('a finalized distributed job on %s', (_name, db) => {
  it('cannot be re-opened by saving it again, so finalization stays exactly once', async () => {
    const { store, drop } = await freshStore(db);
    try {
      await store.saveJobState(job('PROCESSING'));
      const claim = await store.claimBatch('job-final', 'w1');
      if (!claim.claimed) throw new Error('expected a claim');
      await store.updateBatchState('job-final', 'b0', { batchId: 'b0', status: 'COMPLETED', processedCount: 10, failedCount: 0 });
      expect(await store.tryFinalizeJob('job-final')).toBe(true);
      const finalized = await store.getJobState('job-final');

      await expect(store.saveJobState(job('PROCESSING'))).rejects.toThrow(InvalidInputError);
      await expect(store.saveJobState(job('PROCESSING'))).rejects.toThrow(/already COMPLETED; it cannot go back to PROCESSING/);
      expect(await store.tryFinalizeJob('job-final')).toBe(false);
      expect(await store.getJobState('job-final')).toEqual(finalized);

      // Saving it with a terminal status (e.g. the orchestrator recording the end) is allowed.
      await store.saveJobState({ ...job('COMPLETED'), completedAt: finalized?.completedAt });
      expect((await store.getJobState('job-final'))?.status).toBe('COMPLETED');
    } finally {
      await drop();
    }
  });
});

if (SERVER_DATABASES.length > 0) describe.each(SERVER_DATABASES.map((d) => [d.name, d] as const))('a re-save racing a finalize on %s', (_name, db) => {
  it('waits for the finalize to commit and then refuses, instead of re-opening the job', async () => {
    const { store, sequelize, prefix, drop } = await freshStore(db);
    const other = db.connect({ poolMax: 2 });
    let finalizing: Transaction | undefined;
    try {
      await store.saveJobState(job('PROCESSING'));
      const claim = await store.claimBatch('job-final', 'w1');
      if (!claim.claimed) throw new Error('expected a claim');
      await store.updateBatchState('job-final', 'b0', { batchId: 'b0', status: 'COMPLETED', processedCount: 10, failedCount: 0 });

      // A finalize in flight: the job row updated to COMPLETED by a transaction not yet committed.
      finalizing = await other.transaction();
      await other.query(`UPDATE ${store.tables.jobs} SET status = 'COMPLETED' WHERE id = 'job-final'`, { transaction: finalizing });
      const saving = store.saveJobState(job('PROCESSING')).then(() => 'saved', (e: unknown) => e);
      // Commit only once the re-save waits on the job row's lock (wherever it takes it).
      const waiting = db.name === 'postgres'
        ? `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`
        // MariaDB lists a statement waiting for a row lock in the process list, not always in innodb_trx.
        : `SELECT COUNT(*) AS n FROM information_schema.processlist WHERE command IN ('Query', 'Execute') AND id <> CONNECTION_ID()`
          + ` AND info LIKE '%${prefix}bulkimport_jobs%'`;
      for (let i = 0; ; i++) {
        const [row] = await sequelize.query<{ n: unknown }>(waiting, { type: QueryTypes.SELECT });
        if (Number(row?.n) > 0) break;
        if (i > 400) throw new Error('the re-save never waited for the row lock');
        await new Promise((r) => setTimeout(r, 25));
      }
      await finalizing.commit();

      const outcome = await saving;
      expect(outcome).toBeInstanceOf(InvalidInputError);
      expect(String((outcome as Error).message)).toMatch(/already COMPLETED/);
      expect((await store.getJobState('job-final'))?.status).toBe('COMPLETED');
      expect(await store.tryFinalizeJob('job-final')).toBe(false);
    } finally {
      if (finalizing && !(finalizing as unknown as { finished?: string }).finished) await finalizing.rollback();
      await other.close();
      await drop();
    }
  });
});

/** The invariant under a finalize racing a re-save that adds a batch: never COMPLETED with a batch left to do. */
describe.each(DATABASES.map((d) => [d.name, d] as const))('a finalize racing a re-save that adds a batch on %s', (_name, db) => {
  it('returns false (or the save is refused): the job is never finalized with a PENDING batch', async () => {
    const { store, sequelize, prefix, drop } = await freshStore(db);
    // The finalizer: another instance (another worker) on the same tables.
    const otherSequelize = db.name === 'sqlite'
      ? db.connect({ storage: (sequelize as unknown as { options: { storage?: string } }).options.storage })
      : db.connect({ poolMax: 2 });
    const finalizer = new SequelizeStateStore(otherSequelize, { tablePrefix: prefix });
    let release: () => void = () => undefined;
    try {
      const b0 = job('PROCESSING').batches[0] as Batch;
      const b1: Batch = { ...b0, id: 'b1', index: 1, recordStartIndex: 10, recordEndIndex: 19 };
      await store.saveJobState(job('PROCESSING'));
      const claim = await store.claimBatch('job-final', 'w1');
      if (!claim.claimed) throw new Error('expected a claim');
      await store.updateBatchState('job-final', 'b0', { batchId: 'b0', status: 'COMPLETED', processedCount: 10, failedCount: 0 });

      // Hold the re-save's COMMIT until the finalize is waiting for the job row.
      const gate = new Promise<void>((resolve) => { release = resolve; });
      let atCommit: () => void = () => undefined;
      const reachedCommit = new Promise<void>((resolve) => { atCommit = resolve; });
      // The store's own COMMIT carries its text; Sequelize's (SQLite transactions) is marked `completesTransaction`.
      sequelize.addHook('beforeQuery', 'holdCommit', async (options, query) => {
        const sql = String((query as unknown as { sql?: string })?.sql ?? '');
        if (/^COMMIT/i.test(sql) || (options as { completesTransaction?: boolean }).completesTransaction) {
          atCommit();
          await gate;
        }
      });
      const saving = store.saveJobState({ ...job('PROCESSING'), totalRecords: 20, batches: [b0, b1] })
        .then(() => 'saved' as const, (e: unknown) => e);
      await reachedCommit;
      const finalizing = finalizer.tryFinalizeJob('job-final');
      if (db.name === 'postgres') {
        await waitFor(sequelize, `SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`);
      } else if (db.name !== 'sqlite') {
        await waitFor(sequelize, `SELECT COUNT(*) AS n FROM information_schema.processlist WHERE command IN ('Query', 'Execute')`
          + ` AND id <> CONNECTION_ID() AND info LIKE '%${prefix}bulkimport_%' AND info NOT LIKE '%processlist%'`);
      } else {
        await new Promise((r) => setTimeout(r, 300)); // the finalize waits on SQLite's write lock (busy timeout)
      }
      release();
      const [saved, finalized] = await Promise.all([saving, finalizing]);
      sequelize.removeHook('beforeQuery', 'holdCommit');

      const state = await store.getJobState('job-final');
      if (finalized) {
        // Allowed only if the save was refused and b1 never landed.
        expect(saved).toBeInstanceOf(InvalidInputError);
        expect(state?.batches.map((b) => b.id)).toEqual(['b0']);
      } else {
        expect(saved).toBe('saved');
        expect(state?.status).toBe('PROCESSING');
        expect(state?.batches.map((b) => [b.id, b.status])).toEqual([['b0', 'COMPLETED'], ['b1', 'PENDING']]);
        const next = await store.claimBatch('job-final', 'w2');
        expect(next.claimed && next.reservation.batchId).toBe('b1');
      }
      expect(state?.status === 'PROCESSING' || state?.batches.every((b) => b.status === 'COMPLETED' || b.status === 'FAILED')).toBe(true);
    } finally {
      release();
      await otherSequelize.close();
      await drop();
    }
  });
});

async function waitFor(sequelize: Sequelize, countSql: string): Promise<void> {
  for (let i = 0; ; i++) {
    const [row] = await sequelize.query<{ n: unknown }>(countSql, { type: QueryTypes.SELECT, transaction: null });
    if (Number(row?.n) > 0) return;
    if (i > 400) throw new Error(`never saw a waiting statement: ${countSql}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
