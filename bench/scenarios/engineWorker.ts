/**
 * The engine's distributed worker loop at scale (issue 13, item 2), driven by
 * the project's engine model: test/engine/orchestrator.ts `prepareJob`
 * (saveBatchRecords per batch, one saveJobState) prepares the job, then
 * test/engine/distributedWorker.ts `workerLoop` runs reclaimStaleBatches →
 * claimBatch → getBatchRecords → getJobState → saveProcessedRecord per record
 * → updateBatchState (no worker id) → tryFinalizeJob, batches of 20, on a
 * worker store of its own with default options (a worker process). Cost per
 * batch = time inside store calls ÷ batches claimed, over all 200 batches of
 * a 200-batch job, and over the first 200 of a 10,000-batch job and the last
 * 200 of another (its first 9,800 completed as earlier workers would have).
 * Every run (store or limit) on tables of its own.
 *
 * The three points are measured in turns of {@link SLICE} batches (200-batch
 * job, first job's head, second job's tail, again), not one after the other:
 * on SQLite a batch costs mostly the wait for its 22 commits (4 fsyncs each in
 * the default rollback-journal mode), and the disk's fsync latency drifts by
 * 2× within a minute (NOTES.md, finding 7), so points measured a minute apart
 * compared the disk at two moments. In turns, every point sees the same disk.
 */
import type { SequelizeStateStore } from '../../src';
import { workerLoop, type LoopConfig } from '../../test/engine/distributedWorker';
import { prepareJob } from '../../test/engine/orchestrator';
import type { Ctx } from '../lib/measure';
import { RawEngineStore } from '../lib/rawEngine';
import { scalingCompare, type PointCost, type RunPoints } from '../lib/scaling';
import { openStore, settleTables, withOwnTables, type OwnTables } from '../lib/setup';
import { CallLog, perBatch, timed } from '../lib/timed';
import type { Scenario } from './scenario';

const BATCH_SIZE = 20;
/** The engine's default `staleBatchTimeoutMs`. */
const STALE_MS = 900_000;
/**
 * Batches the worker takes from one job before turning to the next. A turn of
 * all three jobs takes 1–3 s on SQLite, so a job comes back after its copy of
 * the batches (`jobStateCacheMs`, 1 s) has expired and `getJobState` reloads
 * them once per 25 batches: about as often as in a worker that stays on one
 * job (once a second, every 25–50 batches).
 */
const SLICE = 25;

class Stop extends Error {}

/** Store time and calls of the loop iterations that claimed a batch, summed over the turns of one point. */
interface Tally {
  total: number;
  readonly ms: Map<string, number>;
  readonly calls: Map<string, number>;
  batches: number;
}

const tally = (): Tally => ({ total: 0, ms: new Map(), calls: new Map(), batches: 0 });

/** Runs the worker loop until `batches` batches were claimed; adds their store time and calls to `sum`. */
async function work(store: object, jobId: string, batches: number, sum: Tally): Promise<void> {
  const log = new CallLog();
  let claimed = 0;
  let claimedNow = false;
  let start = log.snapshot();
  const addDelta = (into: Map<string, number>, from: ReadonlyMap<string, number>, to: ReadonlyMap<string, number>): void => {
    for (const [method, total] of to) into.set(method, (into.get(method) ?? 0) + total - (from.get(method) ?? 0));
  };
  const cfg: LoopConfig = {
    jobId, workerId: 'bench-worker', staleMs: STALE_MS, fenced: false, heartbeatEvery: 10, failBatches: false,
    hang: () => Promise.reject(new Error('no hang in the bench')),
    // An iteration runs between turn() and its release; only those that claimed a batch count.
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
  sum.batches += claimed;
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
  storeSide: 'test/engine/distributedWorker.ts workerLoop on a worker store of its own, default options, after test/engine/orchestrator.ts prepareJob; the three points in turns of 25 batches',
  limitSide: 'the same loop on raw SQL: reclaim UPDATE, raw claim, batch records SELECT, job row SELECT (total), single-row upserts, batch UPDATE, conditional job UPDATE',
  async run(ctx) {
    const { scaleSmall: small, scaleLarge: large, tail } = ctx.size;
    const window = Math.min(tail, small);
    // Each run on tables of its own (see withOwnTables): the orchestrator's store on them, and a worker store of its own.
    const side = (make: (own: OwnTables, worker: SequelizeStateStore) => object) => (): Promise<RunPoints> =>
      withOwnTables(ctx.location, ctx.raw, 'bew', async (own) => {
        const worker = await openStore(ctx.location, own.prefix, {}, false);
        try {
          const jobs = {
            small: await prepareJob(own.store, { totalRecords: small * BATCH_SIZE, batchSize: BATCH_SIZE }),
            head: await prepareJob(own.store, { totalRecords: large * BATCH_SIZE, batchSize: BATCH_SIZE }),
            tail: await prepareJob(own.store, { totalRecords: large * BATCH_SIZE, batchSize: BATCH_SIZE }),
          };
          await completeFirst(ctx, own.store.tables, jobs.tail.jobId, large - window);
          await settleTables(ctx.raw, [own.store.tables.jobs, own.store.tables.batches, own.store.tables.records]);
          const want = { small, head: window, tail: window };
          const sums = { small: tally(), head: tally(), tail: tally() };
          const names = ['small', 'head', 'tail'] as const;
          // Turns until every point has its batches; which point goes first rotates.
          for (let turn = 0; names.some((n) => sums[n].batches < want[n]); turn++) {
            for (let i = 0; i < names.length; i++) {
              const name = names[(i + turn) % names.length] as (typeof names)[number];
              const left = want[name] - sums[name].batches;
              if (left > 0) await work(make(own, worker.store), jobs[name].jobId, Math.min(SLICE, left), sums[name]);
            }
          }
          const points: Record<string, PointCost> = {};
          for (const name of names) points[name] = perBatch(tally(), sums[name], sums[name].batches);
          return points;
        } finally {
          await worker.store.close();
          await worker.sequelize.close();
        }
      });
    const big = large.toLocaleString('en');
    const method = 'per batch: reclaim UPDATE, claim (one UPDATE … RETURNING; MariaDB SELECT … FOR UPDATE SKIP LOCKED + UPDATE), SELECT of the batch\'s records,'
      + ' SELECT of the job row (the engine only needs totalRecords), 20 single-row upserts, UPDATE of the batch, conditional UPDATE of the job;'
      + ` the three points in turns of ${SLICE} batches`;
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
