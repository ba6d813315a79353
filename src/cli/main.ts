#!/usr/bin/env node
/**
 * `bulkimport-state`: the operator CLI of `@batchactions/state-sequelize`.
 *
 * ```sh
 * bulkimport-state --url postgres://user@host/db init
 * bulkimport-state list --status PROCESSING
 * bulkimport-state show <jobId> --stale-ms 60s
 * bulkimport-state watch <jobId> --interval 500
 * bulkimport-state export-failed <jobId> --format csv --out failed.csv
 * bulkimport-state reclaim <jobId> --stale-ms 5m
 * bulkimport-state purge --older-than 7d --chunk 1000
 * ```
 *
 * The database comes from `--url` or `DATABASE_URL`. Errors are one line on
 * stderr with exit code 1 (failure: database, unknown job) or 2 (usage: bad
 * flag, bad URL); `watch` exits 3 when the job ends FAILED or ABORTED and 4
 * on `--timeout`.
 *
 * @packageDocumentation
 */
import 'reflect-metadata';
import * as fs from 'fs';
import { Command, CommanderError, Option } from 'commander';
import type { Sequelize } from 'sequelize';
import { StateStoreError } from '../errors';
import type { JobState, JobStatus } from '../ports';
import type { SequelizeStateStore } from '../store/SequelizeStateStore';
import { oneLine, openStore, type OpenStore } from './connect';
import { CliError } from './errors';
import {
  failedRecordsCsv, failedRecordsJson, formatDuration, formatJobDetails, formatJobList, jobDetailsJson, parseDuration,
  parseInteger, parseStatuses, percentDone, progressLine, TERMINAL_JOB_STATUSES,
} from './format';

/** The command name, in messages. */
export const CLI_NAME = 'bulkimport-state';

/** Where the CLI writes and what it reads from its environment (tests can pass their own). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (live progress bar there) or not (plain progress lines on stdout). */
  readonly tty: boolean;
}

interface GlobalOptions {
  url?: string;
  prefix: string;
  schema?: string;
}

type Migrate = (sequelize: Sequelize, options: { tablePrefix?: string; schema?: string }) => Promise<string[]>;

/** The schema migrations' `migrate`, when this build has them. */
function loadMigrate(): Migrate | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../migrations') as { migrate?: Migrate };
    return typeof mod.migrate === 'function' ? mod.migrate : undefined;
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND' && /migrations/.test(String((error as Error).message))) return undefined;
    throw error;
  }
}

async function withStore<T>(opts: GlobalOptions, io: CliIo, requireTables: boolean, fn: (s: OpenStore) => Promise<T>): Promise<T> {
  const opened = await openStore(opts.url ?? io.env.DATABASE_URL, { tablePrefix: opts.prefix, schema: opts.schema, requireTables });
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

async function requireJob(store: SequelizeStateStore, jobId: string): Promise<JobState> {
  const job = await store.getJobState(jobId);
  if (!job) throw new CliError(`job ${JSON.stringify(jobId)} not found`, 1);
  return job;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `watch`: polls progress until the job is terminal. Resolves to the exit code. */
async function watch(store: SequelizeStateStore, jobId: string, intervalMs: number, timeoutMs: number | undefined, io: CliIo): Promise<number> {
  let job = await requireJob(store, jobId);
  const started = Date.now();
  let bar: import('cli-progress').SingleBar | undefined;
  let lastLine = '';
  let interrupted = false;
  const onSigint = (): void => { interrupted = true; };
  process.once('SIGINT', onSigint);
  try {
    for (;;) {
      const progress = await store.getProgress(jobId);
      const done = progress.processedRecords + progress.failedRecords;
      if (io.tty) {
        if (!bar) {
          const { SingleBar, Presets } = await import('cli-progress');
          bar = new SingleBar({
            format: ' {bar} {percentage}% | {value}/{total} records | {failed} failed | batches {batches} | {status}',
            hideCursor: true,
          }, Presets.shades_classic);
          bar.start(Math.max(1, progress.totalRecords), done, {
            failed: progress.failedRecords, batches: `${progress.currentBatch}/${progress.totalBatches}`, status: job.status,
          });
        }
        bar.setTotal(Math.max(1, progress.totalRecords));
        bar.update(done, { failed: progress.failedRecords, batches: `${progress.currentBatch}/${progress.totalBatches}`, status: job.status });
      } else {
        const line = progressLine(job.status, progress);
        if (line !== lastLine) io.out(`${line}\n`);
        lastLine = line;
      }
      if (TERMINAL_JOB_STATUSES.includes(job.status)) {
        bar?.stop();
        bar = undefined;
        io.out(`Job ${jobId} ${job.status}: ${progress.processedRecords} processed, ${progress.failedRecords} failed`
          + ` of ${progress.totalRecords} records (${percentDone(done, progress.totalRecords)}%) in ${formatDuration(progress.elapsedMs)}\n`);
        if (job.status === 'COMPLETED') return 0;
        io.err(`${CLI_NAME}: job ${JSON.stringify(jobId)} ended ${job.status}\n`);
        return 3;
      }
      if (interrupted) {
        bar?.stop();
        return 130;
      }
      if (timeoutMs !== undefined && Date.now() - started >= timeoutMs) {
        bar?.stop();
        bar = undefined;
        io.err(`${CLI_NAME}: job ${JSON.stringify(jobId)} still ${job.status} after ${formatDuration(timeoutMs)}\n`);
        return 4;
      }
      await sleep(intervalMs);
      job = await requireJob(store, jobId);
    }
  } finally {
    bar?.stop();
    process.removeListener('SIGINT', onSigint);
  }
}

/** Builds the command-line program. `setCode` receives each command's exit code. */
export function buildProgram(io: CliIo, setCode: (code: number) => void): Command {
  const program = new Command(CLI_NAME);
  program
    .description('Inspect and manage @batchactions import jobs stored by @batchactions/state-sequelize')
    .option('--url <url>', 'database URL: postgres://, mysql://, mariadb://, sqlite:<file> or sqlite::memory: (default: $DATABASE_URL)')
    .option('--prefix <prefix>', 'table prefix of the store', '')
    .option('--schema <schema>', 'PostgreSQL schema (MySQL/MariaDB: database) of the tables')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(`${CLI_NAME}: ${s.replace(/^error: /, '').replace(/\s+/g, ' ').trim()}\n`),
    })
    .allowExcessArguments(true)
    .arguments('[command]')
    .action((command?: string) => {
      throw new CliError(command
        ? `unknown command ${JSON.stringify(command)}; see ${CLI_NAME} --help`
        : `missing command (init, list, show, watch, export-failed, reclaim, purge); see ${CLI_NAME} --help`, 2);
    });

  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions;
  const sub = (name: string, description: string): Command =>
    program.command(name).description(description).allowExcessArguments(false);

  sub('init', 'create or upgrade the schema (tables, indexes, migrations)')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = globals(cmd);
      await withStore(opts, io, false, async ({ sequelize, store }) => {
        const migrate = loadMigrate();
        if (migrate) {
          const applied = await migrate(sequelize, { tablePrefix: opts.prefix, ...(opts.schema ? { schema: opts.schema } : {}) });
          io.out(applied.length > 0 ? `Applied migrations: ${applied.join(', ')}\n` : 'Schema is up to date: no pending migrations.\n');
        } else {
          await store.initialize();
          io.out('Tables and indexes are in place (store.initialize()).\n');
        }
      });
      setCode(0);
    });

  sub('list', 'list jobs, newest first, with status and progress')
    .option('--status <statuses>', 'only these statuses, comma-separated (e.g. PROCESSING,FAILED)')
    .option('--limit <n>', 'how many jobs', (v) => parseInteger(v, '--limit', 1, 1000), 20)
    .option('--offset <n>', 'skip this many jobs', (v) => parseInteger(v, '--offset', 0, 2_147_483_647), 0)
    .option('--json', 'print JSON')
    .action(async (o: { status?: string; limit: number; offset: number; json?: boolean }, cmd: Command) => {
      const status = o.status !== undefined ? parseStatuses(o.status, '--status') : undefined;
      await withStore(globals(cmd), io, true, async ({ store }) => {
        const jobs = await store.listJobs({ ...(status ? { status } : {}), limit: o.limit, offset: o.offset });
        if (o.json) {
          io.out(`${JSON.stringify(jobs.map((j) => ({
            ...j, percentage: percentDone(j.processedRecords + j.failedRecords, j.totalRecords),
          })), null, 2)}\n`);
        } else {
          io.out(`${formatJobList(jobs, await store.databaseTime())}\n`);
        }
      });
      setCode(0);
    });

  sub('show', 'show one job: progress, batches by status, who holds what, stale claims')
    .argument('<jobId>', 'the job id')
    .option('--stale-ms <duration>', 'a claim older than this is stale (e.g. 60000, 60s, 5m)', (v) => parseDuration(v, '--stale-ms'), 60_000)
    .option('--json', 'print JSON')
    .action(async (jobId: string, o: { staleMs: number; json?: boolean }, cmd: Command) => {
      await withStore(globals(cmd), io, true, async ({ store }) => {
        const job = await requireJob(store, jobId);
        const progress = await store.getProgress(jobId);
        const now = await store.databaseTime();
        io.out(o.json
          ? `${JSON.stringify(jobDetailsJson(job, progress, now, o.staleMs), null, 2)}\n`
          : `${formatJobDetails(job, progress, now, o.staleMs, CLI_NAME)}\n`);
      });
      setCode(0);
    });

  sub('watch', 'follow a job with a live progress bar until it completes, fails or is aborted')
    .argument('<jobId>', 'the job id')
    .option('--interval <duration>', 'poll every (e.g. 1000, 500ms, 2s)', (v) => parseDuration(v, '--interval'), 1000)
    .option('--timeout <duration>', 'give up after (exit 4)', (v) => parseDuration(v, '--timeout'))
    .action(async (jobId: string, o: { interval: number; timeout?: number }, cmd: Command) => {
      if (o.interval < 50) throw new CliError('--interval must be at least 50ms', 2);
      const code = await withStore(globals(cmd), io, true, ({ store }) => watch(store, jobId, o.interval, o.timeout, io));
      setCode(code);
    });

  sub('export-failed', "export a job's failed and invalid records with their errors")
    .argument('<jobId>', 'the job id')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (jobId: string, o: { format: 'csv' | 'json'; out?: string }, cmd: Command) => {
      await withStore(globals(cmd), io, true, async ({ store }) => {
        await requireJob(store, jobId);
        const records = await store.getFailedRecords(jobId);
        const text = o.format === 'json' ? failedRecordsJson(records) : failedRecordsCsv(records);
        if (o.out) {
          try {
            fs.writeFileSync(o.out, text);
          } catch (error) {
            throw new CliError(`cannot write ${o.out}: ${oneLine(error)}`, 1);
          }
          io.err(`Wrote ${records.length} failed records of job ${jobId} to ${o.out}\n`);
        } else {
          io.out(text);
        }
      });
      setCode(0);
    });

  sub('reclaim', 'put batches claimed longer ago than --stale-ms back to PENDING')
    .argument('<jobId>', 'the job id')
    .requiredOption('--stale-ms <duration>', 'lease age after which a claim is stale (e.g. 300000, 5m)', (v) => parseDuration(v, '--stale-ms'))
    .action(async (jobId: string, o: { staleMs: number }, cmd: Command) => {
      await withStore(globals(cmd), io, true, async ({ store }) => {
        await requireJob(store, jobId);
        const n = await store.reclaimStaleBatches(jobId, o.staleMs);
        io.out(`Reclaimed ${n} stale batch${n === 1 ? '' : 'es'} of job ${jobId} (claimed more than ${formatDuration(o.staleMs)} ago)\n`);
      });
      setCode(0);
    });

  sub('purge', 'delete finished jobs (and their batches and records) older than a given age, in bounded chunks')
    .requiredOption('--older-than <duration>', 'finished more than this long ago (e.g. 7d, 12h)', (v) => parseDuration(v, '--older-than'))
    .option('--chunk <n>', 'most rows per DELETE statement', (v) => parseInteger(v, '--chunk', 1, 100_000), 1000)
    .option('--status <statuses>', 'statuses to purge, comma-separated', TERMINAL_JOB_STATUSES.join(','))
    .action(async (o: { olderThan: number; chunk: number; status: string }, cmd: Command) => {
      const statuses: JobStatus[] = parseStatuses(o.status, '--status');
      await withStore(globals(cmd), io, true, async ({ store }) => {
        const n = await store.purgeJobs({ olderThanMs: o.olderThan, statuses, chunkSize: o.chunk });
        io.out(`Purged ${n} job${n === 1 ? '' : 's'} (${statuses.join(', ')}) finished more than ${formatDuration(o.olderThan)} ago\n`);
      });
      setCode(0);
    });

  return program;
}

/**
 * Runs the CLI on `argv` (user arguments only, without `node` and the
 * script). Never throws: resolves to the exit code, having written any
 * error as one line to `io.err`.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => { code = c; });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (one line, see outputError).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return error.exitCode;
      }
      return 2;
    }
    if (error instanceof CliError) {
      io.err(`${CLI_NAME}: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof StateStoreError) {
      io.err(`${CLI_NAME}: ${oneLine(error)}\n`);
      return error.name === 'InvalidInputError' ? 2 : 1;
    }
    io.err(`${CLI_NAME}: ${oneLine(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  const io: CliIo = {
    out: (s) => { process.stdout.write(s); },
    err: (s) => { process.stderr.write(s); },
    env: process.env,
    tty: Boolean(process.stderr.isTTY),
  };
  void run(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}
