/**
 * The engine's distributed worker loop at scale (issue 13, item 2), driven by
 * the project's engine model: test/engine/orchestrator.ts `prepareJob`
 * (saveBatchRecords per batch, one saveJobState) prepares the job, then
 * test/engine/distributedWorker.ts `workerLoop` runs reclaimStaleBatches →
 * claimBatch → getBatchRecords → getJobState → saveProcessedRecord per record
 * → updateBatchState (no worker id) → tryFinalizeJob, batches of 20, on a
 * worker store of its own with default options (a worker process). Cost per
 * batch = time inside store calls ÷ batches claimed, over all 200 batches of
 * a 200-batch job, and over the first and the last 200 of a 10,000-batch job.
 * Every run (store or limit) on tables of its own.
 */
import type { SequelizeStateStore } from '../../src';
import { workerLoop, type LoopConfig } from '../../test/engine/distributedWorker';
import { prepareJob } from '../../test/engine/orchestrator';
import type { Ctx } from '../lib/measure';
import { RawEngineStore } from '../lib/rawEngine';
import { scalingCompare, type PointCost, type RunPoints } from '../lib/scaling';
import { openStore, withOwnTables, type OwnTables } from '../lib/setup';
import { CallLog, perBatch, timed, type LogSnapshot } from '../lib/timed';
import type { Scenario } from './scenario';

const BATCH_SIZE = 20;
/** The engine's default `staleBatchTimeoutMs`. */
const STALE_MS = 900_000;

class Stop extends Error {}

/** Runs the worker loop until `batches` batches were claimed; their cost per batch. */
async function work(store: object, jobId: string, batches: number): Promise<PointCost> {
  const log = new CallLog();
  let claimed = 0;
  let claimedNow = false;
  let start: LogSnapshot = log.snapshot();
  // Store time and calls of the iterations that claimed a batch (an iteration runs between turn() and its release).
  const sum = { total: 0, ms: new Map<string, number>(), calls: new Map<string, number>() };
  const addDelta = (into: Map<string, number>, from: ReadonlyMap<string, number>, to: ReadonlyMap<string, number>): void => {
    for (const [method, total] of to) into.set(method, (into.get(method) ?? 0) + total - (from.get(method) ?? 0));
  };
  const cfg: LoopConfig = {
    jobId, workerId: 'bench-worker', staleMs: STALE_MS, fenced: false, heartbeatEvery: 10, failBatches: false,
    hang: () => Promise.reject(new Error('no hang in the bench')),
    turn: async () => {
      if (claimed >= batches) throw new Stop();
      start = log.snapshot();
      claimedNow = false;
      return () => {
        if (!claimedNow) return;
        claimed++;
        const end = log.snapshot();
        sum.total += end.total - start.total;
        addDelta(sum.ms, start.ms, end.ms);
        addDelta(sum.calls, start.calls, end.calls);
      };
    },
  };
  try {
    await workerLoop(timed(store, log) as SequelizeStateStore, cfg, async (m) => {
      if (m.type === 'claim') claimedNow = true;
    });
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
  }
  if (claimed !== batches) throw new Error(`the worker claimed ${claimed} batches, expected ${batches}`);
  return perBatch({ total: 0, ms: new Map(), calls: new Map() }, sum, claimed);
}

/** Marks the first `n` batches of the job (by index) COMPLETED and their records processed, as earlier workers would have. */
async function completeFirst(ctx: Ctx, t: OwnTables['store']['tables'], jobId: string, n: number): Promise<void> {
  const ph = (i: number): string => (ctx.raw.dialect === 'postgres' ? `$${i}` : '?');
  await ctx.raw.run(`UPDATE ${t.batches} SET status = 'COMPLETED', processed_count = ${BATCH_SIZE}, failed_count = 0, version = version + 2`
    + ` WHERE job_id = ${ph(1)} AND batch_index < ${ph(2)}`, [jobId, n]);
  await ctx.raw.run(`UPDATE ${t.records} SET status = 'processed' WHERE job_id = ${ph(1)} AND record_index < ${ph(2)}`, [jobId, n * BATCH_SIZE]);
}

export const engineWorker: Scenario = {
  id: 'engineWorker',
  measures: 'store cost per batch of the engine\'s distributed worker loop (batches of 20) on a 200-batch job and at the start and the end of a 10,000-batch job',
  storeSide: 'test/engine/distributedWorker.ts workerLoop on a worker store of its own, default options, after test/engine/orchestrator.ts prepareJob',
  limitSide: 'the same loop on raw SQL: reclaim UPDATE, raw claim, batch records SELECT, job row SELECT (total), single-row upserts, batch UPDATE, conditional job UPDATE',
  async run(ctx) {
    const { scaleSmall: small, scaleLarge: large, tail } = ctx.size;
    const window = Math.min(tail, small);
    // Each run on tables of its own (see withOwnTables): the orchestrator's store on them, and a worker store of its own.
    const side = (make: (own: OwnTables, worker: SequelizeStateStore) => object) => (): Promise<RunPoints> =>
      withOwnTables(ctx.location, ctx.raw, 'bew', async (own) => {
        const worker = await openStore(ctx.location, own.prefix, {}, false);
        try {
          const a = await prepareJob(own.store, { totalRecords: small * BATCH_SIZE, batchSize: BATCH_SIZE });
          const b = await prepareJob(own.store, { totalRecords: large * BATCH_SIZE, batchSize: BATCH_SIZE });
          const points: Record<string, PointCost> = {};
          points.small = await work(make(own, worker.store), a.jobId, small);
          points.head = await work(make(own, worker.store), b.jobId, window);
          await completeFirst(ctx, own.store.tables, b.jobId, large - window);
          points.tail = await work(make(own, worker.store), b.jobId, window);
          return points;
        } finally {
          await worker.store.close();
          await worker.sequelize.close();
        }
      });
    const big = large.toLocaleString('en');
    const method = 'per batch: reclaim UPDATE, claim (one UPDATE … RETURNING; MariaDB SELECT … FOR UPDATE SKIP LOCKED + UPDATE), SELECT of the batch\'s records,'
      + ' SELECT of the job row (the engine only needs totalRecords), 20 single-row upserts, UPDATE of the batch, conditional UPDATE of the job';
    await scalingCompare(ctx, [
      { id: 'engine-worker@10k-head', operation: `engine distributed worker loop, batches of ${BATCH_SIZE}: store cost per batch, job of ${small} batches (all) → job of ${big} (first ${window})`,
        small: 'small', large: 'head', smallLabel: `@${small}-batch job`, largeLabel: `@${big}-batch job, start`, window, limitMethod: method },
      { id: 'engine-worker@10k-tail', operation: `engine distributed worker loop, batches of ${BATCH_SIZE}: store cost per batch, job of ${small} batches (all) → job of ${big} (last ${window})`,
        small: 'small', large: 'tail', smallLabel: `@${small}-batch job`, largeLabel: `@${big}-batch job, end`, window, limitMethod: method },
    ], ctx.options.longRuns,
    side((_own, worker) => worker),
    side((own) => new RawEngineStore(ctx.raw, own.sql, 'worker')));
  },
};
