/** `getProgress` and `getDistributedStatus` on a job of 100,000 records and 10,000 batches. */
import { compare, createJob, rate, uid } from '../lib/measure';
import { dropJob, seedBatches, seedRecords } from '../lib/setup';
import type { Scenario } from './scenario';

export const reads: Scenario = {
  id: 'reads',
  measures: 'getProgress and getDistributedStatus calls/s on a half-done job of 100,000 records and 10,000 batches',
  storeSide: 'store.getProgress, store.getDistributedStatus',
  limitSide: 'job row + records GROUP BY status + batches GROUP BY status; batches GROUP BY status',
  async run(ctx) {
    const { readRecords, readBatches, readCalls: n } = ctx.size;
    const jobId = uid('rd');
    await createJob(ctx, jobId, true, readRecords);
    await seedBatches(ctx.raw, ctx.store.tables.batches, jobId, readBatches, Math.floor(readBatches / 2), readRecords / readBatches);
    await seedRecords(ctx.raw, ctx.store.tables.records, jobId, readRecords, readRecords / readBatches);
    if (ctx.location.dialect === 'postgres') {
      await ctx.raw.run(`ANALYZE ${ctx.store.tables.records}`);
      await ctx.raw.run(`ANALYZE ${ctx.store.tables.batches}`);
    }
    const size = `${readRecords.toLocaleString('en')} records, ${readBatches.toLocaleString('en')} batches`;
    try {
      // Warm caches on both paths.
      await ctx.store.getProgress(jobId);
      await ctx.store.getDistributedStatus(jobId);
      const same = async (): Promise<string> => jobId;
      await compare(
        ctx,
        { id: 'getProgress', operation: `getProgress, job of ${size}`, unit: 'calls/s', runs: ctx.options.shortRuns, keepJob: true,
          limitMethod: 'job row + records GROUP BY status + batches GROUP BY status' },
        same,
        () => rate(n, async () => { for (let i = 0; i < n; i++) await ctx.store.getProgress(jobId); }),
        () => rate(n, async () => {
          for (let i = 0; i < n; i++) {
            await ctx.raw.rows(ctx.sql.jobHead(), [jobId]);
            await ctx.raw.rows(ctx.sql.countRecords(), [jobId]);
            await ctx.raw.rows(ctx.sql.countBatches(), [jobId]);
          }
        }),
      );
      await compare(
        ctx,
        { id: 'getDistributedStatus', operation: `getDistributedStatus, job of ${size}`, unit: 'calls/s', runs: ctx.options.shortRuns, keepJob: true,
          limitMethod: 'batches GROUP BY status' },
        same,
        () => rate(n * 10, async () => { for (let i = 0; i < n * 10; i++) await ctx.store.getDistributedStatus(jobId); }),
        () => rate(n * 10, async () => { for (let i = 0; i < n * 10; i++) await ctx.raw.rows(ctx.sql.countBatches(), [jobId]); }),
      );
    } finally {
      await dropJob(ctx.raw, ctx.store.tables, jobId);
    }
  },
};
