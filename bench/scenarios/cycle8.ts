/** Claim throughput of 8 worker processes on one job. */
import { compare, now, type Sample } from '../lib/measure';
import { startWorkers } from '../lib/workers';
import { seedCycleJob } from './cycle';
import type { Scenario } from './scenario';

export const cycle8: Scenario = {
  id: 'cycle8',
  measures: 'claim+complete+finalize cycles/s of 8 forked worker processes draining one job',
  storeSide: 'each process: its own Sequelize instance and store, claimBatch → updateBatchState → tryFinalizeJob until nothing is left',
  limitSide: 'the same raw cycle from 8 processes, one raw connection each',
  async run(ctx) {
    const { workers: n, workerJob } = ctx.size;
    const workers = await startWorkers(ctx.location, ctx.prefix, n);
    try {
      const go = async (mode: 'store' | 'raw', jobId: string): Promise<Sample> => {
        const start = now();
        const results = await Promise.all(workers.map((w, i) => w.go(mode, jobId, `w${i}`)));
        const ms = now() - start;
        const total = results.reduce((a, b) => a + b.cycles, 0);
        if (total !== workerJob) throw new Error(`${mode}: ${total} cycles for ${workerJob} batches`);
        return { rate: (total / ms) * 1000, cpuUs: results.reduce((a, b) => a + b.cpuUs, 0) / total };
      };
      await compare(
        ctx,
        { id: 'cycle8', operation: `claim+complete+finalize, ${n} worker processes, job of ${workerJob.toLocaleString('en')} batches`,
          unit: 'cycles/s', runs: ctx.options.longRuns, limitMethod: `the same raw cycle from ${n} processes, one raw connection each` },
        () => seedCycleJob(ctx, 'c8', workerJob, 0),
        (jobId) => go('store', jobId),
        (jobId) => go('raw', jobId),
      );
    } finally {
      await Promise.all(workers.map((w) => w.exit()));
    }
  },
};
