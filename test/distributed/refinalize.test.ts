import 'reflect-metadata';
import { InvalidInputError, type JobState } from '../../src';
import { DATABASES, freshStore } from '../helpers/databases';

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
