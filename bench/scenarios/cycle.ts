/**
 * One worker's claim + complete + finalize cycle, on a small job and at both
 * ends of a large one. Every run (store or limit) on tables of its own (see
 * `withOwnTables`): the target compares the store's cost on the 10,000-batch
 * job with its cost on the 200-batch one, and on the shared tables the later
 * rows also paid for the dead rows and bloat every earlier run left (on
 * PostgreSQL the raw limit's own cost grew 1.67× between the two).
 */
import type { SequelizeStateStore } from '../../src';
import { rawCycle, storeCycle } from '../lib/cycles';
import { compare, rate, uid, type Ctx, type Sample } from '../lib/measure';
import type { RawSql } from '../lib/raw';
import type { Figure } from '../lib/results';
import { seedBatches, settleTables, withOwnTables } from '../lib/setup';
import type { Scenario } from './scenario';

/** The raw claim-and-complete cycle of a dialect, as the limit's method. */
export function cycleMethod(ctx: Ctx): string {
  return ctx.location.dialect === 'mariadb'
    ? 'START TRANSACTION; SELECT … FOR UPDATE SKIP LOCKED LIMIT 1; UPDATE; COMMIT + UPDATE batch + conditional UPDATE job'
    : `UPDATE … WHERE batch_id = (SELECT … ORDER BY batch_index LIMIT 1${ctx.location.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''}) RETURNING + UPDATE batch + conditional UPDATE job`;
}

/** A job of `n` batches of 500, the first `completed` of them COMPLETED (through `store`: the run's own, else the shared one). */
export async function seedCycleJob(ctx: Ctx, tag: string, n: number, completed: number, store: SequelizeStateStore = ctx.store): Promise<string> {
  const jobId = uid(tag);
  await store.saveJobState({ id: jobId, config: { batchSize: 500 }, status: 'PROCESSING', batches: [], totalRecords: n * 500, startedAt: Date.now(), distributed: true });
  await seedBatches(ctx.raw, store.tables.batches, jobId, n, completed, 500);
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
      // Seeds the job on tables created for this run and lets the server catch up on its
      // upkeep (untimed, see settleTables), times `todo` cycles, drops the tables.
      const onOwnTables = (cycle: (store: SequelizeStateStore, sql: RawSql, jobId: string) => Promise<boolean>) => (): Promise<Sample> =>
        withOwnTables(ctx.location, ctx.raw, 'bcy', async (own) => {
          const jobId = await seedCycleJob(ctx, 'cyc', n, tailFrom ?? 0, own.store);
          await settleTables(ctx.raw, [own.store.tables.jobs, own.store.tables.batches]);
          return rate(todo, async () => {
            for (let i = 0; i < todo; i++) if (!(await cycle(own.store, own.sql, jobId))) throw new Error(`${id}: nothing to claim at cycle ${i}`);
          });
        });
      return compare(
        ctx,
        // Nothing shared to prepare or drop: each run seeds and drops its own tables.
        { id, operation: label, unit: 'cycles/s', runs: ctx.options.shortRuns, limitMethod: cycleMethod(ctx), keepJob: true },
        () => Promise.resolve(''),
        onOwnTables((store, _sql, jobId) => storeCycle(store, jobId, 'w1')),
        onOwnTables((_store, sql, jobId) => rawCycle(ctx.raw, sql, jobId, 'w1')),
      );
    };
    const big = bigJob.toLocaleString('en');
    await cycles(cycleJob, undefined, `claim+complete+finalize, 1 worker, job of ${cycleJob} batches (all)`, 'cycle@200');
    await cycles(bigJob, undefined, `claim+complete+finalize, 1 worker, job of ${big} batches (first ${tail})`, 'cycle@10k-head');
    await cycles(bigJob, bigJob - tail, `claim+complete+finalize, 1 worker, job of ${big} batches (last ${tail})`, 'cycle@10k-tail');
  },
};
