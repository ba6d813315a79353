/**
 * The dashboard's speed target (issue 14): on a job of 1,000,000 records and
 * 10,000 batches (bench/lib/dashboardSeed.ts), each API call the job page
 * makes answers in ≤ 100 ms and `getProgress` in ≤ 5 ms — on PostgreSQL; the
 * other dialects are timed against the same budgets for information. After a
 * warm-up, the median of several calls of each HTTP call the pages make
 * (through a dashboard on a local port: store, JSON and HTTP together) and
 * of the store calls behind them. Tables under a prefix of their own.
 */
import { performance } from 'perf_hooks';
import { SequelizeStateStore } from '../../src';
import { serveDashboard } from '../../src/dashboard';
import { DASHBOARD_JOB as JOB, dashboardShape, seedDashboardJob } from '../lib/dashboardSeed';
import { settleHeap } from '../lib/measure';
import { ms } from '../lib/print';
import type { DashboardCall } from '../lib/results';
import { connect, dropStoreTables } from '../lib/setup';
import type { Scenario } from './scenario';

const BUDGET = { api: 100, getProgress: 5 };

/** Median and min of `runs` timed calls after `warm` untimed ones, ms (GC forced before each). */
async function time(fn: () => Promise<unknown>, runs: number, warm = 3): Promise<{ median: number; min: number }> {
  for (let i = 0; i < warm; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    settleHeap();
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] as number, min: times[0] as number };
}

export const dashboard: Scenario = {
  id: 'dashboard',
  measures: 'the dashboard job page\'s API calls and the store calls behind them, median ms, on a job of 1,000,000 records / 10,000 batches in flight',
  storeSide: 'HTTP GET of each API call of the job and jobs pages (serveDashboard on a local port); store.getProgress, getJobState (cached and not), listBatches, databaseTime, listFailedRecords, listJobs, countJobs',
  limitSide: 'none: budgets (API ≤ 100 ms, getProgress ≤ 5 ms, set for PostgreSQL)',
  async run(ctx) {
    const { dashRecords: records, dashBatches: batches, dashRuns: runs } = ctx.size;
    const { completed } = dashboardShape(records, batches);
    const sequelize = connect(ctx.location);
    const prefix = `bd${process.pid.toString(36)}_`;
    const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    // What a page refresh 2 s later sees: the job's batches read again.
    const uncached = new SequelizeStateStore(sequelize, { tablePrefix: prefix, jobStateCacheMs: 0 });
    let served: Awaited<ReturnType<typeof serveDashboard>> | undefined;
    try {
      await store.initialize();
      const now = await store.databaseTime();
      const t0 = performance.now();
      await seedDashboardJob(sequelize, store, Number(now), records, batches);
      const seedMs = performance.now() - t0;
      console.log(`  seeded ${records.toLocaleString('en')} records in ${batches.toLocaleString('en')} batches in ${(seedMs / 1000).toFixed(1)} s (prefix ${prefix})`);
      served = await serveDashboard(store, { port: 0, metrics: false, staleAfterMs: 60_000 });
      const base = served.url;
      const id = encodeURIComponent(JOB);
      const job = await (await fetch(`${base}api/job?id=${id}`)).json() as { job: { startedAt: number } };
      const sizes: Record<string, number> = {};
      const http = (name: string, url: string) => async (): Promise<void> => {
        const res = await fetch(url);
        const body = await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${name}: ${res.status} ${Buffer.from(body).toString()}`);
        sizes[name] = body.byteLength;
      };
      const calls: Array<[string, 'api' | 'store', () => Promise<unknown>, number | null]> = [
        ['GET api/job (job page: job + progress)', 'api', http('job', `${base}api/job?id=${id}`), BUDGET.api],
        ['GET api/job/batches?view=map (batch map, workers, chart)', 'api', http('map', `${base}api/job/batches?id=${id}&view=map&running=1&startedAt=${job.job.startedAt}`), BUDGET.api],
        ['GET api/job/failed (25 failed records)', 'api', http('failed', `${base}api/job/failed?id=${id}&offset=0&limit=25`), BUDGET.api],
        ['GET api/job/failed, last page', 'api', http('failedLast', `${base}api/job/failed?id=${id}&offset=${completed * 2 - 25}&limit=25`), BUDGET.api],
        ['GET api/jobs (jobs page)', 'api', http('jobs', `${base}api/jobs?offset=0&limit=25`), BUDGET.api],
        ['GET api/job/batches (full)', 'api', http('batches', `${base}api/job/batches?id=${id}`), null],
        ['store.getProgress', 'store', () => store.getProgress(JOB), BUDGET.getProgress],
        ['store.getJobState (cached, jobStateCacheMs 1000)', 'store', () => store.getJobState(JOB), null],
        ['store.getJobState (uncached)', 'store', () => uncached.getJobState(JOB), null],
        ['store.listBatches', 'store', () => store.listBatches(JOB), null],
        ['store.databaseTime', 'store', () => store.databaseTime(), null],
        ['store.listFailedRecords (25)', 'store', () => store.listFailedRecords(JOB, { limit: 25 }), null],
        ['store.listJobs (25)', 'store', () => store.listJobs({ limit: 25 }), null],
        ['store.countJobs', 'store', () => store.countJobs(), null],
      ];
      const results: DashboardCall[] = [];
      for (const [name, kind, fn, budget] of calls) {
        const { median, min } = await time(fn, runs);
        const ok = budget === null ? undefined : median <= budget;
        results.push({ name, kind, medianMs: +median.toFixed(2), minMs: +min.toFixed(2), budgetMs: budget, ok });
        console.log(`  ${name.padEnd(58)} ${ms(median).padStart(8)} ms (min ${ms(min)})${budget === null ? '' : ` budget ${budget} ms ${ok ? 'ok' : 'OVER'}`}`);
      }
      console.log(`  payloads (bytes): ${Object.entries(sizes).map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(', ')}`);
      ctx.dashboard = { records, batches, runs, seedMs: Math.round(seedMs), payloadBytes: sizes, results, budgetsApply: ctx.location.dialect === 'postgres' };
    } finally {
      await served?.close();
      await store.close();
      await uncached.close();
      await dropStoreTables(store, prefix);
      await sequelize.close();
    }
  },
};
