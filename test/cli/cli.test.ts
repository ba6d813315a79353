/**
 * Every `bulkimport-state` command, run as a child process against SQLite
 * and PostgreSQL (when PG_URL is set), checking output and exit codes.
 */
import { spawn } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Sequelize } from 'sequelize';
import { createSequelize, parseDatabaseUrl } from '../../src/cli/connect';
import { SequelizeStateStore, type JobState, type ProcessedRecord } from '../../src';
import { parseCsv } from '../../demo/csv';
import { uniquePrefix } from '../helpers/databases';
import { build, cli, dropPrefix, expectOneLineError, removeBuild, ROOT } from './cliHelpers';

const DAY = 86_400_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkimport-cli-'));

beforeAll(() => { build(); }, 300_000);
afterAll(() => { removeBuild(); });

const TARGETS: { name: string; url: string }[] = [
  { name: 'sqlite', url: `sqlite:${path.join(tmp, 'cli.sqlite')}` },
  ...(process.env.PG_URL ? [{ name: 'postgres', url: process.env.PG_URL }] : []),
];

function rec(index: number, status: ProcessedRecord['status'], extra: Partial<ProcessedRecord> = {}): ProcessedRecord {
  return { index, raw: { id: String(index + 1), name: `User ${index}`, email: `u${index}@example.com` }, parsed: {}, status, errors: [], ...extra };
}

describe.each(TARGETS.map((t) => [t.name, t] as const))('bulkimport-state on %s', (_name, target) => {
  const prefix = uniquePrefix('cli');
  const g = ['--url', target.url, '--prefix', prefix];
  let sequelize: Sequelize;
  let store: SequelizeStateStore;
  const jobA = randomUUID();
  const jobB = randomUUID();
  const jobC = randomUUID();
  const jobD = randomUUID();
  const jobE = randomUUID();
  const batchA = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];

  beforeAll(async () => {
    const init = await cli([...g, 'init']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toMatch(/Applied migrations: \S+|Tables and indexes are in place/);

    sequelize = createSequelize(parseDatabaseUrl(target.url));
    store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    // A: distributed, PROCESSING: batch 0 done (with an invalid and a failed record), batch 1 held by worker-b, 2 and 3 pending.
    for (let b = 0; b < 4; b++) {
      await store.saveBatchRecords(jobA, batchA[b] as string, [0, 1, 2, 3, 4].map((k) => rec(b * 5 + k, 'pending')));
    }
    const a: JobState = {
      id: jobA, config: { batchSize: 5 }, status: 'PROCESSING', totalRecords: 20, startedAt: Date.now(), distributed: true,
      batches: batchA.map((id, i) => ({ id, index: i, status: 'PENDING' as const, records: [], processedCount: 0, failedCount: 0, recordStartIndex: i * 5, recordEndIndex: i * 5 + 4 })),
    };
    await store.saveJobState(a);
    const c0 = await store.claimBatch(jobA, 'worker-a');
    expect(c0.claimed && c0.reservation.batchIndex).toBe(0);
    for (const k of [0, 1, 2]) await store.saveProcessedRecord(jobA, batchA[0] as string, rec(k, 'processed'));
    await store.saveProcessedRecord(jobA, batchA[0] as string, rec(3, 'invalid', {
      errors: [{ field: 'email', message: 'is not an e-mail', code: 'PATTERN_MISMATCH', value: 'x' }],
    }));
    await store.saveProcessedRecord(jobA, batchA[0] as string, rec(4, 'failed', { processingError: 'boom, "quoted"\nsecond line', retryCount: 2 }));
    await store.updateBatchState(jobA, batchA[0] as string, { batchId: batchA[0] as string, status: 'COMPLETED', processedCount: 3, failedCount: 2 });
    const c1 = await store.claimBatch(jobA, 'worker-b');
    expect(c1.claimed && c1.reservation.batchIndex).toBe(1);
    // B: completed ten days ago. C: failed just now.
    for (const [id, status, completedAt] of [[jobB, 'COMPLETED', Date.now() - 10 * DAY], [jobC, 'FAILED', Date.now()]] as const) {
      const batchId = randomUUID();
      await store.saveJobState({
        id, config: { batchSize: 2 }, status, totalRecords: 2, startedAt: completedAt - 1000, completedAt,
        batches: [{ id: batchId, index: 0, status: status === 'FAILED' ? 'FAILED' : 'COMPLETED', records: [], processedCount: 1, failedCount: 1 }],
      });
      await store.saveProcessedRecord(id, batchId, rec(0, 'processed'));
      await store.saveProcessedRecord(id, batchId, rec(1, 'failed', { processingError: 'nope' }));
    }
    // D: completed without batches (nothing to import). E: created, 5 records, no batches yet.
    await store.saveJobState({ id: jobD, config: { batchSize: 2 }, status: 'COMPLETED', totalRecords: 0, batches: [], startedAt: Date.now() - 500, completedAt: Date.now() });
    await store.saveJobState({ id: jobE, config: { batchSize: 2 }, status: 'CREATED', totalRecords: 5, batches: [] });
  });

  afterAll(async () => {
    await dropPrefix(sequelize, prefix);
    await sequelize.close();
  });

  it('init is idempotent', async () => {
    const again = await cli([...g, 'init']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Schema is up to date|Tables and indexes are in place/);
  });

  it('list shows every job with status and progress', async () => {
    const r = await cli([...g, 'list']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^JOB\s+STATUS\s+MODE\s+RECORDS\s+DONE\s+FAILED\s+BATCHES/);
    const line = (id: string): string => lines.find((l) => l.startsWith(id)) ?? '';
    // A: 5 of 20 records done by the batches' counts.
    expect(line(jobA)).toMatch(new RegExp(`^${jobA}\\s+PROCESSING\\s+distributed\\s+20\\s+25%\\s+2\\s+1/4\\s+1\\s`));
    expect(line(jobB)).toMatch(/\sCOMPLETED\s+single\s+2\s+100%\s+1\s+1\/1\s/);
    expect(line(jobC)).toMatch(/\sFAILED\s+single\s+2\s+100%\s+1\s+0\/1, 1 failed\s/);

    const json = await cli([...g, 'list', '--json', '--status', 'processing,failed']);
    expect(json.code).toBe(0);
    const jobs = JSON.parse(json.stdout) as { id: string; status: string; progress: { percentage: number }; batches: { processing: number } }[];
    expect(jobs.map((j) => j.id).sort()).toEqual([jobA, jobC].sort());
    expect(jobs.find((j) => j.id === jobA)).toMatchObject({ progress: { percentage: 25 }, batches: { processing: 1 } });

    const limited = await cli([...g, 'list', '--json', '--limit', '1']);
    expect(JSON.parse(limited.stdout)).toHaveLength(1);

    expectOneLineError(await cli([...g, 'list', '--limit', '0']), 2, /--limit must be an integer from 1 to 1000/);
    expectOneLineError(await cli([...g, 'list', '--status', 'DONE']), 2, /unknown status "DONE"/);
  });

  it('show gives batches by status, who holds what, and stale claims', async () => {
    const r = await cli([...g, 'show', jobA]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Job ${jobA}`);
    expect(r.stdout).toMatch(/status\s+PROCESSING \(distributed\)/);
    expect(r.stdout).toMatch(/progress\s+25% of 20 records: 3 processed, 2 failed, 15 pending; batches 1\/4 completed\n/);
    expect(r.stdout).toMatch(/batches\s+4 total: 2 pending, 1 processing, 0 paused, 1 completed, 0 failed/);
    expect(r.stdout).toMatch(/worker-b\s+#1\s+5-9\s+\S+ ago\s+-\s+ok/);
    expect(r.stdout).toContain('Stale claims (lease older than 1m): none');

    await new Promise((resolve) => setTimeout(resolve, 30));
    const stale = await cli([...g, 'show', jobA, '--stale-ms', '1']);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toMatch(/worker-b\s+#1\s+5-9\s+\S+ ago\s+-\s+STALE/);
    expect(stale.stdout).toContain('Stale claims (lease older than 1ms): 1 (#1 by worker-b)');
    expect(stale.stdout).toContain(`reclaim ${jobA} --stale-ms 1`);

    const json = JSON.parse((await cli([...g, 'show', jobA, '--json', '--stale-ms', '1'])).stdout);
    expect(json).toMatchObject({
      id: jobA, status: 'PROCESSING', distributed: true, staleClaims: 1,
      batches: { total: 4, pending: 2, processing: 1, completed: 1, failed: 0, paused: 0 },
      progress: { totalRecords: 20, processedRecords: 3, failedRecords: 2, pendingRecords: 15 },
    });
    expect(json.holdings).toEqual([expect.objectContaining({ workerId: 'worker-b', batchIndex: 1, stale: true })]);

    expectOneLineError(await cli([...g, 'show', 'no-such-job']), 1, /job "no-such-job" not found/);
    expectOneLineError(await cli([...g, 'show', jobA, '--stale-ms', 'soon']), 2, /--stale-ms must be a duration/);
    expectOneLineError(await cli([...g, 'show']), 2, /missing required argument 'jobId'/);
    expectOneLineError(await cli([...g, 'show', jobA, 'extra']), 2, /too many arguments/);
  });

  it('list, show and watch give the same figures for the same job: without batches, FAILED', async () => {
    const listed = await cli([...g, 'list', '--limit', '1000']);
    expect(listed.code).toBe(0);
    const cases: [string, string, string, string[]][] = [
      // id, status, figures (show and watch), list columns RECORDS DONE FAILED BATCHES
      [jobC, 'FAILED', '100% of 2 records: 1 processed, 1 failed, 0 pending; batches 0/1 completed, 1 failed', ['2', '100%', '1', '0/1, 1 failed']],
      [jobD, 'COMPLETED', '0% of 0 records: 0 processed, 0 failed, 0 pending; batches 0/0 completed', ['0', '0%', '0', '0/0']],
      [jobE, 'CREATED', '0% of 5 records: 0 processed, 0 failed, 5 pending; batches 0/0 completed', ['5', '0%', '0', '0/0']],
    ];
    for (const [id, status, figures, columns] of cases) {
      const row = (listed.stdout.split('\n').find((l) => l.startsWith(id)) ?? '').split(/\s{2,}/);
      expect([id, row.slice(1, 2), row.slice(3, 7)]).toEqual([id, [status], columns]);
      const shown = await cli([...g, 'show', id]);
      expect([id, shown.stdout]).toEqual([id, expect.stringContaining(`\n  progress   ${figures}\n`)]);
      const watched = await cli([...g, 'watch', id, '--interval', '100', '--timeout', '100ms']);
      expect([id, watched.stdout.split('\n')[0]]).toEqual([id, `${status} ${figures}`]);
    }
  });

  it('list --json and show --json use the same keys and values for the same things', async () => {
    const listed = JSON.parse((await cli([...g, 'list', '--json', '--limit', '1000'])).stdout) as Record<string, unknown>[];
    for (const id of [jobA, jobC]) {
      const l = listed.find((j) => j.id === id) as Record<string, unknown>;
      const shown = JSON.parse((await cli([...g, 'show', id, '--json'])).stdout) as Record<string, unknown>;
      const keys = (o: Record<string, unknown>, own: string[]): string[] => Object.keys(o).filter((k) => !own.includes(k)).sort();
      expect(keys(l, ['createdAt', 'updatedAt'])).toEqual(['batches', 'completedAt', 'distributed', 'id', 'progress', 'startedAt', 'status', 'totalRecords']);
      expect(keys(shown, ['holdings', 'staleMs', 'staleClaims'])).toEqual(keys(l, ['createdAt', 'updatedAt']));
      expect(Object.keys(l.batches as object).sort()).toEqual(['completed', 'failed', 'paused', 'pending', 'processing', 'total']);
      const same = (o: Record<string, unknown>): Record<string, unknown> => {
        // elapsedMs and the estimate of a running job move between two reads.
        const { elapsedMs: _e, estimatedRemainingMs: _r, ...progress } = o.progress as Record<string, unknown>;
        return { ...Object.fromEntries(keys(l, ['createdAt', 'updatedAt']).map((k) => [k, o[k]])), progress };
      };
      expect(same(shown)).toEqual(same(l));
    }
  });

  it('export-failed writes failed and invalid records with their errors as CSV or JSON', async () => {
    const csv = await cli([...g, 'export-failed', jobA, '--format', 'csv']);
    expect(csv.code).toBe(0);
    const rows = parseCsv(csv.stdout);
    expect(rows).toEqual([
      { index: '3', status: 'invalid', retries: '', errors: 'email: is not an e-mail [PATTERN_MISMATCH]', processing_error: '', id: '4', name: 'User 3', email: 'u3@example.com' },
      { index: '4', status: 'failed', retries: '2', errors: '', processing_error: 'boom, "quoted"\nsecond line', id: '5', name: 'User 4', email: 'u4@example.com' },
    ]);

    const json = await cli([...g, 'export-failed', jobA, '--format', 'json']);
    expect(json.code).toBe(0);
    const records = JSON.parse(json.stdout);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ index: 3, status: 'invalid', errors: [{ field: 'email', code: 'PATTERN_MISMATCH' }], raw: { id: '4' } });
    expect(records[1]).toMatchObject({ index: 4, status: 'failed', processingError: 'boom, "quoted"\nsecond line', retryCount: 2 });

    const out = path.join(tmp, `failed-${target.name}.json`);
    const written = await cli([...g, 'export-failed', jobA, '--format', 'json', '--out', out]);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    expect(written.stderr).toContain(`Wrote 2 failed records of job ${jobA} to ${out}`);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(records);

    expectOneLineError(await cli([...g, 'export-failed', jobA, '--format', 'xml']), 2, /argument 'xml' is invalid/);
    expectOneLineError(await cli([...g, 'export-failed', 'nope']), 1, /job "nope" not found/);
    expectOneLineError(await cli([...g, 'export-failed', jobA, '--out', path.join(tmp, 'no', 'such', 'dir', 'f.csv')]), 1, /cannot write/);
  });

  /** Puts batch `index` of job A in worker `workerId`'s hands directly in the table, its lease times by the database clock. */
  async function holdBatch(index: number, workerId: string, claimedAgoMs: number, renewedAgoMs: number | null): Promise<void> {
    const now = await store.databaseTime();
    await sequelize.query(
      `UPDATE ${prefix}bulkimport_batches SET status = 'PROCESSING', worker_id = :w, claimed_at = :c, renewed_at = :r, version = version + 1`
        + ' WHERE job_id = :j AND batch_id = :b',
      { replacements: { w: workerId, c: now - claimedAgoMs, r: renewedAgoMs === null ? null : now - renewedAgoMs, j: jobA, b: batchA[index] } },
    );
  }

  it('reclaim puts stale claims back to PENDING, warning when their workers may be alive', async () => {
    const fresh = await cli([...g, 'reclaim', jobA, '--stale-ms', '1h']);
    expect(fresh.code).toBe(0);
    expect(fresh.stderr).toBe('');
    expect(fresh.stdout).toContain(`Reclaimed 0 stale batches of job ${jobA}`);

    // Batch #2 claimed 2 h ago and renewed 1 h ago: its worker renews, less often than --stale-ms 30m.
    await holdBatch(2, 'worker-z', 2 * 3_600_000, 3_600_000);
    const renewed = await cli([...g, 'reclaim', jobA, '--stale-ms', '30m']);
    expect(renewed.code).toBe(0);
    expect(renewed.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^bulkimport-state: warning: batch #2 \(worker-z, renewed 1h ago\) was renewed after being claimed, .*--stale-ms 30m\b.*use a longer --stale-ms \(e\.g\. --stale-ms 3h\)$/),
    ]);
    expect(renewed.stdout).toContain(`Reclaimed 1 stale batch of job ${jobA} (lease older than 30m): #2 (worker-z)`);

    // Claimed 2 h ago and never renewed: a dead worker, reclaimed without a word.
    await holdBatch(2, 'worker-z', 2 * 3_600_000, null);
    const dead = await cli([...g, 'reclaim', jobA, '--stale-ms', '30m']);
    expect(dead.code).toBe(0);
    expect(dead.stderr).toBe('');
    expect(dead.stdout).toContain(`Reclaimed 1 stale batch of job ${jobA} (lease older than 30m): #2 (worker-z)`);

    // A --stale-ms below the floor: warned, and done (worker-b's claim of #1 is older than 1 ms).
    await new Promise((resolve) => setTimeout(resolve, 30));
    const r = await cli([...g, 'reclaim', jobA, '--stale-ms', '1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^bulkimport-state: warning: --stale-ms 1ms is shorter than 30s: a live worker that renews its lease less often than that loses its batch/m);
    expect(r.stdout).toContain(`Reclaimed 1 stale batch of job ${jobA} (lease older than 1ms): #1 (worker-b)`);
    expect((await store.getDistributedStatus(jobA))).toMatchObject({ processingBatches: 0, pendingBatches: 3 });
    const show = await cli([...g, 'show', jobA]);
    expect(show.stdout).toContain('Workers holding batches: none');

    expectOneLineError(await cli([...g, 'reclaim', jobA]), 2, /required option '--stale-ms/);
    expectOneLineError(await cli([...g, 'reclaim', 'nope', '--stale-ms', '1']), 1, /job "nope" not found/);
  });

  it('watch follows a job until it is terminal, with exit codes by outcome', async () => {
    expectOneLineError(await cli([...g, 'watch', jobA, '--interval', '100', '--timeout', '300ms']), 4, /still PROCESSING after 300ms/);
    const failed = await cli([...g, 'watch', jobC]);
    expect(failed.code).toBe(3);
    expect(failed.stdout).toMatch(new RegExp(`Job ${jobC} FAILED in \\S+: 100% of 2 records: 1 processed, 1 failed, 0 pending; batches 0/1 completed, 1 failed`));
    expectOneLineError(failed, 3, new RegExp(`job "${jobC}" ended FAILED`));
    expectOneLineError(await cli([...g, 'watch', 'nope']), 1, /job "nope" not found/);
    expectOneLineError(await cli([...g, 'watch', jobA, '--interval', '10']), 2, /--interval must be at least 50ms/);

    // Live: the watcher sees PROCESSING, then the remaining batches are done and the job finalized.
    const child = spawn(process.execPath, [path.join(build(), 'src/cli/main.js'), ...g, 'watch', jobA, '--interval', '100'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += String(d); });
    const sawProcessing = new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => { stdout += String(d); if (/PROCESSING \d+% of/.test(stdout)) resolve(); });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await Promise.race([sawProcessing, exited]);
    expect(stdout).toMatch(/^PROCESSING 25% of 20 records: 3 processed, 2 failed, 15 pending; batches 1\/4 completed$/m);
    for (;;) {
      const claim = await store.claimBatch(jobA, 'worker-c');
      if (!claim.claimed) break;
      const { batchId, recordStartIndex, recordEndIndex } = claim.reservation;
      for (let i = recordStartIndex; i <= recordEndIndex; i++) await store.saveProcessedRecord(jobA, batchId, rec(i, 'processed'));
      await store.updateBatchState(jobA, batchId, { batchId, status: 'COMPLETED', processedCount: 5, failedCount: 0 });
    }
    expect(await store.tryFinalizeJob(jobA)).toBe(true);
    expect(await exited).toBe(0);
    expect(stdout).toMatch(new RegExp(`Job ${jobA} COMPLETED in \\S+: 100% of 20 records: 18 processed, 2 failed, 0 pending; batches 4/4 completed`));
    expect(stdout).toMatch(/^COMPLETED 100% of 20 records: 18 processed, 2 failed, 0 pending; batches 4\/4 completed$/m);
    expect(stderr).toBe('');
  });

  it('purge deletes finished jobs older than the age, in chunks; --dry-run lists them; others need --force', async () => {
    expectOneLineError(await cli([...g, 'purge']), 2, /required option '--older-than/);
    expectOneLineError(await cli([...g, 'purge', '--older-than', '7d', '--chunk', '0']), 2, /--chunk must be an integer from 1 to 100000/);
    expectOneLineError(await cli([...g, 'purge', '--older-than', 'a week']), 2, /--older-than must be a duration/);
    expectOneLineError(await cli([...g, 'purge', '--older-than', '0', '--status', 'FAILED,processing']), 2,
      /purge deletes finished jobs only \(COMPLETED, ABORTED, FAILED\); PROCESSING is not finished: pass --force/);

    const dry = await cli([...g, 'purge', '--older-than', '7d', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toBe('');
    const lines = dry.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Dry run: would delete 1 job \(COMPLETED, ABORTED, FAILED jobs that finished more than 7d ago, before \d{4}-\d\d-\d\d \S+Z\) with their batches and records:$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^  ${jobB}  COMPLETED  finished \\S+ \\S+Z  2 records, 1 batch$`)), 'Nothing deleted.']);
    expect(await store.getJobState(jobB)).not.toBeNull();

    // Not terminal: only with --force, and said so. CREATED job E was last updated before now.
    const forced = await cli([...g, 'purge', '--older-than', '0', '--status', 'CREATED', '--force', '--dry-run']);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toBe('bulkimport-state: warning: --force: deleting CREATED jobs too; workers still running them will fail\n');
    expect(forced.stdout).toMatch(new RegExp(`^Dry run: would delete 1 job \\(CREATED jobs that finished more than 0ms ago, [^\\n]*\\n  ${jobE}  CREATED  `));
    expect(await store.getJobState(jobE)).not.toBeNull();

    const r = await cli([...g, 'purge', '--older-than', '7d', '--chunk', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Deleted 1 job \(COMPLETED, ABORTED, FAILED jobs that finished more than 7d ago, before \S+ \S+Z\) with their batches and records\.$/m);
    expect(await store.getJobState(jobB)).toBeNull();
    expect(await store.getJobState(jobA)).not.toBeNull();
    expect(await store.getJobState(jobC)).not.toBeNull();
    const list = await cli([...g, 'list']);
    expect(list.stdout).not.toContain(jobB);
    const none = await cli([...g, 'purge', '--older-than', '7d']);
    expect(none.stdout).toMatch(/^Deleted nothing: no COMPLETED, ABORTED, FAILED jobs that finished more than 7d ago/);
    const noneDry = await cli([...g, 'purge', '--older-than', '7d', '--dry-run']);
    expect(noneDry.stdout).toMatch(/^Dry run: no COMPLETED, ABORTED, FAILED jobs that finished more than 7d ago .*Nothing deleted\.$/m);
  });

  it('reads the database from DATABASE_URL', async () => {
    const r = await cli(['--prefix', prefix, 'list', '--json'], { DATABASE_URL: target.url });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((j) => j.id)).toContain(jobA);
  });

  it('names the prefixes that exist when the tables of a prefix are missing', async () => {
    expectOneLineError(await cli(['--url', target.url, '--prefix', 'nosuchprefix_', 'list']), 1,
      new RegExp(`no state tables with prefix "nosuchprefix_" in this (database|schema); found tables with prefix(es)? .*"${prefix}" \\(--prefix ${prefix}\\)`));
  });
});

describe('bulkimport-state usage errors', () => {
  it('rejects a missing, malformed or unsupported URL with a one-line error', async () => {
    expectOneLineError(await cli(['list']), 2, /no database given: pass --url or set DATABASE_URL/);
    expectOneLineError(await cli(['--url', 'ftp://host/db', 'list']), 2, /unsupported database URL scheme "ftp:"/);
    expectOneLineError(await cli(['--url', 'not a url', 'list']), 2, /bad database URL/);
    expectOneLineError(await cli(['--url', 'postgres://host', 'list']), 2, /no database name/);
    expectOneLineError(await cli(['--url', `sqlite:${path.join(tmp, 'missing.sqlite')}`, 'list']), 1, /no SQLite database at .*missing\.sqlite/);
    expectOneLineError(await cli(['--url', 'postgres://nobody:secret@127.0.0.1:1/db', 'list']), 1, /cannot connect to postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/db/);
  });

  it('rejects unknown commands and flags, and a bad prefix', async () => {
    expectOneLineError(await cli([]), 2, /missing command/);
    expectOneLineError(await cli(['lsit']), 2, /unknown command "lsit"/);
    expectOneLineError(await cli(['list', '--frobnicate']), 2, /unknown option '--frobnicate'/);
    expectOneLineError(await cli(['--url', `sqlite:${path.join(tmp, 'p.sqlite')}`, '--prefix', 'bad-prefix', 'init']), 2, /tablePrefix must be/);
  });

  it('prints help on --help with exit 0: a clean usage line, no in-memory database', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('Usage: bulkimport-state [global options] <command> [options]');
    for (const c of ['init', 'list', 'show', 'watch', 'export-failed', 'reclaim', 'purge']) expect(r.stdout).toContain(c);
    expect(r.stdout).not.toMatch(/memory/);
    expectOneLineError(await cli(['--url', 'sqlite::memory:', 'list']), 2, /an in-memory SQLite database starts empty and is gone when the command ends: give a file/);
    // The JSON shape list --json and show --json share is in their help.
    for (const command of ['list', 'show']) {
      const help = await cli([command, '--help']);
      expect(help.stdout).toContain('"batches":  { "total", "pending", "processing", "paused", "completed", "failed" }');
    }
  });

  it('prints the package version on --version', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, `${version}\n`, '']);
  });

  it('says when a database has no state tables at all', async () => {
    const empty = path.join(tmp, 'empty.sqlite');
    fs.writeFileSync(empty, '');
    expectOneLineError(await cli(['--url', `sqlite:${empty}`, 'list']), 1,
      /no state tables with prefix "" in this database, nor with any other prefix \(no table ends in bulkimport_jobs\): run `init` to create them/);
  });
});
