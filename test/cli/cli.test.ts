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
    expect(line(jobC)).toMatch(/\sFAILED\s/);

    const json = await cli([...g, 'list', '--json', '--status', 'processing,failed']);
    expect(json.code).toBe(0);
    const jobs = JSON.parse(json.stdout) as { id: string; status: string; percentage: number; batches: { processing: number } }[];
    expect(jobs.map((j) => j.id).sort()).toEqual([jobA, jobC].sort());
    expect(jobs.find((j) => j.id === jobA)).toMatchObject({ percentage: 25, batches: { processing: 1 } });

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
    expect(r.stdout).toMatch(/records\s+20 total: 3 processed, 2 failed, 15 pending \(25% done\)/);
    expect(r.stdout).toMatch(/batches\s+4 total: 2 PENDING, 1 PROCESSING, 0 PAUSED, 1 COMPLETED, 0 FAILED/);
    expect(r.stdout).toMatch(/worker-b\s+#1\s+5-9\s+\S+ ago\s+ok/);
    expect(r.stdout).toContain('Stale claims (older than 1m): none');

    await new Promise((resolve) => setTimeout(resolve, 30));
    const stale = await cli([...g, 'show', jobA, '--stale-ms', '1']);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toMatch(/worker-b\s+#1\s+5-9\s+\S+ ago\s+STALE/);
    expect(stale.stdout).toContain('Stale claims (older than 1ms): 1 (#1 by worker-b)');
    expect(stale.stdout).toContain(`reclaim ${jobA} --stale-ms 1`);

    const json = JSON.parse((await cli([...g, 'show', jobA, '--json', '--stale-ms', '1'])).stdout);
    expect(json).toMatchObject({
      id: jobA, status: 'PROCESSING', distributed: true, staleClaims: 1,
      batches: { PENDING: 2, PROCESSING: 1, COMPLETED: 1, FAILED: 0, PAUSED: 0 },
      progress: { totalRecords: 20, processedRecords: 3, failedRecords: 2, pendingRecords: 15 },
    });
    expect(json.holdings).toEqual([expect.objectContaining({ workerId: 'worker-b', batchIndex: 1, stale: true })]);

    expectOneLineError(await cli([...g, 'show', 'no-such-job']), 1, /job "no-such-job" not found/);
    expectOneLineError(await cli([...g, 'show', jobA, '--stale-ms', 'soon']), 2, /--stale-ms must be a duration/);
    expectOneLineError(await cli([...g, 'show']), 2, /missing required argument 'jobId'/);
    expectOneLineError(await cli([...g, 'show', jobA, 'extra']), 2, /too many arguments/);
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

  it('reclaim puts stale claims back to PENDING', async () => {
    const fresh = await cli([...g, 'reclaim', jobA, '--stale-ms', '1h']);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toContain(`Reclaimed 0 stale batches of job ${jobA}`);
    const r = await cli([...g, 'reclaim', jobA, '--stale-ms', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Reclaimed 1 stale batch of job ${jobA}`);
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
    expect(failed.stdout).toContain(`Job ${jobC} FAILED: 1 processed, 1 failed of 2 records (100%)`);
    expectOneLineError(failed, 3, new RegExp(`job "${jobC}" ended FAILED`));
    expectOneLineError(await cli([...g, 'watch', 'nope']), 1, /job "nope" not found/);
    expectOneLineError(await cli([...g, 'watch', jobA, '--interval', '10']), 2, /--interval must be at least 50ms/);

    // Live: the watcher sees PROCESSING, then the remaining batches are done and the job finalized.
    const child = spawn(process.execPath, [path.join(build(), 'src/cli/main.js'), ...g, 'watch', jobA, '--interval', '100'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += String(d); });
    const sawProcessing = new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => { stdout += String(d); if (/PROCESSING \d+%/.test(stdout)) resolve(); });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await Promise.race([sawProcessing, exited]);
    expect(stdout).toMatch(/^PROCESSING 25% 5\/20 records \(2 failed\), batches 1\/4$/m);
    for (;;) {
      const claim = await store.claimBatch(jobA, 'worker-c');
      if (!claim.claimed) break;
      const { batchId, recordStartIndex, recordEndIndex } = claim.reservation;
      for (let i = recordStartIndex; i <= recordEndIndex; i++) await store.saveProcessedRecord(jobA, batchId, rec(i, 'processed'));
      await store.updateBatchState(jobA, batchId, { batchId, status: 'COMPLETED', processedCount: 5, failedCount: 0 });
    }
    expect(await store.tryFinalizeJob(jobA)).toBe(true);
    expect(await exited).toBe(0);
    expect(stdout).toMatch(new RegExp(`Job ${jobA} COMPLETED: 18 processed, 2 failed of 20 records \\(100%\\)`));
    expect(stdout).toMatch(/^COMPLETED 100% 20\/20 records \(2 failed\), batches 4\/4$/m);
    expect(stderr).toBe('');
  });

  it('purge deletes finished jobs older than the age, in chunks', async () => {
    expectOneLineError(await cli([...g, 'purge']), 2, /required option '--older-than/);
    expectOneLineError(await cli([...g, 'purge', '--older-than', '7d', '--chunk', '0']), 2, /--chunk must be an integer from 1 to 100000/);
    expectOneLineError(await cli([...g, 'purge', '--older-than', 'a week']), 2, /--older-than must be a duration/);
    const r = await cli([...g, 'purge', '--older-than', '7d', '--chunk', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Purged 1 job (COMPLETED, ABORTED, FAILED) finished more than 7d ago');
    expect(await store.getJobState(jobB)).toBeNull();
    expect(await store.getJobState(jobA)).not.toBeNull();
    expect(await store.getJobState(jobC)).not.toBeNull();
    const list = await cli([...g, 'list']);
    expect(list.stdout).not.toContain(jobB);
    const none = await cli([...g, 'purge', '--older-than', '7d']);
    expect(none.stdout).toContain('Purged 0 jobs');
  });

  it('reads the database from DATABASE_URL', async () => {
    const r = await cli(['--prefix', prefix, 'list', '--json'], { DATABASE_URL: target.url });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string }[]).map((j) => j.id)).toContain(jobA);
  });

  it('says so when the tables of a prefix are missing', async () => {
    expectOneLineError(await cli(['--url', target.url, '--prefix', 'nosuchprefix_', 'list']), 1, /no state tables with prefix "nosuchprefix_".*run `init` first/);
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

  it('prints help on --help with exit 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['init', 'list', 'show', 'watch', 'export-failed', 'reclaim', 'purge']) expect(r.stdout).toContain(c);
  });
});
