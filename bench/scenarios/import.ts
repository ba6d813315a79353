/** A whole single-process import of 100,000 records in batches of 500, with and without write-behind. */
import type { Batch, JobState, SequelizeStateStore } from '../../src';
import { compare, rate, uid, type Ctx } from '../lib/measure';
import { recordParams } from '../lib/raw';
import type { Figure } from '../lib/results';
import { openStore, processedRecord, seedBatches } from '../lib/setup';
import type { Scenario } from './scenario';

/** One import driven as the engine drives it (all batches known up front), store vs raw. */
async function importPair(ctx: Ctx, store: SequelizeStateStore, total: number, buffered: boolean): Promise<Figure> {
  const size = ctx.size.batchSize;
  const nb = Math.ceil(total / size);
  const records = Array.from({ length: total }, (_, i) => processedRecord(i));
  const one = ctx.sql.upsertRecords(1);
  return compare(
    ctx,
    { id: buffered ? 'import-buffered' : 'import',
      operation: `single-process import of ${total.toLocaleString('en')} records, batches of ${size}, ${buffered ? 'recordBuffer: true' : 'no write-behind'}`,
      unit: 'records/s', runs: ctx.options.longRuns,
      limitMethod: buffered
        ? `job upsert + batch rows; per batch: UPDATE, one ${size}-row upsert, UPDATE; job upsert`
        : 'job upsert + batch rows; per batch: UPDATE, one single-row upsert per record, UPDATE; job upsert' },
    async () => uid(buffered ? 'impb' : 'imp'),
    (jobId) => rate(total, async () => {
      const batches: Batch[] = Array.from({ length: nb }, (_, i) => ({
        id: `${jobId}-b${i}`, index: i, status: 'PENDING', records: [], processedCount: 0, failedCount: 0,
      }));
      const job: JobState = { id: jobId, config: { batchSize: size }, status: 'PROCESSING', batches, totalRecords: total, startedAt: Date.now() };
      await store.saveJobState(job);
      for (let b = 0; b < nb; b++) {
        const batchId = `${jobId}-b${b}`;
        await store.updateBatchState(jobId, batchId, { batchId, status: 'PROCESSING', processedCount: 0, failedCount: 0 });
        const end = Math.min(total, (b + 1) * size);
        for (let i = b * size; i < end; i++) await store.saveProcessedRecord(jobId, batchId, records[i] as never);
        await store.updateBatchState(jobId, batchId, { batchId, status: 'COMPLETED', processedCount: end - b * size, failedCount: 0 });
      }
      await store.saveJobState({
        ...job, status: 'COMPLETED', completedAt: Date.now(),
        batches: batches.map((x) => ({ ...x, status: 'COMPLETED', processedCount: size })),
      });
    }),
    (jobId) => rate(total, async () => {
      const config = JSON.stringify({ batchSize: size });
      await ctx.raw.run(ctx.sql.upsertJob(), [jobId, 'PROCESSING', config, total, Date.now(), null]);
      await seedBatches(ctx.raw, ctx.store.tables.batches, jobId, nb, 0, size);
      for (let b = 0; b < nb; b++) {
        const batchId = `${jobId}-b${b}`;
        await ctx.raw.run(ctx.sql.updateBatch(), ['PROCESSING', 0, 0, jobId, batchId]);
        const part = records.slice(b * size, Math.min(total, (b + 1) * size));
        if (buffered) {
          await ctx.raw.run(ctx.sql.upsertRecords(part.length), part.flatMap((r) => recordParams(jobId, batchId, r)));
        } else {
          for (const r of part) await ctx.raw.run(one, recordParams(jobId, batchId, r));
        }
        await ctx.raw.run(ctx.sql.updateBatch(), ['COMPLETED', part.length, 0, jobId, batchId]);
      }
      await ctx.raw.run(ctx.sql.upsertJob(), [jobId, 'COMPLETED', config, total, Date.now(), Date.now()]);
    }),
  );
}

export const importScenario: Scenario = {
  id: 'import',
  measures: 'a whole single-process import of 100,000 records in batches of 500, records/s, without and with write-behind',
  storeSide: 'saveJobState (all batches) → per batch updateBatchState(PROCESSING), saveProcessedRecord per record, updateBatchState(COMPLETED) → saveJobState(COMPLETED); default store, then recordBuffer: true',
  limitSide: 'job upsert + batch rows; per batch: UPDATE, one upsert per record (write-behind: one 500-row upsert), UPDATE; job upsert',
  async run(ctx) {
    const buffered = await openStore(ctx.location, ctx.prefix, { recordBuffer: true }, false);
    try {
      await importPair(ctx, ctx.store, ctx.size.importUnbufferedRecords, false);
      await importPair(ctx, buffered.store, ctx.size.importRecords, true);
    } finally {
      await buffered.store.close();
      await buffered.sequelize.close();
    }
  },
};
