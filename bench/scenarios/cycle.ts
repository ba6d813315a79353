/** One worker's claim + complete + finalize cycle, on a small job and at both ends of a large one. */
import { rawCycle, storeCycle } from '../lib/cycles';
import { compare, createJob, rate, uid, type Ctx } from '../lib/measure';
import type { Figure } from '../lib/results';
import { seedBatches } from '../lib/setup';
import type { Scenario } from './scenario';

/** The raw claim-and-complete cycle of a dialect, as the limit's method. */
export function cycleMethod(ctx: Ctx): string {
  return ctx.location.dialect === 'mariadb'
    ? 'START TRANSACTION; SELECT … FOR UPDATE SKIP LOCKED LIMIT 1; UPDATE; COMMIT + UPDATE batch + conditional UPDATE job'
    : `UPDATE … WHERE batch_id = (SELECT … ORDER BY batch_index LIMIT 1${ctx.location.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''}) RETURNING + UPDATE batch + conditional UPDATE job`;
}

/** A job of `n` batches of 500, the first `completed` of them COMPLETED. */
export async function seedCycleJob(ctx: Ctx, tag: string, n: number, completed: number): Promise<string> {
  const jobId = uid(tag);
  await createJob(ctx, jobId, true, n * 500);
  await seedBatches(ctx.raw, ctx.store.tables.batches, jobId, n, completed, 500);
  return jobId;
}

export const cycle: Scenario = {
  id: 'cycle',
  measures: 'claim+complete+finalize cycles of one worker, cycles/s, on a 200-batch job and at the start and the end of a 10,000-batch job',
  storeSide: 'claimBatch → updateBatchState(COMPLETED) → tryFinalizeJob',
  limitSide: 'the claim in one statement (MariaDB: SELECT … FOR UPDATE SKIP LOCKED + UPDATE in a transaction), UPDATE of the batch, one conditional UPDATE of the job',
  async run(ctx) {
    const { cycleJob, bigJob, tail } = ctx.size;
    const cycles = (n: number, tailFrom: number | undefined, label: string, id: string): Promise<Figure> => {
      const todo = Math.min(tail, n - (tailFrom ?? 0));
      return compare(
        ctx,
        { id, operation: label, unit: 'cycles/s', runs: ctx.options.shortRuns, limitMethod: cycleMethod(ctx) },
        () => seedCycleJob(ctx, 'cyc', n, tailFrom ?? 0),
        (jobId) => rate(todo, async () => {
          for (let i = 0; i < todo; i++) if (!(await storeCycle(ctx.store, jobId, 'w1'))) throw new Error(`store: nothing to claim at cycle ${i}`);
        }),
        (jobId) => rate(todo, async () => {
          for (let i = 0; i < todo; i++) if (!(await rawCycle(ctx.raw, ctx.sql, jobId, 'w1'))) throw new Error(`raw: nothing to claim at cycle ${i}`);
        }),
      );
    };
    const big = bigJob.toLocaleString('en');
    await cycles(cycleJob, undefined, `claim+complete+finalize, 1 worker, job of ${cycleJob} batches (all)`, 'cycle@200');
    await cycles(bigJob, undefined, `claim+complete+finalize, 1 worker, job of ${big} batches (first ${tail})`, 'cycle@10k-head');
    await cycles(bigJob, bigJob - tail, `claim+complete+finalize, 1 worker, job of ${big} batches (last ${tail})`, 'cycle@10k-tail');
  },
};
