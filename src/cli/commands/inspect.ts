/** The commands that look at jobs: `list`, `show`, `watch`. */
import type { Command } from 'commander';
import type { SequelizeStateStore } from '../../store/SequelizeStateStore';
import { CLI_NAME, requireJob, sleep, type CliIo, type CommandRegistration } from '../context';
import { CliError } from '../errors';
import {
  batchFigures, countBatches, formatDuration, formatJobDetails, formatJobList, JOB_JSON_HELP, jobDetailsJson, jobListJson,
  parseDuration, parseInteger, parseStatuses, progressFigures, progressLine, TERMINAL_JOB_STATUSES,
} from '../format';

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

/** `list`: jobs, newest first, with status and progress. */
export const list: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
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

/** `show`: one job in detail. */
export const show: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
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

/** `watch`: a live progress bar until the job ends. */
export const watchCommand: CommandRegistration = ({ command, globals, withStore: open, io, setCode }) => {
  command('watch', 'follow a job with a live progress bar until it completes, fails or is aborted')
    .argument('<jobId>', 'the job id')
    .option('--interval <duration>', 'poll every (e.g. 1000, 500ms, 2s)', (v) => parseDuration(v, '--interval'), 1000)
    .option('--timeout <duration>', 'give up after (exit 4)', (v) => parseDuration(v, '--timeout'))
    .action(async (jobId: string, o: { interval: number; timeout?: number }, cmd: Command) => {
      if (o.interval < 50) throw new CliError('--interval must be at least 50ms', 2);
      setCode(await open(globals(cmd), true, ({ store }) => watch(store, jobId, o.interval, o.timeout, io)));
    });
};

