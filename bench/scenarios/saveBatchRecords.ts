/** `saveBatchRecords`: the orchestrator's bulk write. */
import { compare, createJob, rate, uid } from '../lib/measure';
import { recordParams } from '../lib/raw';
import { processedRecord } from '../lib/setup';
import type { Scenario } from './scenario';

export const saveBatchRecords: Scenario = {
  id: 'saveBatchRecords',
  measures: 'saveBatchRecords of many records in calls of 500, records/s',
  storeSide: 'store.saveBatchRecords per call of 500 records',
  limitSide: 'one plain multi-row INSERT of 500 rows per call',
  async run(ctx) {
    const { sbr: total, sbrCall: per } = ctx.size;
    const calls = Math.ceil(total / per);
    const parts = Array.from({ length: calls }, (_, c) =>
      Array.from({ length: Math.min(per, total - c * per) }, (_, i) => processedRecord(c * per + i)));
    await compare(
      ctx,
      { id: 'saveBatchRecords', operation: `saveBatchRecords, ${total.toLocaleString('en')} records in calls of ${per}`,
        unit: 'records/s', runs: ctx.options.longRuns, limitMethod: `one plain multi-row INSERT of ${per} rows per call` },
      async () => { const id = uid('sbr'); await createJob(ctx, id, true); return id; },
      (jobId) => rate(total, async () => {
        for (let c = 0; c < parts.length; c++) await ctx.store.saveBatchRecords(jobId, `${jobId}-b${c}`, parts[c] as never);
      }),
      (jobId) => rate(total, async () => {
        for (let c = 0; c < parts.length; c++) {
          const part = parts[c] as ReturnType<typeof processedRecord>[];
          await ctx.raw.run(ctx.sql.insertRecords(part.length), part.flatMap((r) => recordParams(jobId, `${jobId}-b${c}`, r)));
        }
      }),
    );
  },
};
