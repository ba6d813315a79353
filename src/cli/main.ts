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
 * bulkimport-state purge --older-than 7d --dry-run
 * bulkimport-state --version
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
import * as path from 'path';
import { Command, CommanderError, Option } from 'commander';
import type { Sequelize } from 'sequelize';
import { StateStoreError } from '../errors';
import type { JobState, JobStatus } from '../ports';
import type { JobSummary, SequelizeStateStore } from '../store/SequelizeStateStore';
import { oneLine, openStore, parseDatabaseUrl, type OpenStore } from './connect';
import { CliError } from './errors';
import {
  batchFigures, batchHoldings, countBatches, failedRecordsCsv, failedRecordsJson, formatDuration, formatJobDetails, formatJobList,
  formatTime, JOB_JSON_HELP, jobDetailsJson, jobListJson, parseDuration, parseInteger, parseStatuses, progressFigures, progressLine,
  reclaimWarnings, TERMINAL_JOB_STATUSES,
} from './format';

/** The command name, in messages. */
export const CLI_NAME = 'bulkimport-state';

/** The package whose version `--version` prints. */
const PACKAGE_NAME = '@batchactions/state-sequelize';

/**
 * The package's version, from the nearest `package.json` named
 * `@batchactions/state-sequelize` above this file: found the same from
 * `src/cli` (ts-node), `dist/cli` (the built `bin`) and an installed copy.
 */
export function cliVersion(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no (readable) package.json here: look further up
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/** Where the CLI writes and what it reads from its environment (tests can pass their own). */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (live progress bar there) or not (plain progress lines on stdout). */
  readonly tty: boolean;
}

/** The options every command takes (before or after the command name). */
export interface GlobalOptions {
  url?: string;
  prefix: string;
  schema?: string;
}

/** What a command's registration gets: where to write, and the shared helpers. */
export interface CommandContext {
  readonly io: CliIo;
  /** Sets the process exit code of the command that ran. */
  setCode(code: number): void;
  /** A new subcommand of the program (no excess arguments). */
  command(name: string, description: string): Command;
  /** The global options as seen from a subcommand. */
  globals(cmd: Command): GlobalOptions;
  /** Opens the store of the global options, runs `fn`, closes it. `requireTables`: fail when the tables are missing. */
  withStore<T>(opts: GlobalOptions, requireTables: boolean, fn: (s: OpenStore) => Promise<T>): Promise<T>;
}

/** Adds one command (or several) to the program. */
export type CommandRegistration = (ctx: CommandContext) => void;

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
  const url = opts.url ?? io.env.DATABASE_URL;
  if (parseDatabaseUrl(url).storage === ':memory:') {
    throw new CliError('an in-memory SQLite database starts empty and is gone when the command ends: give a file (sqlite:path/to/db.sqlite)', 2);
  }
  const opened = await openStore(url, { tablePrefix: opts.prefix, schema: opts.schema, requireTables });
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
const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

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
      const batches = countBatches(job.batches);
      const done = progress.processedRecords + progress.failedRecords;
      if (io.tty) {
        // The bar's position is drawing only; every figure shown is the store's.
        const payload = { pct: progress.percentage, failed: progress.failedRecords, batches: batchFigures(progress, batches), status: job.status };
        if (!bar) {
          const { SingleBar, Presets } = await import('cli-progress');
          bar = new SingleBar({
            format: ' {bar} {pct}% | {value}/{total} records | {failed} failed | batches {batches} | {status}',
            hideCursor: true,
          }, Presets.shades_classic);
          bar.start(Math.max(1, progress.totalRecords), done, payload);
        }
        bar.setTotal(Math.max(1, progress.totalRecords));
        bar.update(done, payload);
      } else {
        const line = progressLine(job.status, progress, batches);
        if (line !== lastLine) io.out(`${line}\n`);
        lastLine = line;
      }
      if (TERMINAL_JOB_STATUSES.includes(job.status)) {
        bar?.stop();
        bar = undefined;
        io.out(`Job ${jobId} ${job.status} in ${formatDuration(progress.elapsedMs)}: ${progressFigures(progress, batches)}\n`);
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

/**
 * The jobs `purgeJobs` would delete now: one of `statuses`, finished
 * (`completedAt`, else last update) before `cutoff` (database clock), as
 * its `selectPurgeableJobs` decides. Oldest first.
 */
async function purgeCandidates(store: SequelizeStateStore, statuses: readonly JobStatus[], cutoff: number): Promise<JobSummary[]> {
  const out: JobSummary[] = [];
  const limit = 1000;
  for (let offset = 0; ; offset += limit) {
    const page = await store.listJobs({ status: statuses, limit, offset });
    for (const j of page) if ((j.completedAt ?? j.updatedAt) < cutoff) out.push(j);
    if (page.length < limit) break;
  }
  return out.sort((a, b) => (a.completedAt ?? a.updatedAt) - (b.completedAt ?? b.updatedAt) || a.id.localeCompare(b.id));
}

const init: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
  command('init', 'create or upgrade the schema (tables, indexes, migrations)')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = globals(cmd);
      await open(opts, false, async ({ sequelize, store }) => {
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
};

const list: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
  command('list', 'list jobs, newest first, with status and progress')
    .option('--status <statuses>', 'only these statuses, comma-separated (e.g. PROCESSING,FAILED)')
    .option('--limit <n>', 'how many jobs', (v) => parseInteger(v, '--limit', 1, 1000), 20)
    .option('--offset <n>', 'skip this many jobs', (v) => parseInteger(v, '--offset', 0, 2_147_483_647), 0)
    .option('--json', 'print JSON (shape below)')
    .addHelpText('after', JOB_JSON_HELP)
    .action(async (o: { status?: string; limit: number; offset: number; json?: boolean }, cmd: Command) => {
      const status = o.status !== undefined ? parseStatuses(o.status, '--status') : undefined;
      await open(globals(cmd), true, async ({ store }) => {
        const jobs = await store.listJobs({ ...(status ? { status } : {}), limit: o.limit, offset: o.offset });
        io.out(o.json ? `${JSON.stringify(jobs.map(jobListJson), null, 2)}\n` : `${formatJobList(jobs, await store.databaseTime())}\n`);
      });
      setCode(0);
    });
};

const show: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
  command('show', 'show one job: progress, batches by status, who holds what, stale claims')
    .argument('<jobId>', 'the job id')
    .option('--stale-ms <duration>', 'a lease older than this is stale (e.g. 60000, 60s, 5m)', (v) => parseDuration(v, '--stale-ms'), 60_000)
    .option('--json', 'print JSON (shape below)')
    .addHelpText('after', JOB_JSON_HELP)
    .action(async (jobId: string, o: { staleMs: number; json?: boolean }, cmd: Command) => {
      await open(globals(cmd), true, async ({ store }) => {
        const job = await requireJob(store, jobId);
        const progress = await store.getProgress(jobId);
        const batches = await store.listBatches(jobId);
        const now = await store.databaseTime();
        io.out(o.json
          ? `${JSON.stringify(jobDetailsJson(job, progress, batches, now, o.staleMs), null, 2)}\n`
          : `${formatJobDetails(job, progress, batches, now, o.staleMs, CLI_NAME)}\n`);
      });
      setCode(0);
    });
};

const watchCommand: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
  command('watch', 'follow a job with a live progress bar until it completes, fails or is aborted')
    .argument('<jobId>', 'the job id')
    .option('--interval <duration>', 'poll every (e.g. 1000, 500ms, 2s)', (v) => parseDuration(v, '--interval'), 1000)
    .option('--timeout <duration>', 'give up after (exit 4)', (v) => parseDuration(v, '--timeout'))
    .action(async (jobId: string, o: { interval: number; timeout?: number }, cmd: Command) => {
      if (o.interval < 50) throw new CliError('--interval must be at least 50ms', 2);
      setCode(await open(globals(cmd), true, ({ store }) => watch(store, jobId, o.interval, o.timeout, io)));
    });
};

const exportFailed: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
  command('export-failed', "export a job's failed and invalid records with their errors")
    .argument('<jobId>', 'the job id')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (jobId: string, o: { format: 'csv' | 'json'; out?: string }, cmd: Command) => {
      await open(globals(cmd), true, async ({ store }) => {
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
};

const reclaim: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
  command('reclaim', 'put batches whose lease is older than --stale-ms back to PENDING (warns when their workers may be alive)')
    .argument('<jobId>', 'the job id')
    .requiredOption('--stale-ms <duration>', 'lease age (since the claim or its last renewal) after which a batch is stale (e.g. 300000, 5m)', (v) => parseDuration(v, '--stale-ms'))
    .action(async (jobId: string, o: { staleMs: number }, cmd: Command) => {
      await open(globals(cmd), true, async ({ store }) => {
        await requireJob(store, jobId);
        const batches = await store.listBatches(jobId);
        const now = await store.databaseTime();
        for (const w of reclaimWarnings(batches, now, o.staleMs)) io.err(`${CLI_NAME}: ${w}\n`);
        const stale = batchHoldings(batches, now, o.staleMs).filter((h) => h.stale);
        const n = await store.reclaimStaleBatches(jobId, o.staleMs);
        // Which ones, when the count says nothing changed in between.
        const which = n > 0 && n === stale.length
          ? `: ${stale.map((h) => `${h.batchIndex !== null ? `#${h.batchIndex}` : h.batchId} (${h.workerId})`).join(', ')}` : '';
        io.out(`Reclaimed ${plural(n, 'stale batch', 'stale batches')} of job ${jobId} (lease older than ${formatDuration(o.staleMs)})${which}\n`);
      });
      setCode(0);
    });
};

const purge: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
  command('purge', 'delete finished jobs (with their batches and records) older than a given age, in bounded chunks')
    .requiredOption('--older-than <duration>', 'finished (completedAt, else last update) more than this long ago, by the database clock (e.g. 7d, 12h)',
      (v) => parseDuration(v, '--older-than'))
    .option('--status <statuses>', `statuses to purge, comma-separated: ${TERMINAL_JOB_STATUSES.join(', ')} (others need --force)`,
      TERMINAL_JOB_STATUSES.join(','))
    .option('--chunk <n>', 'most rows per DELETE statement', (v) => parseInteger(v, '--chunk', 1, 100_000), 1000)
    .option('--dry-run', 'list the jobs that would be deleted; delete nothing')
    .option('--force', 'allow statuses that are not terminal (jobs that may still be running)')
    .action(async (o: { olderThan: number; chunk: number; status: string; dryRun?: boolean; force?: boolean }, cmd: Command) => {
      const statuses: JobStatus[] = parseStatuses(o.status, '--status');
      const running = statuses.filter((s) => !TERMINAL_JOB_STATUSES.includes(s));
      if (running.length > 0 && !o.force) {
        throw new CliError(`purge deletes finished jobs only (${TERMINAL_JOB_STATUSES.join(', ')}); ${running.join(', ')}`
          + ` ${running.length === 1 ? 'is' : 'are'} not finished: pass --force to delete such jobs anyway`, 2);
      }
      const what = `${statuses.join(', ')} jobs that finished more than ${formatDuration(o.olderThan)} ago`;
      await open(globals(cmd), true, async ({ store }) => {
        if (running.length > 0) {
          io.err(`${CLI_NAME}: warning: --force: deleting ${running.join(', ')} jobs too; workers still running them will fail\n`);
        }
        const now = await store.databaseTime();
        const cutoff = now - o.olderThan;
        if (o.dryRun) {
          const jobs = await purgeCandidates(store, statuses, cutoff);
          if (jobs.length === 0) {
            io.out(`Dry run: no ${what} (before ${formatTime(cutoff)}, database clock). Nothing deleted.\n`);
            return;
          }
          io.out(`Dry run: would delete ${plural(jobs.length, 'job')} (${what}, before ${formatTime(cutoff)}) with their batches and records:\n`);
          for (const j of jobs) {
            io.out(`  ${j.id}  ${j.status}  finished ${formatTime(j.completedAt ?? j.updatedAt)}  ${plural(j.progress.totalRecords, 'record')}, ${plural(j.batches.total, 'batch', 'batches')}\n`);
          }
          io.out('Nothing deleted.\n');
          return;
        }
        const n = await store.purgeJobs({ olderThanMs: o.olderThan, statuses, chunkSize: o.chunk });
        io.out(n > 0
          ? `Deleted ${plural(n, 'job')} (${what}, before ${formatTime(cutoff)}) with their batches and records.\n`
          : `Deleted nothing: no ${what} (before ${formatTime(cutoff)}).\n`);
      });
      setCode(0);
    });
};

const dashboardCommand: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
  command('dashboard', 'serve the web dashboard (jobs, live job pages, /metrics) until Ctrl-C')
    .option('--port <n>', 'TCP port (0: any free one)', (v) => parseInteger(v, '--port', 0, 65535), 4100)
    .option('--host <host>', 'interface to bind; the default serves this machine only', '127.0.0.1')
    .option('--base-path <path>', 'serve under this path, e.g. /imports', '')
    .option('--stale-ms <duration>', 'a lease older than this shows as stale and is what reclaim takes back (e.g. 60s, 15m)',
      (v) => parseDuration(v, '--stale-ms'), 60_000)
    .option('--allow-actions', 'allow reclaim, release and purge from the page (needs --token)')
    .option('--token <token>', 'the actions token, at least 16 characters (default: $DASHBOARD_TOKEN)')
    .action(async (o: { port: number; host: string; basePath: string; staleMs: number; allowActions?: boolean; token?: string }, cmd: Command) => {
      const token = o.token ?? io.env.DASHBOARD_TOKEN;
      if (o.allowActions && (!token || token.length < 16)) {
        throw new CliError('--allow-actions needs --token (at least 16 characters) or $DASHBOARD_TOKEN', 2);
      }
      if (!o.allowActions && o.token !== undefined) throw new CliError('--token is only used with --allow-actions', 2);
      await open(globals(cmd), true, async ({ store }) => {
        const { serveDashboard } = await import('../dashboard'); // loaded by this command only
        let served: Awaited<ReturnType<typeof serveDashboard>>;
        try {
          served = await serveDashboard(store, {
            port: o.port, host: o.host, basePath: o.basePath, staleAfterMs: o.staleMs,
            ...(o.allowActions ? { actions: { token: token as string } } : {}),
          });
        } catch (error) {
          throw new CliError(`cannot serve the dashboard on ${o.host}:${o.port}: ${oneLine(error)}`, error instanceof TypeError ? 2 : 1);
        }
        io.out(`Dashboard: ${served.url} (${o.allowActions ? 'actions allowed' : 'read-only'}). Press Ctrl-C to stop.\n`);
        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            resolve();
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        await served.close();
        io.out('Dashboard stopped.\n');
      });
      setCode(0);
    });
};

/**
 * The commands, in help order. A new command is one more
 * {@link CommandRegistration} here.
 */
export const COMMANDS: readonly CommandRegistration[] = [init, list, show, watchCommand, exportFailed, reclaim, purge, dashboardCommand];

/** Builds the command-line program. `setCode` receives each command's exit code. */
export function buildProgram(io: CliIo, setCode: (code: number) => void, commands: readonly CommandRegistration[] = COMMANDS): Command {
  const program = new Command(CLI_NAME);
  program
    .description('Inspect and manage @batchactions import jobs stored by @batchactions/state-sequelize')
    .usage('[global options] <command> [options]')
    .version(cliVersion(), '-V, --version', 'print the version')
    .option('--url <url>', 'database URL: postgres://, mysql://, mariadb:// or sqlite:<file> (default: $DATABASE_URL)')
    .option('--prefix <prefix>', 'table prefix of the store', '')
    .option('--schema <schema>', 'PostgreSQL schema (MySQL/MariaDB: database) of the tables')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(`${CLI_NAME}: ${s.replace(/^error: /, '').replace(/\s+/g, ' ').trim()}\n`),
    })
    .allowExcessArguments(true)
    // Reached only without a known command (commander runs a subcommand's action otherwise).
    .action((_o: unknown, cmd: Command) => {
      const [name] = cmd.args;
      const names = program.commands.map((c) => c.name()).join(', ');
      throw new CliError(name !== undefined
        ? `unknown command ${JSON.stringify(name)} (commands: ${names}); see ${CLI_NAME} --help`
        : `missing command (${names}); see ${CLI_NAME} --help`, 2);
    });

  const context: CommandContext = {
    io,
    setCode,
    command: (name, description) => program.command(name).description(description).allowExcessArguments(false),
    globals: (cmd) => cmd.optsWithGlobals() as GlobalOptions,
    withStore: (opts, requireTables, fn) => withStore(opts, io, requireTables, fn),
  };
  for (const register of commands) register(context);
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
