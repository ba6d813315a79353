import 'reflect-metadata';
import { InvalidInputError, type JobState } from '../../src';
import { QueryTypes, type Transaction } from 'sequelize';
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
