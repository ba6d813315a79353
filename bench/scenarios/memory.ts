/** Heap before and after many calls on a job of 1,000,000 records and 10,000 batches. */
import { storeCycle } from '../lib/cycles';
import { createJob, mb, settleHeap, uid } from '../lib/measure';
import type { MemoryFigure } from '../lib/results';
import { dropJob, seedBatches, seedRecords } from '../lib/setup';
import type { Scenario } from './scenario';

export const memory: Scenario = {
  id: 'memory',
  measures: 'heap (after forced GC) before and after 1,000 claim/complete cycles with getProgress and getDistributedStatus interleaved, on a job of 1,000,000 records / 10,000 batches; peak sampled every 2 ms',
  storeSide: 'store.claimBatch / updateBatchState / tryFinalizeJob / getProgress / getDistributedStatus',
  limitSide: 'none (a memory check)',
  async run(ctx) {
    const { memRecords, memBatches, memCycles, memReads } = ctx.size;
    const jobId = uid('mem');
    const per = memRecords / memBatches;
    await createJob(ctx, jobId, true, memRecords, per);
    await seedBatches(ctx.raw, ctx.store.tables.batches, jobId, memBatches, 0, per);
    await seedRecords(ctx.raw, ctx.store.tables.records, jobId, memRecords, per);
    try {
      // Warm up (code paths, connection pool, statement caches).
      await storeCycle(ctx.store, jobId, 'mem');
      await ctx.store.getProgress(jobId);
      await ctx.store.getDistributedStatus(jobId);
      const gc = settleHeap();
      const before = process.memoryUsage();
      let peak = before.heapUsed;
      const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().heapUsed); }, 2);
      for (let i = 0; i < memCycles; i++) {
        await storeCycle(ctx.store, jobId, 'mem');
        if (i % Math.floor(memCycles / memReads) === 0) {
          await ctx.store.getProgress(jobId);
          await ctx.store.getDistributedStatus(jobId);
        }
      }
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().heapUsed);
      settleHeap();
      const after = process.memoryUsage();
      const figure: MemoryFigure = {
        dialect: ctx.location.dialect,
        records: memRecords,
        batches: memBatches,
        calls: `${memCycles} claim+complete+finalize cycles, ${memReads} getProgress, ${memReads} getDistributedStatus`,
        heapBeforeMb: mb(before.heapUsed),
        heapAfterMb: mb(after.heapUsed),
        heapPeakMb: mb(peak),
        rssBeforeMb: mb(before.rss),
        rssAfterMb: mb(after.rss),
        gcExposed: gc,
      };
      ctx.memory = figure;
      console.log(`  memory ${figure.dialect}: job of ${figure.records.toLocaleString('en')} records / ${figure.batches.toLocaleString('en')} batches;`
        + ` ${figure.calls}: heap ${figure.heapBeforeMb} MB → ${figure.heapAfterMb} MB (peak ${figure.heapPeakMb} MB)${gc ? '' : ' [no --expose-gc]'}`);
    } finally {
      await dropJob(ctx.raw, ctx.store.tables, jobId);
    }
  },
};
