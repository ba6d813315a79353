/**
 * `npm run bench` — measures the store against the database's own limit.
 *
 * For every operation, in the same run and on the same database and tables,
 * the store (through Sequelize) and the raw driver (`pg`, `mariadb`,
 * `sqlite3`, hand-written SQL) do the same work; each side runs several
 * times, alternating, and the median rate is kept. Prints a table
 * (operation, dialect, store rate, limit rate, store/limit) and writes
 * `bench/results/latest.json` plus `bench/results/<dialect>.json`.
 *
 * Options (also as env: BENCH_QUICK=1, BENCH_DIALECT=…, BENCH_ONLY=…):
 *   --quick               small sizes, for a smoke run
 *   --dialect a,b         sqlite, postgres, mariadb (default: all whose URL is set)
 *   --only op1,op2        run only these operations (ids in OPERATIONS)
 *   --runs N              runs per measurement (default 5 for short ones, 3 for long ones)
 *   --update-md           rewrite bench/RESULTS.md from bench/results/<dialect>.json
 *
 * Databases: SQLite (a temp file) always; PostgreSQL with PG_URL, MariaDB with MARIADB_URL.
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Batch, JobState, SequelizeStateStore } from '../src';
import { rawCycle, storeCycle } from './lib/cycles';
import { RawSql, recordParams } from './lib/raw';
import { writeMarkdown } from './lib/report';
import {
  dropJob, locations, openRaw, openStore, processedRecord, seedBatches, seedRecords,
  type BenchDialect, type Location, type RawConnection,
} from './lib/setup';

// ts-node installs source-map-support, which makes every `error.stack` read
// map each frame through source maps. Sequelize builds an Error and reads its
// stack on every SQLite query, so under ts-node the store would pay a cost a
// compiled deployment does not. Measure as compiled code runs: V8's own traces.
(Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;

// ------------------------------------------------------------------ options

const argv = process.argv.slice(2);
function flag(name: string): boolean {
  return argv.includes(`--${name}`);
}
function option(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

const QUICK = flag('quick') || process.env.BENCH_QUICK === '1';
const DIALECTS = (option('dialect') ?? process.env.BENCH_DIALECT)?.split(',').map((s) => s.trim()).filter(Boolean);
const ONLY = (option('only') ?? process.env.BENCH_ONLY)?.split(',').map((s) => s.trim()).filter(Boolean);
const RUNS = option('runs') ? Number(option('runs')) : undefined;

/** Sizes of every measurement; `--quick` shrinks them. */
const SIZE = QUICK
  ? { spr: 300, sbr: 10_000, sbrCall: 500, cycleJob: 200, bigJob: 2_000, tail: 200, workers: 8, workerJob: 400,
    readRecords: 10_000, readBatches: 1_000, readCalls: 10, importRecords: 10_000, importUnbufferedRecords: 1_000, batchSize: 500,
    memRecords: 100_000, memBatches: 1_000, memCycles: 200, memReads: 20 }
  : { spr: 5_000, sbr: 100_000, sbrCall: 500, cycleJob: 200, bigJob: 10_000, tail: 200, workers: 8, workerJob: 2_000,
    readRecords: 100_000, readBatches: 10_000, readCalls: 20, importRecords: 100_000, importUnbufferedRecords: 100_000, batchSize: 500,
    memRecords: 1_000_000, memBatches: 10_000, memCycles: 1_000, memReads: 50 };
const SHORT_RUNS = RUNS ?? (QUICK ? 3 : 5);
const LONG_RUNS = RUNS ?? 3;

// ------------------------------------------------------------------ results

/** One line of the table: rates are "units per second", higher is better. */
export interface Figure {
  readonly id: string;
  readonly operation: string;
  readonly dialect: BenchDialect;
  readonly unit: string;
  /** Median rate of the store. */
  readonly store: number;
  /** Median rate of the raw driver (the limit). */
  readonly limit: number;
  /** store / limit. */
  readonly ratio: number;
  readonly storeRuns: number[];
  readonly limitRuns: number[];
  readonly limitMethod: string;
  /** Median CPU time of this (client) process per unit, µs: store side and raw side. */
  readonly storeCpuUs: number;
  readonly limitCpuUs: number;
}

/** Heap figures of the memory check. */
export interface MemoryFigure {
  readonly dialect: BenchDialect;
  readonly records: number;
  readonly batches: number;
  readonly calls: string;
  readonly heapBeforeMb: number;
  readonly heapAfterMb: number;
  readonly heapPeakMb: number;
  readonly rssBeforeMb: number;
  readonly rssAfterMb: number;
  readonly gcExposed: boolean;
}

/** Everything one dialect's run produced. */
export interface DialectResult {
  readonly dialect: BenchDialect;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: string;
  readonly figures: Figure[];
  readonly memory?: MemoryFigure;
  readonly targets: TargetCheck[];
}

/** A target of the issue, checked against this run's figures. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Times `fn`, returns `amount` per second. */
/** Client CPU (this process, user + system) per unit of the last {@link rate} call, in µs. */
let lastCpuPerUnit = NaN;

/** Times `fn`, returns `amount` per second (and notes this process's CPU per unit). */
async function rate(amount: number, fn: () => Promise<number | void>): Promise<number> {
  const cpu = process.cpuUsage();
  const start = now();
  const done = await fn();
  const ms = now() - start;
  const used = process.cpuUsage(cpu);
  const units = typeof done === 'number' ? done : amount;
  lastCpuPerUnit = (used.user + used.system) / units;
  return (units / ms) * 1000;
}

let seq = 0;
function uid(tag: string): string {
  seq += 1;
  return `${tag}-${process.pid.toString(36)}-${Date.now().toString(36)}-${seq}`;
}

// ------------------------------------------------------------------ per dialect

interface Ctx {
  location: Location;
  store: SequelizeStateStore;
  close: () => Promise<void>;
  prefix: string;
  raw: RawConnection;
  sql: RawSql;
  figures: Figure[];
}

function wanted(id: string): boolean {
  return !ONLY || ONLY.includes(id);
}

/**
 * Runs `store` and `limit` `runs` times each, alternating which goes first,
 * each with fresh setup (`prepare`, untimed) and cleanup, and records the medians.
 */
async function compare(
  ctx: Ctx,
  spec: { id: string; operation: string; unit: string; runs: number; limitMethod: string; keepJob?: boolean },
  prepare: (side: 'store' | 'limit') => Promise<string>,
  store: (jobId: string) => Promise<number>,
  limit: (jobId: string) => Promise<number>,
): Promise<Figure> {
  const storeRuns: number[] = [];
  const limitRuns: number[] = [];
  const storeCpu: number[] = [];
  const limitCpu: number[] = [];
  for (let r = 0; r < spec.runs; r++) {
    const order: Array<'store' | 'limit'> = r % 2 === 0 ? ['store', 'limit'] : ['limit', 'store'];
    for (const side of order) {
      const jobId = await prepare(side);
      const value = side === 'store' ? await store(jobId) : await limit(jobId);
      (side === 'store' ? storeRuns : limitRuns).push(value);
      (side === 'store' ? storeCpu : limitCpu).push(lastCpuPerUnit);
      if (!spec.keepJob) await dropJob(ctx.raw, ctx.store.tables, jobId);
    }
  }
  const figure: Figure = {
    id: spec.id,
    operation: spec.operation,
    dialect: ctx.location.dialect,
    unit: spec.unit,
    store: median(storeRuns),
    limit: median(limitRuns),
    ratio: median(storeRuns) / median(limitRuns),
    storeRuns,
    limitRuns,
    limitMethod: spec.limitMethod,
    storeCpuUs: median(storeCpu),
    limitCpuUs: median(limitCpu),
  };
  ctx.figures.push(figure);
  printFigure(figure);
  return figure;
}

async function createJob(ctx: Ctx, jobId: string, distributed: boolean, totalRecords = 0, batchSize = 500): Promise<void> {
  await ctx.store.saveJobState({
    id: jobId, config: { batchSize }, status: 'PROCESSING', batches: [], totalRecords, startedAt: Date.now(), distributed,
  });
}

const OPERATIONS: Array<{ id: string; run: (ctx: Ctx) => Promise<void> }> = [
  {
    id: 'saveProcessedRecord',
    run: async (ctx) => {
      const records = Array.from({ length: SIZE.spr }, (_, i) => processedRecord(i));
      const upsert = ctx.sql.upsertRecords(1);
      // The first operation of a run: warm both sides up (JIT, pools, caches) untimed.
      const warm = uid('sprw');
      await createJob(ctx, warm, false);
      for (const r of records.slice(0, 500)) {
        await ctx.store.saveProcessedRecord(warm, 'b0', r);
        await ctx.raw.run(upsert, recordParams(warm, 'b0', r));
      }
      await dropJob(ctx.raw, ctx.store.tables, warm);
      await compare(
        ctx,
        { id: 'saveProcessedRecord', operation: `saveProcessedRecord, sequential (${SIZE.spr} calls)`, unit: 'records/s',
          runs: SHORT_RUNS, limitMethod: 'one single-row INSERT … ON CONFLICT/ON DUPLICATE KEY UPDATE per record' },
        async () => { const id = uid('spr'); await createJob(ctx, id, false); return id; },
        (jobId) => rate(records.length, async () => {
          for (const r of records) await ctx.store.saveProcessedRecord(jobId, 'b0', r);
        }),
        (jobId) => rate(records.length, async () => {
          for (const r of records) await ctx.raw.run(upsert, recordParams(jobId, 'b0', r));
        }),
      );
    },
  },
  {
    id: 'saveBatchRecords',
    run: async (ctx) => {
      const per = SIZE.sbrCall;
      const calls = Math.ceil(SIZE.sbr / per);
      const parts = Array.from({ length: calls }, (_, c) =>
        Array.from({ length: Math.min(per, SIZE.sbr - c * per) }, (_, i) => processedRecord(c * per + i)));
      await compare(
        ctx,
        { id: 'saveBatchRecords', operation: `saveBatchRecords, ${SIZE.sbr.toLocaleString('en')} records in calls of ${per}`,
          unit: 'records/s', runs: LONG_RUNS, limitMethod: `one plain multi-row INSERT of ${per} rows per call` },
        async () => { const id = uid('sbr'); await createJob(ctx, id, true); return id; },
        (jobId) => rate(SIZE.sbr, async () => {
          for (let c = 0; c < parts.length; c++) await ctx.store.saveBatchRecords(jobId, `${jobId}-b${c}`, parts[c] as never);
        }),
        (jobId) => rate(SIZE.sbr, async () => {
          for (let c = 0; c < parts.length; c++) {
            const part = parts[c] as ReturnType<typeof processedRecord>[];
            await ctx.raw.run(ctx.sql.insertRecords(part.length), part.flatMap((r) => recordParams(jobId, `${jobId}-b${c}`, r)));
          }
        }),
      );
    },
  },
  {
    id: 'cycle',
    run: async (ctx) => {
      const cycles = (n: number, tailFrom: number | undefined, label: string, id: string): Promise<Figure> => {
        const timed = n - (tailFrom ?? 0);
        const todo = Math.min(SIZE.tail, timed);
        return compare(
          ctx,
          { id, operation: label, unit: 'cycles/s', runs: SHORT_RUNS,
            limitMethod: ctx.location.dialect === 'mariadb'
              ? 'START TRANSACTION; SELECT … FOR UPDATE SKIP LOCKED LIMIT 1; UPDATE; COMMIT + UPDATE batch + conditional UPDATE job'
              : `UPDATE … WHERE batch_id = (SELECT … ORDER BY batch_index LIMIT 1${ctx.location.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''}) RETURNING + UPDATE batch + conditional UPDATE job` },
          async () => {
            const jobId = uid('cyc');
            await createJob(ctx, jobId, true, n * 500);
            await seedBatches(ctx.raw, ctx.store.tables.batches, jobId, n, tailFrom ?? 0, 500);
            return jobId;
          },
          (jobId) => rate(todo, async () => {
            for (let i = 0; i < todo; i++) if (!(await storeCycle(ctx.store, jobId, 'w1'))) throw new Error(`store: nothing to claim at cycle ${i}`);
          }),
          (jobId) => rate(todo, async () => {
            for (let i = 0; i < todo; i++) if (!(await rawCycle(ctx.raw, ctx.sql, jobId, 'w1'))) throw new Error(`raw: nothing to claim at cycle ${i}`);
          }),
        );
      };
      await cycles(SIZE.cycleJob, undefined, `claim+complete+finalize, 1 worker, job of ${SIZE.cycleJob} batches (all)`, 'cycle@200');
      await cycles(SIZE.bigJob, undefined, `claim+complete+finalize, 1 worker, job of ${SIZE.bigJob.toLocaleString('en')} batches (first ${SIZE.tail})`, 'cycle@10k-head');
      await cycles(SIZE.bigJob, SIZE.bigJob - SIZE.tail, `claim+complete+finalize, 1 worker, job of ${SIZE.bigJob.toLocaleString('en')} batches (last ${SIZE.tail})`, 'cycle@10k-tail');
    },
  },
  {
    id: 'cycle8',
    run: async (ctx) => {
      const workers = await startWorkers(ctx, SIZE.workers);
      try {
        const go = async (mode: 'store' | 'raw', jobId: string): Promise<number> => {
          const start = now();
          const results = await Promise.all(workers.map((w, i) => w.go(mode, jobId, `w${i}`)));
          const ms = now() - start;
          const total = results.reduce((a, b) => a + b.cycles, 0);
          lastCpuPerUnit = results.reduce((a, b) => a + b.cpuUs, 0) / total;
          if (total !== SIZE.workerJob) throw new Error(`${mode}: ${total} cycles for ${SIZE.workerJob} batches`);
          return (total / ms) * 1000;
        };
        await compare(
          ctx,
          { id: 'cycle8', operation: `claim+complete+finalize, ${SIZE.workers} worker processes, job of ${SIZE.workerJob.toLocaleString('en')} batches`,
            unit: 'cycles/s', runs: LONG_RUNS, limitMethod: `the same raw cycle from ${SIZE.workers} processes, one raw connection each` },
          async () => {
            const jobId = uid('c8');
            await createJob(ctx, jobId, true, SIZE.workerJob * 500);
            await seedBatches(ctx.raw, ctx.store.tables.batches, jobId, SIZE.workerJob, 0, 500);
            return jobId;
          },
          (jobId) => go('store', jobId),
          (jobId) => go('raw', jobId),
        );
      } finally {
        await Promise.all(workers.map((w) => w.exit()));
      }
    },
  },
  {
    id: 'reads',
    run: async (ctx) => {
      const jobId = uid('rd');
      await createJob(ctx, jobId, true, SIZE.readRecords);
      await seedBatches(ctx.raw, ctx.store.tables.batches, jobId, SIZE.readBatches, Math.floor(SIZE.readBatches / 2), SIZE.readRecords / SIZE.readBatches);
      await seedRecords(ctx.raw, ctx.store.tables.records, jobId, SIZE.readRecords, SIZE.readRecords / SIZE.readBatches);
      if (ctx.location.dialect === 'postgres') {
        await ctx.raw.run(`ANALYZE ${ctx.store.tables.records}`);
        await ctx.raw.run(`ANALYZE ${ctx.store.tables.batches}`);
      }
      const n = SIZE.readCalls;
      const size = `${SIZE.readRecords.toLocaleString('en')} records, ${SIZE.readBatches.toLocaleString('en')} batches`;
      try {
        // Warm caches on both paths.
        await ctx.store.getProgress(jobId);
        await ctx.store.getDistributedStatus(jobId);
        const same = async (): Promise<string> => jobId;
        await compare(
          ctx,
          { id: 'getProgress', operation: `getProgress, job of ${size}`, unit: 'calls/s', runs: SHORT_RUNS, keepJob: true,
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
          { id: 'getDistributedStatus', operation: `getDistributedStatus, job of ${size}`, unit: 'calls/s', runs: SHORT_RUNS, keepJob: true,
            limitMethod: 'batches GROUP BY status' },
          same,
          () => rate(n * 10, async () => { for (let i = 0; i < n * 10; i++) await ctx.store.getDistributedStatus(jobId); }),
          () => rate(n * 10, async () => { for (let i = 0; i < n * 10; i++) await ctx.raw.rows(ctx.sql.countBatches(), [jobId]); }),
        );
      } finally {
        await dropJob(ctx.raw, ctx.store.tables, jobId);
      }
    },
  },
  {
    id: 'import',
    run: async (ctx) => {
      const buffered = await openStore(ctx.location, ctx.prefix, { recordBuffer: true }, false);
      try {
        await importPair(ctx, ctx.store, SIZE.importUnbufferedRecords, false);
        await importPair(ctx, buffered.store, SIZE.importRecords, true);
      } finally {
        await buffered.store.close();
        await buffered.sequelize.close();
      }
    },
  },
];

/** A whole single-process import driven as the engine drives it, store vs raw. */
async function importPair(ctx: Ctx, store: SequelizeStateStore, total: number, buffered: boolean): Promise<Figure> {
  const size = SIZE.batchSize;
  const nb = Math.ceil(total / size);
  const records = Array.from({ length: total }, (_, i) => processedRecord(i));
  const one = ctx.sql.upsertRecords(1);
  return compare(
    ctx,
    { id: buffered ? 'import-buffered' : 'import',
      operation: `single-process import of ${total.toLocaleString('en')} records, batches of ${size}, ${buffered ? 'recordBuffer: true' : 'no write-behind'}`,
      unit: 'records/s', runs: LONG_RUNS,
      limitMethod: buffered
        ? `job upsert + batch rows; per batch: UPDATE, one ${size}-row upsert, UPDATE; job upsert`
        : 'job upsert + batch rows; per batch: UPDATE, one single-row upsert per record, UPDATE; job upsert' },
    async () => uid(buffered ? 'impb' : 'imp'),
    (jobId) => rate(total, async () => {
      const batches: Batch[] = Array.from({ length: nb }, (_, i) => ({
        id: `${jobId}-b${i}`, index: i, status: 'PENDING', records: [], processedCount: 0, failedCount: 0,
      }));
      const job: JobState = { id: jobId, config: { batchSize: size }, status: 'PROCESSING', batches, totalRecords: total, startedAt: Date.now() };
      await store.saveJobState(job);
      for (let b = 0; b < nb; b++) {
        const batchId = `${jobId}-b${b}`;
        await store.updateBatchState(jobId, batchId, { batchId, status: 'PROCESSING', processedCount: 0, failedCount: 0 });
        const end = Math.min(total, (b + 1) * size);
        for (let i = b * size; i < end; i++) await store.saveProcessedRecord(jobId, batchId, records[i] as never);
        await store.updateBatchState(jobId, batchId, { batchId, status: 'COMPLETED', processedCount: end - b * size, failedCount: 0 });
      }
      await store.saveJobState({
        ...job, status: 'COMPLETED', completedAt: Date.now(),
        batches: batches.map((x) => ({ ...x, status: 'COMPLETED', processedCount: size })),
      });
    }),
    (jobId) => rate(total, async () => {
      const config = JSON.stringify({ batchSize: size });
      await ctx.raw.run(ctx.sql.upsertJob(), [jobId, 'PROCESSING', config, total, Date.now(), null]);
      await seedBatches(ctx.raw, ctx.store.tables.batches, jobId, nb, 0, size);
      for (let b = 0; b < nb; b++) {
        const batchId = `${jobId}-b${b}`;
        await ctx.raw.run(ctx.sql.updateBatch(), ['PROCESSING', 0, 0, jobId, batchId]);
        const part = records.slice(b * size, Math.min(total, (b + 1) * size));
        if (buffered) {
          await ctx.raw.run(ctx.sql.upsertRecords(part.length), part.flatMap((r) => recordParams(jobId, batchId, r)));
        } else {
          for (const r of part) await ctx.raw.run(one, recordParams(jobId, batchId, r));
        }
        await ctx.raw.run(ctx.sql.updateBatch(), ['COMPLETED', part.length, 0, jobId, batchId]);
      }
      await ctx.raw.run(ctx.sql.upsertJob(), [jobId, 'COMPLETED', config, total, Date.now(), Date.now()]);
    }),
  );
}

/** Heap before/after many calls on a job of 1,000,000 records and 10,000 batches. */
async function memoryCheck(ctx: Ctx): Promise<MemoryFigure> {
  const jobId = uid('mem');
  const per = SIZE.memRecords / SIZE.memBatches;
  await createJob(ctx, jobId, true, SIZE.memRecords, per);
  await seedBatches(ctx.raw, ctx.store.tables.batches, jobId, SIZE.memBatches, 0, per);
  await seedRecords(ctx.raw, ctx.store.tables.records, jobId, SIZE.memRecords, per);
  const gc = (globalThis as { gc?: () => void }).gc;
  const mb = (n: number): number => Math.round((n / 1024 / 1024) * 10) / 10;
  const settle = (): void => { gc?.(); gc?.(); };
  try {
    // Warm up (code paths, connection pool, statement caches).
    await storeCycle(ctx.store, jobId, 'mem');
    await ctx.store.getProgress(jobId);
    await ctx.store.getDistributedStatus(jobId);
    settle();
    const before = process.memoryUsage();
    let peak = before.heapUsed;
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().heapUsed); }, 2);
    for (let i = 0; i < SIZE.memCycles; i++) {
      await storeCycle(ctx.store, jobId, 'mem');
      if (i % Math.floor(SIZE.memCycles / SIZE.memReads) === 0) {
        await ctx.store.getProgress(jobId);
        await ctx.store.getDistributedStatus(jobId);
      }
    }
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    settle();
    const after = process.memoryUsage();
    const figure: MemoryFigure = {
      dialect: ctx.location.dialect,
      records: SIZE.memRecords,
      batches: SIZE.memBatches,
      calls: `${SIZE.memCycles} claim+complete+finalize cycles, ${SIZE.memReads} getProgress, ${SIZE.memReads} getDistributedStatus`,
      heapBeforeMb: mb(before.heapUsed),
      heapAfterMb: mb(after.heapUsed),
      heapPeakMb: mb(peak),
      rssBeforeMb: mb(before.rss),
      rssAfterMb: mb(after.rss),
      gcExposed: gc !== undefined,
    };
    console.log(`  memory ${figure.dialect}: job of ${figure.records.toLocaleString('en')} records / ${figure.batches.toLocaleString('en')} batches;`
      + ` ${figure.calls}: heap ${figure.heapBeforeMb} MB → ${figure.heapAfterMb} MB (peak ${figure.heapPeakMb} MB)${gc ? '' : ' [no --expose-gc]'}`);
    return figure;
  } finally {
    await dropJob(ctx.raw, ctx.store.tables, jobId);
  }
}

// ------------------------------------------------------------------ worker processes

interface Worker {
  /** Runs the loop; how many cycles it ran and the CPU time it used (µs). */
  go(mode: 'store' | 'raw', jobId: string, workerId: string): Promise<{ cycles: number; cpuUs: number }>;
  exit(): Promise<void>;
}

async function startWorkers(ctx: Ctx, n: number): Promise<Worker[]> {
  const script = path.join(__dirname, 'worker.ts');
  const spawn = (): Promise<Worker> => new Promise((resolve, reject) => {
    const child: ChildProcess = fork(script, [], { execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let pending: { resolve: (n: { cycles: number; cpuUs: number }) => void; reject: (e: Error) => void } | undefined;
    child.on('message', (m: { type: string; cycles?: number; cpuUs?: number; message?: string }) => {
      if (m.type === 'ready') {
        resolve({
          go: (mode, jobId, workerId) => new Promise((res, rej) => {
            pending = { resolve: res, reject: rej };
            child.send({ type: 'go', mode, jobId, workerId });
          }),
          exit: () => new Promise<void>((res) => {
            child.once('exit', () => res());
            child.send({ type: 'exit' });
          }),
        });
      } else if (m.type === 'done') {
        pending?.resolve({ cycles: m.cycles as number, cpuUs: m.cpuUs as number });
      } else if (m.type === 'error') {
        const error = new Error(`worker: ${m.message}`);
        if (pending) pending.reject(error);
        else reject(error);
      }
    });
    child.on('error', reject);
    child.send({ type: 'init', location: ctx.location, prefix: ctx.prefix });
  });
  return Promise.all(Array.from({ length: n }, spawn));
}

// ------------------------------------------------------------------ report

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 100) return Math.round(n).toLocaleString('en');
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function printFigure(f: Figure): void {
  console.log(`  ${f.operation.padEnd(92)} ${f.dialect.padEnd(8)} store ${fmt(f.store).padStart(9)} ${f.unit.padEnd(10)}`
    + ` limit ${fmt(f.limit).padStart(9)}  ratio ${f.ratio.toFixed(2)}  client CPU/unit ${fmt(f.storeCpuUs)} vs ${fmt(f.limitCpuUs)} µs`);
}

/** Checks the targets against one dialect's figures. */
function checkTargets(figures: Figure[]): TargetCheck[] {
  const by = (id: string): Figure | undefined => figures.find((f) => f.id === id);
  const out: TargetCheck[] = [];
  const c200 = by('cycle@200');
  for (const big of ['cycle@10k-head', 'cycle@10k-tail'] as const) {
    const b = by(big);
    if (c200 && b) {
      const cost = c200.store / b.store; // cost ratio = (1/b) / (1/c200)
      out.push({ target: `claim+complete cost at ${big.endsWith('head') ? 'the start' : 'the end'} of a ${SIZE.bigJob.toLocaleString('en')}-batch job ≤ 1.5× its cost at ${SIZE.cycleJob}`,
        measured: `${(1000 / b.store).toFixed(2)} ms vs ${(1000 / c200.store).toFixed(2)} ms = ${cost.toFixed(2)}×`, met: cost <= 1.5 });
    }
  }
  const c8 = by('cycle8');
  if (c8) out.push({ target: '8-process claim throughput ≥ 0.5× raw SKIP LOCKED', measured: `${c8.ratio.toFixed(2)}×`, met: c8.ratio >= 0.5 });
  const sbr = by('saveBatchRecords');
  if (sbr) out.push({ target: 'saveBatchRecords ≥ 0.5× raw multi-row INSERT', measured: `${sbr.ratio.toFixed(2)}×`, met: sbr.ratio >= 0.5 });
  const spr = by('saveProcessedRecord');
  if (spr) out.push({ target: 'saveProcessedRecord ≥ 0.8× raw single-statement upsert', measured: `${spr.ratio.toFixed(2)}×`, met: spr.ratio >= 0.8 });
  const imp = by('import');
  const impb = by('import-buffered');
  if (imp && impb) {
    const x = impb.store / imp.store;
    out.push({ target: 'import with recordBuffer ≥ 10× faster than without', measured: `${fmt(impb.store)} vs ${fmt(imp.store)} records/s = ${x.toFixed(1)}×`, met: x >= 10 });
  }
  return out;
}

// ------------------------------------------------------------------ main

async function runDialect(location: Location): Promise<DialectResult> {
  const startedAt = new Date().toISOString();
  const prefix = `bench${process.pid.toString(36)}_`;
  const { sequelize, store } = await openStore(location, prefix);
  const raw = await openRaw(location);
  const ctx: Ctx = { location, store, close: () => sequelize.close(), prefix, raw, sql: new RawSql(location.dialect, store.tables), figures: [] };
  console.log(`\n== ${location.dialect}${QUICK ? ' (quick)' : ''} — tables ${prefix}*`);
  // Interrupted (Ctrl-C, kill): drop this run's tables before leaving.
  const onSignal = (): void => {
    void Promise.all([store.models.Record, store.models.Batch, store.models.Job].map((m) => m.drop().catch(() => undefined)))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let memory: MemoryFigure | undefined;
  try {
    for (const op of OPERATIONS) if (wanted(op.id)) await op.run(ctx);
    if (wanted('memory')) memory = await memoryCheck(ctx);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await store.close();
    for (const model of [store.models.Record, store.models.Batch, store.models.Job]) await model.drop().catch(() => undefined);
    await raw.close();
    await sequelize.close();
  }
  const targets = checkTargets(ctx.figures);
  for (const t of targets) console.log(`  target ${t.met ? 'MET   ' : 'MISSED'} ${t.target}: ${t.measured}`);
  return {
    dialect: location.dialect, quick: QUICK, startedAt, finishedAt: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
    figures: ctx.figures, memory, targets,
  };
}

async function main(): Promise<void> {
  const resultsDir = path.join(__dirname, 'results');
  if (flag('update-md')) {
    writeMarkdown(resultsDir, path.join(__dirname, 'RESULTS.md'));
    return;
  }
  const all = locations().filter((l) => !DIALECTS || DIALECTS.includes(l.dialect));
  if (all.length === 0) throw new Error(`no database selected (--dialect ${DIALECTS?.join(',')}; PG_URL / MARIADB_URL set?)`);
  const skipped = ['postgres', 'mariadb'].filter((d) => !all.some((l) => l.dialect === d) && (!DIALECTS || DIALECTS.includes(d)));
  if (skipped.length) console.log(`skipped (URL not set): ${skipped.join(', ')}`);
  fs.mkdirSync(resultsDir, { recursive: true });
  const results: DialectResult[] = [];
  for (const location of all) {
    const result = await runDialect(location);
    results.push(result);
    if (!QUICK && !ONLY) fs.writeFileSync(path.join(resultsDir, `${location.dialect}.json`), JSON.stringify(result, null, 2));
  }
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), JSON.stringify({ quick: QUICK, results }, null, 2));
  console.log(`\nwrote ${path.join(resultsDir, 'latest.json')}`);
  printTable(results);
}

function printTable(results: DialectResult[]): void {
  const rows = results.flatMap((r) => r.figures.map((f) => [f.operation, f.dialect, `${fmt(f.store)} ${f.unit}`, `${fmt(f.limit)} ${f.unit}`, `${f.ratio.toFixed(2)}×`]));
  const head = ['operation', 'dialect', 'store', 'limit (raw driver)', 'store/limit'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join(' | ');
  console.log(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}`);
  for (const r of rows) console.log(line(r));
  for (const r of results) {
    if (r.memory) console.log(`memory ${r.dialect}: heap ${r.memory.heapBeforeMb} → ${r.memory.heapAfterMb} MB (peak ${r.memory.heapPeakMb} MB)`);
    for (const t of r.targets) console.log(`${r.dialect}: ${t.met ? 'MET' : 'MISSED'} — ${t.target}: ${t.measured}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
