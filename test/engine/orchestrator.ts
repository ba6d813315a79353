/**
 * The engine's distributed orchestrator (`DistributedImport.prepare()`, PORTS.md
 * "How the engine calls the store"): the records of each batch through
 * `saveBatchRecords`, then one `saveJobState` of the PROCESSING distributed job
 * with every batch PENDING and its record range. There is no other call that
 * creates batches.
 */
import { randomUUID } from 'crypto';
import type { Batch, SequelizeStateStore } from '../../src';
import { pendingRecord } from './protocol';

/** A prepared job: its batches as saved. */
export interface PreparedJob {
  readonly jobId: string;
  readonly batches: readonly Batch[];
  readonly totalRecords: number;
}

/**
 * The orchestrator's `prepare()`: `saveBatchRecords` for every batch (pending
 * records), then one `saveJobState` of the PROCESSING distributed job with all
 * batches PENDING and their record ranges.
 */
export async function prepareJob(
  store: SequelizeStateStore,
  options: { totalRecords: number; batchSize: number; parallel?: number },
): Promise<PreparedJob> {
  const jobId = `job-${randomUUID()}`;
  const { totalRecords, batchSize } = options;
  const batches: Batch[] = [];
  for (let start = 0, index = 0; start < totalRecords; start += batchSize, index++) {
    const end = Math.min(totalRecords, start + batchSize) - 1;
    batches.push({
      id: randomUUID(), index, status: 'PENDING', records: [], processedCount: 0, failedCount: 0,
      recordStartIndex: start, recordEndIndex: end,
    });
  }
  let next = 0;
  const saver = async (): Promise<void> => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const records = [];
      for (let i = batch.recordStartIndex!; i <= batch.recordEndIndex!; i++) records.push(pendingRecord(i));
      await store.saveBatchRecords(jobId, batch.id, records);
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 4 }, saver));
  await store.saveJobState({
    id: jobId,
    config: { batchSize, continueOnError: true },
    status: 'PROCESSING',
    distributed: true,
    batches,
    totalRecords,
    startedAt: Date.now(),
  });
  return { jobId, batches, totalRecords };
}

