/**
 * What PostgreSQL's progress counters cost the write path: the triggers on
 * the batches table run in every claim and every report. One worker's
 * claim+complete+finalize cycles on tables with the counters (store side)
 * and on tables without them (the "limit" side here: the same store calls,
 * counters dropped after `initialize()`), each on tables of their own.
 * Informational: no target; the ratio is with ÷ without.
 */
import type { SequelizeStateStore } from '../../src';
import { postgresCounters } from '../../src/store/dialects/postgresCounters';
import { distributedJob } from '../../test/reliability/helpers';
import { storeCycle } from '../lib/cycles';
import { compare, rate, uid } from '../lib/measure';
import { withOwnTables } from '../lib/setup';
import type { Scenario } from './scenario';

const BATCHES = 400;

export const counters: Scenario = {
  id: 'counters',
  dialects: ['postgres'],
  measures: 'claim+complete+finalize cycles/s of one worker with the progress counters (triggers) and without them, PostgreSQL',
  storeSide: 'claimBatch → updateBatchState → tryFinalizeJob on tables with the progress counters',
  limitSide: 'the same store calls on tables without the counters (dropped after initialize()); not a raw-driver limit',
  async run(ctx) {
    await withOwnTables(ctx.location, ctx.raw, 'bcw', (withCounters) => withOwnTables(ctx.location, ctx.raw, 'bcn', async (without) => {
      const progress = without.store.tables.progress;
      if (!progress) throw new Error('counters scenario: the dialect keeps no progress counters');
      await without.sequelize.query(postgresCounters.drop({ batches: without.store.tables.batches, progress, prefix: without.prefix }));
      const stores: Record<string, SequelizeStateStore> = { store: withCounters.store, limit: without.store };
      const cycles = (store: SequelizeStateStore) => (jobId: string) => rate(BATCHES, async () => {
        for (let i = 0; i < BATCHES; i++) if (!(await storeCycle(store, jobId, 'w1'))) throw new Error(`nothing to claim at cycle ${i}`);
      });
      await compare(
        ctx,
        { id: 'counters', operation: `claim+complete+finalize, 1 worker, job of ${BATCHES} batches: with progress counters ÷ without`,
          unit: 'cycles/s', runs: ctx.options.shortRuns, keepJob: true, limitMethod: 'the same store calls on tables without the progress counters' },
        async (side) => {
          const jobId = uid('ctr');
          await (stores[side] as SequelizeStateStore).saveJobState(distributedJob(jobId, Array.from({ length: BATCHES }, (_, i) => `b${i}`), 500));
          return jobId;
        },
        cycles(withCounters.store),
        cycles(without.store),
      );
    }));
  },
};
