/**
 * The dashboard's speed target (issue 14): on a job of 1,000,000 records and
 * 10,000 batches, each API call the job page makes answers in ≤ 100 ms, and
 * `getProgress` in ≤ 5 ms.
 *
 *   node --expose-gc -r ts-node/register/transpile-only bench/dashboard.ts --url postgres://postgres@127.0.0.1/bench
 *
 * Seeds one job in flight under a table prefix of its own (PostgreSQL:
 * `generate_series`; other databases: multi-row INSERTs): 60 % of the
 * batches COMPLETED (2 failed records each, finish times spread over ten
 * minutes), 0.5 % PROCESSING held by 8 workers (half their records done, one
 * worker's leases stale), the rest PENDING. Then, after a warm-up, times the
 * median of `--runs` calls of each HTTP call the pages make (through a
 * dashboard on a local port: the store, JSON and HTTP together) and of the
 * store calls behind them. Prints a table, writes
 * bench/results/dashboard-<dialect>.json, and drops its tables.
 *
 * Options: --url (or DATABASE_URL; sqlite:<file> works too), --records
 * 1000000, --batches 10000, --runs 15, --keep (leave the tables).
 */
import 'reflect-metadata';
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { QueryTypes, Sequelize } from 'sequelize';
import { SequelizeStateStore } from '../src';
import { serveDashboard } from '../src/dashboard';

(Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined; // as compiled code runs (see bench/run.ts)

const argv = process.argv.slice(2);
const option = (name: string, fallback?: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const URL_ = option('url', process.env.DATABASE_URL);
const RECORDS = Number(option('records', '1000000'));
const BATCHES = Number(option('batches', '10000'));
const RUNS = Number(option('runs', '15'));
const KEEP = argv.includes('--keep');
const JOB = 'bench-dashboard-job';
const BUDGET = { api: 100, getProgress: 5 };

function connect(url: string): Sequelize {
  if (url.startsWith('sqlite:')) return new Sequelize({ dialect: 'sqlite', storage: url.slice('sqlite:'.length), logging: false });
  return new Sequelize(url, { logging: false, pool: { max: 5, min: 0 } });
}

/** Which batch is in which state, by index. */
const SIZE = Math.ceil(RECORDS / BATCHES);
const COMPLETED = Math.floor(BATCHES * 0.6);
const HELD = Math.max(8, Math.floor(BATCHES * 0.005));

async function seed(sequelize: Sequelize, store: SequelizeStateStore, now: number): Promise<void> {
  const t = store.tables;
  const dialect = sequelize.getDialect();
  const config = JSON.stringify({ batchSize: SIZE, continueOnError: true });
  await sequelize.query(
    `INSERT INTO ${t.jobs} (id, status, config, total_records, started_at, completed_at, distributed, created_at, updated_at, version)`
    + ` VALUES ('${JOB}', 'PROCESSING', '${config}', ${RECORDS}, ${now - 600_000}, NULL, ${dialect === 'sqlite' ? 1 : 'TRUE'}, ${now - 600_000}, ${now}, 1)`,
  );
  // Batch i: COMPLETED below COMPLETED, PROCESSING up to COMPLETED + HELD (worker i % 8; worker 7's leases stale), else PENDING.
  const batchRow = (i: number): string => {
    const start = i * SIZE;
    const end = Math.min(RECORDS, start + SIZE) - 1;
    if (i < COMPLETED) {
      const finished = now - 600_000 + Math.floor((i / COMPLETED) * 590_000);
      return `('${JOB}', 'b${i}', ${i}, 'COMPLETED', ${end - start - 1}, 2, NULL, ${finished - 2000}, NULL, ${finished}, ${start}, ${end}, 3)`;
    }
    if (i < COMPLETED + HELD) {
      const w = i % 8;
      const claimed = w === 7 ? now - 300_000 : now - 5000;
      return `('${JOB}', 'b${i}', ${i}, 'PROCESSING', 0, 0, 'worker-${w}', ${claimed}, ${w === 7 ? 'NULL' : now - 1000}, NULL, ${start}, ${end}, 2)`;
    }
    return `('${JOB}', 'b${i}', ${i}, 'PENDING', 0, 0, NULL, NULL, NULL, NULL, ${start}, ${end}, 0)`;
  };
  const batchColumns = '(job_id, batch_id, batch_index, status, processed_count, failed_count, worker_id, claimed_at, renewed_at, finished_at,'
    + ' record_start_index, record_end_index, version)';
  for (let i = 0; i < BATCHES; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, BATCHES - i) }, (_, k) => batchRow(i + k));
    await sequelize.query(`INSERT INTO ${t.batches} ${batchColumns} VALUES ${rows.join(',')}`);
  }
  // Records: completed batches' first two failed, the rest processed; held batches half processed; the rest pending.
  const failedErrors = JSON.stringify([{ field: 'email', message: 'not an email', code: 'PATTERN_MISMATCH', severity: 'error' }]);
  const recordColumns = '(job_id, record_index, batch_id, status, raw, parsed, errors, processing_error, retry_count)';
  if (dialect === 'postgres') {
    await sequelize.query(
      `INSERT INTO ${t.records} ${recordColumns}`
      + ` SELECT '${JOB}', r, 'b' || (r / ${SIZE}),`
      + ` CASE WHEN r / ${SIZE} < ${COMPLETED} THEN (CASE WHEN r % ${SIZE} < 2 THEN 'failed' ELSE 'processed' END)`
      + `      WHEN r / ${SIZE} < ${COMPLETED + HELD} AND r % ${SIZE} < ${SIZE / 2} THEN 'processed' ELSE 'pending' END,`
      + ` json_build_object('id', r, 'email', 'user' || r || '@example.com', 'name', 'row ' || r),`
      + ` json_build_object('id', r, 'email', 'user' || r || '@example.com', 'name', 'row ' || r),`
      + ` CASE WHEN r / ${SIZE} < ${COMPLETED} AND r % ${SIZE} < 2 THEN '${failedErrors}'::json ELSE '[]'::json END, NULL, 0`
      + ` FROM generate_series(0, ${RECORDS - 1}) AS r`,
    );
  } else {
    for (let i = 0; i < RECORDS; i += 2000) {
      const rows: string[] = [];
      for (let r = i; r < Math.min(RECORDS, i + 2000); r++) {
        const b = Math.floor(r / SIZE);
        const failed = b < COMPLETED && r % SIZE < 2;
        const status = b < COMPLETED ? (failed ? 'failed' : 'processed') : b < COMPLETED + HELD && r % SIZE < SIZE / 2 ? 'processed' : 'pending';
        const raw = JSON.stringify({ id: r, email: `user${r}@example.com`, name: `row ${r}` });
        rows.push(`('${JOB}', ${r}, 'b${b}', '${status}', '${raw}', '${raw}', '${failed ? failedErrors : '[]'}', NULL, 0)`);
      }
      await sequelize.query(`INSERT INTO ${t.records} ${recordColumns} VALUES ${rows.join(',')}`);
    }
  }
  if (dialect === 'postgres') await sequelize.query(`ANALYZE ${t.jobs}; ANALYZE ${t.batches}; ANALYZE ${t.records};`);
  else if (dialect === 'sqlite') await sequelize.query('ANALYZE');
}

/** Median and min of `runs` timed calls after `warm` untimed ones, ms. */
async function time(fn: () => Promise<unknown>, runs = RUNS, warm = 3): Promise<{ median: number; min: number }> {
  for (let i = 0; i < warm; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    (global as { gc?: () => void }).gc?.();
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] as number, min: times[0] as number };
}

async function main(): Promise<void> {
  if (!URL_) throw new Error('give --url postgres://… (or DATABASE_URL)');
  const sequelize = connect(URL_);
  const prefix = `bd${Date.now().toString(36)}_`;
  const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
  // What a page refresh 2 s later sees: the job's batches read again.
  const uncached = new SequelizeStateStore(sequelize, { tablePrefix: prefix, jobStateCacheMs: 0 });
  const dialect = sequelize.getDialect();
  let served: Awaited<ReturnType<typeof serveDashboard>> | undefined;
  try {
    await store.initialize();
    const [{ now }] = await sequelize.query<{ now: number }>(`SELECT ${dialect === 'postgres' ? "(extract(epoch from now()) * 1000)::bigint" : dialect === 'sqlite' ? "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)" : 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS UNSIGNED)'} AS now`, { type: QueryTypes.SELECT }) as [{ now: number }];
    let t0 = performance.now();
    await seed(sequelize, store, Number(now));
    const seedMs = performance.now() - t0;
    process.stdout.write(`Seeded ${RECORDS.toLocaleString('en-US')} records in ${BATCHES.toLocaleString('en-US')} batches on ${dialect} in ${(seedMs / 1000).toFixed(1)} s (prefix ${prefix})\n`);
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
    const calls: [string, string, () => Promise<unknown>, number][] = [
      ['GET api/job (job page: job + progress)', 'api', http('job', `${base}api/job?id=${id}`), BUDGET.api],
      ['GET api/job/batches?view=map (batch map, workers, chart)', 'api', http('map', `${base}api/job/batches?id=${id}&view=map&running=1&startedAt=${job.job.startedAt}`), BUDGET.api],
      ['GET api/job/failed (25 failed records)', 'api', http('failed', `${base}api/job/failed?id=${id}&offset=0&limit=25`), BUDGET.api],
      ['GET api/job/failed, last page', 'api', http('failedLast', `${base}api/job/failed?id=${id}&offset=${COMPLETED * 2 - 25}&limit=25`), BUDGET.api],
      ['GET api/jobs (jobs page)', 'api', http('jobs', `${base}api/jobs?offset=0&limit=25`), BUDGET.api],
      ['GET api/job/batches (full)', 'api', http('batches', `${base}api/job/batches?id=${id}`), NaN],
      ['store.getProgress', 'store', () => store.getProgress(JOB), BUDGET.getProgress],
      ['store.getJobState (cached, jobStateCacheMs 1000)', 'store', () => store.getJobState(JOB), NaN],
      ['store.getJobState (uncached)', 'store', () => uncached.getJobState(JOB), NaN],
      ['store.listBatches', 'store', () => store.listBatches(JOB), NaN],
      ['store.databaseTime', 'store', () => store.databaseTime(), NaN],
      ['store.listFailedRecords (25)', 'store', () => store.listFailedRecords(JOB, { limit: 25 }), NaN],
      ['store.listJobs (25)', 'store', () => store.listJobs({ limit: 25 }), NaN],
      ['store.countJobs', 'store', () => store.countJobs(), NaN],
    ];
    const results = [];
    process.stdout.write(`\n${'call'.padEnd(58)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)} ${'budget'.padStart(7)}  ok\n`);
    for (const [name, kind, fn, budget] of calls) {
      t0 = performance.now();
      const { median, min } = await time(fn);
      const ok = Number.isNaN(budget) ? undefined : median <= budget;
      results.push({ name, kind, medianMs: +median.toFixed(2), minMs: +min.toFixed(2), budgetMs: Number.isNaN(budget) ? null : budget, ok });
      process.stdout.write(`${name.padEnd(58)} ${median.toFixed(2).padStart(10)} ${min.toFixed(2).padStart(8)} ${(Number.isNaN(budget) ? '' : String(budget)).padStart(7)}  ${ok === undefined ? '' : ok ? 'yes' : 'NO'}\n`);
    }
    process.stdout.write(`\npayloads (bytes): ${Object.entries(sizes).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}\n`);
    const out = path.join(__dirname, 'results', `dashboard-${dialect}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify({
      date: new Date().toISOString(), dialect, records: RECORDS, batches: BATCHES, runs: RUNS, seedMs: Math.round(seedMs),
      payloadBytes: sizes, results,
    }, null, 2)}\n`);
    process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
    if (results.some((r) => r.ok === false)) process.exitCode = 1;
  } finally {
    await served?.close();
    await store.close();
    if (!KEEP) for (const model of [store.models.Record, store.models.Batch, store.models.Job]) await model.drop().catch(() => undefined);
    await sequelize.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/dashboard: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
