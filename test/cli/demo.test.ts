/**
 * `npm run demo` (demo/run.ts), small, as a child process on SQLite and on
 * PostgreSQL (when PG_URL is set): a worker is killed mid-batch, its batch
 * is reclaimed and redone, and the job completes with every record
 * accounted for. Then the CLI the demo points to reads the same job.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createSequelize, parseDatabaseUrl } from '../../src/cli/connect';
import { expectedFailures } from '../../demo/csv';
import { Sequelize } from 'sequelize';
import { uniquePrefix } from '../helpers/databases';
import { slowTest } from '../helpers/slow';
import { build, cli, dropPrefix, expectOneLineError, removeBuild, runTs } from './cliHelpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkimport-demo-'));
beforeAll(() => { build(); }, 300_000);
afterAll(() => { removeBuild(); });

const TARGETS: { name: string; url: string | undefined }[] = [
  // No URL: the demo's default embedded SQLite file, under --dir.
  { name: 'sqlite (default file)', url: undefined },
  ...(process.env.PG_URL ? [{ name: 'postgres', url: process.env.PG_URL }] : []),
];

describe.each(TARGETS.map((t) => [t.name, t] as const))('npm run demo on %s', (name, target) => {
  const prefix = uniquePrefix('demo');
  const dir = path.join(tmp, name.replace(/\W+/g, '_'));
  const url = target.url ?? `sqlite:${path.join(dir, 'demo.sqlite')}`;

  afterAll(async () => {
    const sequelize = createSequelize(parseDatabaseUrl(url));
    await dropPrefix(sequelize, prefix);
    await sequelize.close();
  });

  slowTest('imports with several workers, survives a killed worker and finalizes', async () => {
    const records = 600;
    const r = await runTs('demo/run.ts', [
      '--records', String(records), '--batch-size', '50', '--workers', '3', '--stale-ms', '1500', '--prefix', prefix, '--dir', dir,
    ], target.url ? { DATABASE_URL: target.url } : {}, 300_000);
    if (r.code !== 0) throw new Error(`demo exited ${r.code} ${r.signal ?? ''}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    expect(r.stderr).toBe('');
    const out = r.stdout;
    expect(out).toContain(`${records} records`);
    expect(out).toMatch(/Prepared job [0-9a-f-]{36}: 600 records in 12 batches of 50/);
    expect(out).toMatch(/Starting 3 worker processes/);
    const kill = /killed worker-2 \(pid \d+\) with SIGKILL in the middle of batch #(\d+): 25 of 50 records written/.exec(out);
    expect(kill).not.toBeNull();
    const batch = kill?.[1];
    expect(out).toMatch(/worker-\d reclaimed 1 stale batch \(lease older than 1\.5s\)/);
    expect(out).toMatch(new RegExp(`batch #${batch} \\(left by the killed worker-2\\) was taken over by worker-[13]`));
    expect(out).toMatch(/worker-\d finalized the job: COMPLETED/);
    const { invalid, failed } = expectedFailures(records);
    expect(out).toMatch(new RegExp(`records\\s+600: ${600 - invalid - failed} processed, ${invalid + failed} failed \\(${invalid} invalid, ${failed} failed processing\\)`));
    expect(out).toMatch(/throughput\s+\d+ records\/s/);
    expect(out).toMatch(/^  batches\s+12 batches of 50 records, 3 workers, 1 killed \(batch #\d+ redone by worker-[13]\)$/m);
    const jobId = /job\s+([0-9a-f-]{36}) COMPLETED/.exec(out)?.[1] as string;
    expect(jobId).toBeDefined();
    expect(out).toContain(`show ${jobId}`);
    expect(out).toContain(`export-failed ${jobId}`);

    // The CLI the demo points to sees the same job.
    const show = await cli(['--url', url, '--prefix', prefix, 'show', jobId, '--json']);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({
      status: 'COMPLETED', distributed: true, totalRecords: 600,
      progress: { processedRecords: 600 - invalid - failed, failedRecords: invalid + failed, pendingRecords: 0 },
      batches: { total: 12, completed: 12, processing: 0, pending: 0 },
    });
  });
});

describe('npm run demo usage errors', () => {
  it('refuses what cannot work, with a one-line error', async () => {
    expectOneLineError(await runTs('demo/run.ts', ['--workers', '1', '--dir', tmp]), 2, /--workers must be at least 2/);
    expectOneLineError(await runTs('demo/run.ts', ['--url', 'sqlite::memory:', '--dir', tmp]), 2, /in-memory SQLite database cannot be shared/);
    expectOneLineError(await runTs('demo/run.ts', ['--records', 'many']), 2, /--records must be an integer/);
    expectOneLineError(await runTs('demo/run.ts', ['--bogus']), 2, /unknown option '--bogus'/);
    expectOneLineError(await runTs('demo/run.ts', ['--url', 'ftp://x/y', '--dir', tmp]), 2, /unsupported database URL scheme/);
  });
});

const SERVERS: { name: string; url: string }[] = [
  ...(process.env.PG_URL ? [{ name: 'postgres', url: process.env.PG_URL }] : []),
  ...(process.env.MARIADB_URL ? [{ name: 'mariadb', url: process.env.MARIADB_URL }] : []),
];

// Jest refuses an empty table: without a server URL there is nothing to run here.
if (SERVERS.length > 0) describe.each(SERVERS.map((t) => [t.name, t] as const))('npm run demo on a %s database that does not exist', (name, server) => {
  const database = `bulk_demo_missing_${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const url = new URL(server.url);
  url.pathname = `/${database}`;
  const args = ['--url', url.toString(), '--records', '40', '--batch-size', '20', '--workers', '2', '--no-kill', '--dir', path.join(tmp, `missing-${name}`)];

  afterAll(async () => {
    const admin = new Sequelize(server.url, { logging: false });
    await admin.query(`DROP DATABASE IF EXISTS ${name === 'postgres' ? `"${database}"` : `\`${database}\``}`).catch(() => undefined);
    await admin.close();
  });

  it('says how to create it, and --create-db creates it', async () => {
    const how = name === 'postgres'
      ? `create it with \`createdb -h ${url.hostname} -p ${url.port || 5432} -U ${url.username} ${database}\``
      : `create it with \`mysql -h ${url.hostname} -P ${url.port || 3306} -u ${url.username} -e 'CREATE DATABASE \`${database}\`'\``;
    const missing = await runTs('demo/run.ts', args);
    expectOneLineError(missing, 1, new RegExp(`^demo: database "${database}" does not exist on ${url.host}: .*, or run the demo with --create-db$`));
    expect(missing.stderr).toContain(how);

    const created = await runTs('demo/run.ts', [...args, '--create-db'], {}, 300_000);
    if (created.code !== 0) throw new Error(`demo exited ${created.code}\nstdout:\n${created.stdout}\nstderr:\n${created.stderr}`);
    expect(created.stdout).toContain(`Created database "${database}" (--create-db)`);
    expect(created.stdout).toMatch(/job\s+[0-9a-f-]{36} COMPLETED/);
    // Once it exists, --create-db changes nothing.
    const again = await runTs('demo/run.ts', [...args, '--create-db'], {}, 300_000);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('Created database');
  });
});
