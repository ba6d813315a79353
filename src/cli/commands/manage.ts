/** The commands that change things: `init`, `export-failed`, `reclaim`, `purge`. */
import * as fs from 'fs';
import { Option, type Command } from 'commander';
import type { JobStatus } from '../../ports';
import type { JobSummary, SequelizeStateStore } from '../../store/SequelizeStateStore';
import { oneLine } from '../connect';
import { CLI_NAME, loadMigrate, plural, requireJob, type CommandRegistration } from '../context';
import { CliError } from '../errors';
import {
  batchHoldings, failedRecordsCsv, failedRecordsJson, formatDuration, formatTime, parseDuration, parseInteger, parseStatuses,
  reclaimWarnings, TERMINAL_JOB_STATUSES,
} from '../format';

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

/** `init`: create or upgrade the schema. */
export const init: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
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

/** `export-failed`: a job's failed records as CSV or JSON. */
export const exportFailed: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
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

/** `reclaim`: stale leases back to PENDING. */
export const reclaim: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
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

/** `purge`: finished jobs older than an age. */
export const purge: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
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

