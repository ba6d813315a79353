/** `saveProcessedRecord`, sequential: the hot path of every import. */
import { compare, createJob, rate, uid } from '../lib/measure';
import { recordParams } from '../lib/raw';
import { dropJob, processedRecord } from '../lib/setup';
import type { Scenario } from './scenario';

export const saveProcessedRecord: Scenario = {
  id: 'saveProcessedRecord',
  measures: 'sequential saveProcessedRecord calls on one job, records/s',
  storeSide: 'store.saveProcessedRecord per record (default options: one upsert per call)',
  limitSide: 'one single-row INSERT … ON CONFLICT / ON DUPLICATE KEY UPDATE per record',
  async run(ctx) {
    const n = ctx.size.spr;
    const records = Array.from({ length: n }, (_, i) => processedRecord(i));
    const upsert = ctx.sql.upsertRecords(1);
    // The first scenario of a run: warm both sides up (JIT, pools, caches) untimed.
    const warm = uid('sprw');
    await createJob(ctx, warm, false);
    for (const r of records.slice(0, 500)) {
      await ctx.store.saveProcessedRecord(warm, 'b0', r);
      await ctx.raw.run(upsert, recordParams(warm, 'b0', r));
    }
    await dropJob(ctx.raw, ctx.store.tables, warm);
    await compare(
      ctx,
      { id: 'saveProcessedRecord', operation: `saveProcessedRecord, sequential (${n} calls)`, unit: 'records/s',
        runs: ctx.options.shortRuns, limitMethod: this.limitSide },
      async () => { const id = uid('spr'); await createJob(ctx, id, false); return id; },
      (jobId) => rate(n, async () => {
        for (const r of records) await ctx.store.saveProcessedRecord(jobId, 'b0', r);
      }),
      (jobId) => rate(n, async () => {
        for (const r of records) await ctx.raw.run(upsert, recordParams(jobId, 'b0', r));
      }),
    );
  },
};
