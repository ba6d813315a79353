/**
 * `npm run demo`: a real distributed import with @batchactions/state-sequelize.
 *
 * 1. Generates a CSV of users (some with bad e-mails, some whose import fails)
 *    and parses it.
 * 2. Prepares the job as `DistributedImport.prepare()` does: the records of
 *    each batch with `saveBatchRecords`, then one `saveJobState` with every
 *    batch PENDING and `distributed: true`.
 * 3. Starts several worker processes (demo/worker.ts) that claim and process
 *    batches; shows a live progress bar.
 * 4. Kills one worker with SIGKILL in the middle of a batch; another worker
 *    reclaims the stale batch and redoes it.
 * 5. Prints a summary and the CLI commands to inspect the job.
 *
 * Database: the embedded SQLite file `.tmp/demo.sqlite` by default, or
 * `--url` / `DATABASE_URL` (postgres://, mysql://, mariadb://, sqlite:file).
 * A server database that does not exist is an error saying how to create
 * it; `--create-db` creates it.
 * Exits 0 only if the job completed with every record accounted for.
 *
 *   npm run demo -- --records 20000 --workers 4 --batch-size 500
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { MultiBar, Presets } from 'cli-progress';
import { CliError } from '../src/cli/errors';
import { formatDuration, parseDuration, parseInteger } from '../src/cli/format';
import { databaseName, parseDatabaseUrl, redactUrl } from '../src/cli/connect';
import type { Batch, JobState, ProcessedRecord } from '../src/ports';
import { expectedFailures, generateCsv, parseCsv } from './csv';
import { openDemoDb } from './db';
import { batchesText, etaText } from './progress';
import type { OrchestratorMessage, WorkerConfig, WorkerMessage } from './worker';

interface DemoOptions {
  records: number;
  batchSize: number;
  workers: number;
  url?: string;
  prefix: string;
  staleMs: number;
  workMs: number;
  kill: boolean;
  dir: string;
  createDb: boolean;
  dashboard: boolean;
  dashboardPort: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function parseArgs(argv: string[]): DemoOptions {
  const program = new Command('demo')
    .description('A distributed import with @batchactions/state-sequelize, with a worker killed mid-batch')
    .option('--records <n>', 'records in the generated CSV', (v) => parseInteger(v, '--records', 1, 5_000_000), 20_000)
    .option('--batch-size <n>', 'records per batch', (v) => parseInteger(v, '--batch-size', 1, 100_000), 500)
    .option('--workers <n>', 'worker processes', (v) => parseInteger(v, '--workers', 1, 32), 4)
    .option('--url <url>', 'database URL (default $DATABASE_URL, else sqlite:.tmp/demo.sqlite)')
    .option('--prefix <prefix>', 'table prefix', 'demo_')
    .option('--stale-ms <duration>', 'lease age after which a dead worker\'s batch is reclaimed', (v) => parseDuration(v, '--stale-ms'), 5000)
    .option('--work-ms <ms>', 'simulated work per record', (v) => parseInteger(v, '--work-ms', 0, 10_000), 0)
    .option('--no-kill', 'do not kill a worker')
    .option('--dir <dir>', 'where the CSV (and the default SQLite file) go', '.tmp')
    .option('--create-db', 'PostgreSQL, MySQL, MariaDB: create the database of the URL when it does not exist', false)
    .option('--dashboard', 'serve the dashboard while the import runs (and after, until Ctrl-C); with --work-ms 1 there is time to watch', false)
    .option('--dashboard-port <n>', 'port of the dashboard', (v) => parseInteger(v, '--dashboard-port', 0, 65535), 4100)
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(`demo: ${s.replace(/^error: /, '').trim()}\n`) });
  program.parse(argv, { from: 'user' });
  const o = program.opts<DemoOptions>();
  if (o.workers < 2 && o.kill) throw new CliError('--workers must be at least 2 to kill one (or pass --no-kill)', 2);
  if (o.staleMs < 500) throw new CliError('--stale-ms must be at least 500ms', 2);
  return o;
}

function workerEntry(): { file: string; execArgv: string[] } {
  const ts = path.join(__dirname, 'worker.ts');
  if (fs.existsSync(ts) && __filename.endsWith('.ts')) return { file: ts, execArgv: ['-r', 'ts-node/register/transpile-only'] };
  return { file: path.join(__dirname, 'worker.js'), execArgv: [] };
}

async function main(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  const url = o.url ?? process.env.DATABASE_URL ?? `sqlite:${path.join(o.dir, 'demo.sqlite')}`;
  if (/^sqlite:(\/\/)?(:memory:|memory)$/i.test(url)) {
    throw new CliError('an in-memory SQLite database cannot be shared by worker processes: give a file (sqlite:.tmp/demo.sqlite) or a server URL', 2);
  }
  const tty = Boolean(process.stderr.isTTY);
  const say = (line: string): void => { process.stdout.write(`${line}\n`); };

  // The database first: a missing one fails before any work.
  fs.mkdirSync(o.dir, { recursive: true });
  const db = await openDemoDb(url, o.prefix, 4, {
    createDb: o.createDb,
    onCreated: () => { say(`Created database ${JSON.stringify(databaseName(parseDatabaseUrl(url)))} (--create-db)`); },
  });
  const { store, sequelize, target } = db;
  const shown = target.dialect === 'sqlite' ? `SQLite ${path.resolve(target.storage as string)}` : redactUrl(url);
  say(`Database: ${shown} (tables ${o.prefix}bulkimport_*)`);
  const workers = new Map<string, ChildProcess>();
  let dashboard: { url: string; close(): Promise<void> } | undefined;
  try {
    // ---- 1. the CSV
    const csvFile = path.join(o.dir, `demo-users-${o.records}.csv`);
    let t = Date.now();
    fs.writeFileSync(csvFile, generateCsv(o.records));
    const rows = parseCsv(fs.readFileSync(csvFile, 'utf8'));
    say(`Generated ${csvFile}: ${rows.length} records (${formatDuration(Date.now() - t)} to write and parse)`);

    // ---- 2. prepare
    if (target.dialect === 'sqlite') {
      // WAL: the progress bar's reads never wait for the workers' writes.
      await sequelize.query('PRAGMA journal_mode = WAL');
    }
    await store.initialize();
    const jobId = randomUUID();
    t = Date.now();
    const batches: Batch[] = [];
    for (let start = 0, index = 0; start < rows.length; start += o.batchSize, index++) {
      const end = Math.min(rows.length, start + o.batchSize) - 1;
      const records: ProcessedRecord[] = [];
      for (let i = start; i <= end; i++) {
        const raw = rows[i] as Record<string, string>;
        records.push({ index: i, raw, parsed: raw, status: 'pending', errors: [] });
      }
      const batchId = randomUUID();
      await store.saveBatchRecords(jobId, batchId, records);
      batches.push({ id: batchId, index, status: 'PENDING', records: [], processedCount: 0, failedCount: 0, recordStartIndex: start, recordEndIndex: end });
    }
    const startedAt = Date.now();
    const job: JobState = {
      id: jobId,
      config: { batchSize: o.batchSize, continueOnError: true, maxRetries: 2 },
      status: 'PROCESSING',
      batches,
      totalRecords: rows.length,
      startedAt,
      distributed: true,
    };
    await store.saveJobState(job);
    say(`Prepared job ${jobId}: ${rows.length} records in ${batches.length} batches of ${o.batchSize} (${formatDuration(Date.now() - t)})`);
    if (o.dashboard) {
      const { serveDashboard } = await import('../src/dashboard');
      dashboard = await serveDashboard(store, { port: o.dashboardPort, staleAfterMs: o.staleMs, refreshMs: 1000 });
      say(`Dashboard: ${dashboard.url}job?id=${encodeURIComponent(jobId)}`);
    }

    // ---- 3. workers
    const entry = workerEntry();
    const victim = o.kill ? `worker-2` : undefined;
    // The victim is killed half-way through its second batch when there is
    // enough work for everyone to get several, else through its first.
    const killOnBatch = batches.length >= 8 * o.workers ? 2 : 1;
    let victimBatches = 0;
    let killed: { workerId: string; pid: number; batchIndex: number; written: number; records: number; at: number } | undefined;
    let reclaimedAt: number | undefined;
    let takeover: string | undefined;
    let finalized: Extract<WorkerMessage, { type: 'finalized' }> | undefined;
    const errors: string[] = [];
    const exits: Promise<void>[] = [];
    const ready = new Set<string>();
    let allReady: () => void = () => undefined;
    const readyPromise = new Promise<void>((resolve) => { allReady = resolve; });

    const multibar = tty
      ? new MultiBar({
        // Not cli-progress's {eta}/{eta_formatted} (`INF`, `NFs left` at 0%, `0s left` at the end): {left} is empty until there is an estimate.
        format: ' {bar} {pct}% | {value}/{total} records | {failed} failed | {batches} batches{left}',
        hideCursor: true,
        clearOnComplete: false,
      }, Presets.shades_classic)
      : undefined;
    const log = (line: string): void => {
      if (multibar) multibar.log(`${line}\n`);
      else say(line);
    };

    say(`Starting ${o.workers} worker processes (stale lease timeout ${formatDuration(o.staleMs)})...`);
    for (let w = 1; w <= o.workers; w++) {
      const workerId = `worker-${w}`;
      const config: WorkerConfig = {
        url, prefix: o.prefix, jobId, workerId, staleMs: o.staleMs, heartbeatMs: Math.max(100, Math.floor(o.staleMs / 5)),
        pauseMidBatch: workerId === victim, workMs: o.workMs,
      };
      const child = fork(entry.file, [], {
        execArgv: entry.execArgv,
        env: { ...process.env, DEMO_WORKER: JSON.stringify(config) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      workers.set(workerId, child);
      const reply = (m: OrchestratorMessage): void => { if (child.connected) child.send(m); };
      child.on('message', (m: WorkerMessage) => {
        switch (m.type) {
          case 'ready':
            ready.add(workerId);
            if (ready.size === o.workers) allReady();
            break;
          case 'claimed':
            if (killed && m.batchIndex === killed.batchIndex) {
              takeover = workerId;
              log(`>> batch #${m.batchIndex} (left by the killed ${killed.workerId}) was taken over by ${workerId} and is being redone`);
            }
            break;
          case 'midBatch':
            if (workerId === victim && !killed && ++victimBatches >= killOnBatch) {
              killed = { workerId, pid: child.pid ?? 0, batchIndex: m.batchIndex, written: m.written, records: m.records, at: Date.now() };
              child.kill('SIGKILL');
              log(`>> killed ${workerId} (pid ${child.pid}) with SIGKILL in the middle of batch #${m.batchIndex}:`
                + ` ${m.written} of ${m.records} records written, the batch stays PROCESSING under its name`);
            } else {
              reply({ type: 'continue' });
            }
            break;
          case 'reclaimed':
            reclaimedAt = Date.now();
            log(`>> ${workerId} reclaimed ${m.count} stale batch${m.count === 1 ? '' : 'es'} (lease older than ${formatDuration(o.staleMs)})`
              + (killed ? `, ${formatDuration(reclaimedAt - killed.at)} after the kill` : ''));
            break;
          case 'leaseLost':
            log(`>> ${workerId} lost its lease on batch #${m.batchIndex}: ${m.message}`);
            break;
          case 'finalized':
            finalized = m;
            log(`>> ${workerId} finalized the job: ${m.status}`);
            break;
          case 'error':
            errors.push(`${workerId}: ${m.message}`);
            log(`!! ${workerId} failed: ${m.message}`);
            break;
          default:
            break;
        }
      });
      exits.push(new Promise((resolve) => {
        child.on('exit', (code, signal) => {
          workers.delete(workerId);
          if (code !== 0 && !(killed && killed.workerId === workerId && signal === 'SIGKILL')) {
            errors.push(`${workerId} exited with ${signal ?? `code ${code}`}`);
          }
          resolve();
        });
      }));
    }
    const startTimeout = setTimeout(() => {
      if (ready.size < o.workers) errors.push(`only ${ready.size} of ${o.workers} workers started within 60s`);
      allReady();
    }, 60_000);
    await readyPromise;
    clearTimeout(startTimeout);
    const processStart = Date.now();
    for (const child of workers.values()) if (child.connected) child.send({ type: 'go' } satisfies OrchestratorMessage);

    // ---- progress
    const bar = multibar?.create(rows.length, 0, { pct: 0, failed: 0, batches: `0/${batches.length}`, left: '' });
    let lastStep = -1;
    let running = true;
    const allExited = Promise.all(exits).then(() => { running = false; });
    while (running) {
      const p = await store.getProgress(jobId);
      const done = p.processedRecords + p.failedRecords;
      if (bar) {
        bar.update(done, {
          pct: p.percentage, failed: p.failedRecords, batches: `${p.currentBatch}/${p.totalBatches}`, left: etaText(done, p.totalRecords, Date.now() - processStart),
        });
      } else {
        const step = Math.floor(p.percentage / 10);
        if (step !== lastStep) say(`progress ${p.percentage}%: ${done}/${p.totalRecords} records, ${p.failedRecords} failed, ${p.currentBatch}/${p.totalBatches} batches`);
        lastStep = step;
      }
      await Promise.race([sleep(tty ? 200 : 500), allExited]);
    }
    const final = await store.getProgress(jobId);
    bar?.update(final.processedRecords + final.failedRecords, {
      pct: final.percentage, failed: final.failedRecords, batches: `${final.currentBatch}/${final.totalBatches}`, left: '',
    });
    multibar?.stop();
    const elapsed = Date.now() - processStart;

    // ---- 5. summary
    const state = await store.getJobState(jobId);
    const failedRecords = await store.getFailedRecords(jobId);
    const invalid = failedRecords.filter((r) => r.status === 'invalid').length;
    const failedProcessing = failedRecords.length - invalid;
    const expected = expectedFailures(rows.length);
    const accounted = final.processedRecords + final.failedRecords;
    const problems = [...errors];
    if (state?.status !== 'COMPLETED') problems.push(`the job is ${state?.status ?? 'missing'}, not COMPLETED`);
    if (accounted !== rows.length || final.pendingRecords !== 0) problems.push(`${accounted} of ${rows.length} records were processed`);
    if (invalid !== expected.invalid || failedProcessing !== expected.failed) {
      problems.push(`expected ${expected.invalid} invalid and ${expected.failed} failed records, found ${invalid} and ${failedProcessing}`);
    }
    if (o.kill && !killed) problems.push('no worker was killed (the job finished before the chosen worker reached a batch)');
    if (killed && !takeover) problems.push(`batch #${killed.batchIndex} of the killed worker was never taken over`);
    if (finalized && (finalized.processed !== final.processedRecords || finalized.failed !== final.failedRecords)) {
      problems.push(`the finalizing worker summed ${finalized.processed} processed and ${finalized.failed} failed from the batches`);
    }

    say('');
    say('Summary');
    say(`  job          ${jobId} ${state?.status ?? '?'}`);
    say(`  records      ${rows.length}: ${final.processedRecords} processed, ${final.failedRecords} failed (${invalid} invalid, ${failedProcessing} failed processing)`);
    say(`  batches      ${batchesText(batches.length, o.batchSize, rows.length)}, ${o.workers} workers${killed ? `, 1 killed (batch #${killed.batchIndex} redone by ${takeover ?? 'nobody'})` : ''}`);
    say(`  time         ${formatDuration(elapsed)} processing${killed && reclaimedAt ? ` (${formatDuration(reclaimedAt - killed.at)} of it waiting for the killed worker's lease to go stale)` : ''}`);
    say(`  throughput   ${Math.round(rows.length / Math.max(0.001, elapsed / 1000))} records/s`);
    say('');
    const cliUrl = target.dialect === 'sqlite' ? `sqlite:${path.relative(process.cwd(), path.resolve(target.storage as string)) || target.storage}` : redactUrl(url);
    const cli = `npm run cli -- --url ${cliUrl} --prefix ${o.prefix}`;
    say('Inspect it with the CLI (after `npm run build`, `npx bulkimport-state` works the same):');
    say(`  ${cli} list`);
    say(`  ${cli} show ${jobId}`);
    say(`  ${cli} export-failed ${jobId} --format csv --out failed.csv`);
    say(`  ${cli} purge --older-than 7d`);
    if (problems.length > 0) {
      say('');
      for (const p of problems) process.stderr.write(`demo: ${p}\n`);
      return 1;
    }
    if (dashboard) {
      say(`Dashboard stays up at ${dashboard.url}: Ctrl-C to stop.`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return 0;
  } finally {
    for (const child of workers.values()) child.kill('SIGKILL');
    await dashboard?.close();
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    const e = error as { code?: string; exitCode?: number; message?: string };
    if (typeof e?.code === 'string' && e.code.startsWith('commander.')) {
      process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
      return;
    }
    process.stderr.write(`demo: ${String(e?.message ?? error).replace(/\s+/g, ' ')}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : 1;
  },
);
