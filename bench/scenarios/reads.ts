/** `getProgress` and `getDistributedStatus` on a job of 100,000 records and 10,000 batches. */
import { compare, createJob, rate, uid } from '../lib/measure';
import { dropJob, seedBatches, seedRecords } from '../lib/setup';
import type { Scenario } from './scenario';

export const reads: Scenario = {
  id: 'reads',
  measures: 'getProgress and getDistributedStatus calls/s on a job of 100,000 records and 10,000 batches, half done, 1 % of the batches in flight',
  storeSide: 'store.getProgress, store.getDistributedStatus (on PostgreSQL from the progress counters, so the limit there does more work than the store)',
  limitSide: 'job row + batch rows GROUP BY status (+ records of the batches in flight GROUP BY status, when there are any); batches GROUP BY status',
  async run(ctx) {
    const { readRecords, readBatches, readCalls: n } = ctx.size;
    const jobId = uid('rd');
    await createJob(ctx, jobId, true, readRecords);
    await seedBatches(ctx.raw, ctx.store.tables.batches, jobId, readBatches, Math.floor(readBatches / 2), readRecords / readBatches);
    await seedRecords(ctx.raw, ctx.store.tables.records, jobId, readRecords, readRecords / readBatches);
    // 1 % of the batches in flight (claimed), so that progress also counts their records.
    const half = Math.floor(readBatches / 2);
    const ph = (i: number): string => (ctx.raw.dialect === 'postgres' ? `$${i}` : '?');
    await ctx.raw.run(`UPDATE ${ctx.store.tables.batches} SET status = 'PROCESSING', worker_id = 'w', version = 1`
      + ` WHERE job_id = ${ph(1)} AND batch_index >= ${ph(2)} AND batch_index < ${ph(3)}`, [jobId, half, half + Math.ceil(readBatches / 100)]);
    if (ctx.location.dialect === 'postgres') {
      await ctx.raw.run(`ANALYZE ${ctx.store.tables.records}`);
      await ctx.raw.run(`ANALYZE ${ctx.store.tables.batches}`);
    }
    const size = `${readRecords.toLocaleString('en')} records, ${readBatches.toLocaleString('en')} batches (half done, 1 % in flight)`;
    try {
      // Warm caches on both paths.
      await ctx.store.getProgress(jobId);
      await ctx.store.getDistributedStatus(jobId);
      const same = async (): Promise<string> => jobId;
      await compare(
        ctx,
        { id: 'getProgress', operation: `getProgress, job of ${size}`, unit: 'calls/s', runs: ctx.options.shortRuns, keepJob: true,
          limitMethod: 'job row + batch rows GROUP BY status and version = 0 with their sums; records of the batches in flight GROUP BY status when there are any (a distributed job\'s never-claimed batches count by their record range)' },
        same,
        () => rate(n, async () => { for (let i = 0; i < n; i++) await ctx.store.getProgress(jobId); }),
        () => rate(n, async () => {
          for (let i = 0; i < n; i++) {
            await ctx.raw.rows(ctx.sql.jobHead(), [jobId]);
            const groups = await ctx.raw.rows<{ status: string; fresh: unknown }>(ctx.sql.batchAggregate(), [jobId]);
            const live = groups.some((g) => g.status === 'PROCESSING' || g.status === 'PAUSED' || (g.status === 'PENDING' && Number(g.fresh) !== 1));
            if (live) await ctx.raw.rows(ctx.sql.liveRecords(), [jobId, jobId]);
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
