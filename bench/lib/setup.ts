/**
 * Connections and test data for the bench: one Sequelize store and raw
 * driver connections on the same database and the same tables, and
 * server-side generators that fill a job with many batches and records
 * quickly (setup is never timed).
 */
import 'reflect-metadata';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Sequelize } from 'sequelize';
import { SequelizeStateStore, type SequelizeStateStoreOptions } from '../../src';
import { dialectFor } from '../../src/store/dialects';
import { openRaw, RawSql, type BenchDialect, type Location, type RawConnection } from './raw';

/** The databases this run can cover, from the environment (SQLite always). */
export function locations(): Location[] {
  const out: Location[] = [{ dialect: 'sqlite', storage: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')), 'bench.sqlite') }];
  if (process.env.PG_URL) out.push({ dialect: 'postgres', url: process.env.PG_URL });
  if (process.env.MARIADB_URL) out.push({ dialect: 'mariadb', url: process.env.MARIADB_URL });
  return out;
}

/** A Sequelize instance on a location (pool of `poolMax`). */
export function connect(location: Location, poolMax = 5): Sequelize {
  if (location.dialect === 'sqlite') {
    return new Sequelize({ dialect: 'sqlite', storage: location.storage, logging: false });
  }
  return new Sequelize(location.url as string, { logging: false, pool: { max: poolMax, min: 0, acquire: 120_000 } });
}

/** A store on `prefix` (tables created when `init`). */
export async function openStore(
  location: Location, prefix: string, options: SequelizeStateStoreOptions = {}, init = true,
): Promise<{ sequelize: Sequelize; store: SequelizeStateStore }> {
  const sequelize = connect(location);
  const store = new SequelizeStateStore(sequelize, { ...options, tablePrefix: prefix });
  if (init) await store.initialize();
  else if (location.dialect === 'sqlite') await sequelize.query('PRAGMA busy_timeout = 10000');
  return { sequelize, store };
}

export { openRaw };
export type { BenchDialect, Location, RawConnection };

/** Deterministic sample payload of record `i` (a typical CSV row). */
export function payload(i: number): Record<string, unknown> {
  return {
    name: `User ${i}`,
    email: `user${i}@example.com`,
    age: 20 + (i % 50),
    city: ['Lisbon', 'Madrid', 'Paris', 'Berlin'][i % 4],
    active: i % 3 !== 0,
  };
}

/** A processed record as the engine saves it. */
export function processedRecord(i: number): {
  index: number; raw: Record<string, unknown>; parsed: Record<string, unknown>; status: 'processed'; errors: never[]; retryCount: number;
} {
  const raw = payload(i);
  return { index: i, raw, parsed: raw, status: 'processed', errors: [], retryCount: 0 };
}

/**
 * Fills job `jobId` (whose row must exist) with `batches` batch rows named
 * `${jobId}-b${i}`, the first `completed` of them COMPLETED and the rest
 * PENDING, each covering `perBatch` record indexes. One statement, generated
 * on the server.
 */
export async function seedBatches(raw: RawConnection, batchesTable: string, jobId: string, batches: number, completed: number, perBatch: number): Promise<void> {
  const cols = 'job_id, batch_id, batch_index, status, processed_count, failed_count, record_start_index, record_end_index, version';
  const n = batches - 1;
  switch (raw.dialect) {
    case 'postgres':
      await raw.run(
        `INSERT INTO ${batchesTable} (${cols}) SELECT $1::varchar, $1::varchar || '-b' || g, g, CASE WHEN g < ${completed} THEN 'COMPLETED' ELSE 'PENDING' END,`
        + ` 0, 0, g * ${perBatch}, g * ${perBatch} + ${perBatch - 1}, 0 FROM generate_series(0, ${n}) g`,
        [jobId],
      );
      return;
    case 'mariadb':
      await raw.run(
        `INSERT INTO ${batchesTable} (${cols}) SELECT ?, CONCAT(?, '-b', seq), seq, IF(seq < ${completed}, 'COMPLETED', 'PENDING'),`
        + ` 0, 0, seq * ${perBatch}, seq * ${perBatch} + ${perBatch - 1}, 0 FROM seq_0_to_${n}`,
        [jobId, jobId],
      );
      return;
    case 'sqlite':
      await raw.run(
        `WITH RECURSIVE g(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM g WHERE x < ${n})`
        + ` INSERT INTO ${batchesTable} (${cols}) SELECT ?, ? || '-b' || x, x, CASE WHEN x < ${completed} THEN 'COMPLETED' ELSE 'PENDING' END,`
        + ` 0, 0, x * ${perBatch}, x * ${perBatch} + ${perBatch - 1}, 0 FROM g`,
        [jobId, jobId],
      );
  }
}

/**
 * Fills job `jobId` with `records` small records in batches of `perBatch`
 * (batch ids as {@link seedBatches}): 90 % processed, 5 % failed, 5 % pending.
 * Generated on the server, in slices of 200,000 rows.
 */
export async function seedRecords(raw: RawConnection, recordsTable: string, jobId: string, records: number, perBatch: number): Promise<void> {
  const cols = 'job_id, record_index, batch_id, status, raw, parsed, errors, processing_error, retry_count';
  const body = `'{"name":"u","age":1}'`;
  const slice = 200_000;
  for (let from = 0; from < records; from += slice) {
    const to = Math.min(records, from + slice) - 1;
    switch (raw.dialect) {
      case 'postgres':
        await raw.run(
          `INSERT INTO ${recordsTable} (${cols}) SELECT $1::varchar, g, $1::varchar || '-b' || (g / ${perBatch}),`
          + ` CASE WHEN g % 20 = 0 THEN 'failed' WHEN g % 20 = 1 THEN 'pending' ELSE 'processed' END,`
          + ` ${body}, ${body}, '[]', NULL, 0 FROM generate_series(${from}, ${to}) g`,
          [jobId],
        );
        break;
      case 'mariadb':
        await raw.run(
          `INSERT INTO ${recordsTable} (${cols}) SELECT ?, seq, CONCAT(?, '-b', seq DIV ${perBatch}),`
          + ` CASE WHEN seq % 20 = 0 THEN 'failed' WHEN seq % 20 = 1 THEN 'pending' ELSE 'processed' END,`
          + ` ${body}, ${body}, '[]', NULL, 0 FROM seq_${from}_to_${to}`,
          [jobId, jobId],
        );
        break;
      case 'sqlite':
        await raw.run(
          `WITH RECURSIVE g(x) AS (SELECT ${from} UNION ALL SELECT x + 1 FROM g WHERE x < ${to})`
          + ` INSERT INTO ${recordsTable} (${cols}) SELECT ?, x, ? || '-b' || (x / ${perBatch}),`
          + ` CASE WHEN x % 20 = 0 THEN 'failed' WHEN x % 20 = 1 THEN 'pending' ELSE 'processed' END,`
          + ` ${body}, ${body}, '[]', NULL, 0 FROM g`,
          [jobId, jobId],
        );
    }
  }
}

/** Deletes a job's rows (records, batches, job) with the raw connection. */
export async function dropJob(raw: RawConnection, tables: { jobs: string; batches: string; records: string }, jobId: string): Promise<void> {
  const ph = raw.dialect === 'postgres' ? '$1' : '?';
  await raw.run(`DELETE FROM ${tables.records} WHERE job_id = ${ph}`, [jobId]);
  await raw.run(`DELETE FROM ${tables.batches} WHERE job_id = ${ph}`, [jobId]);
  await raw.run(`DELETE FROM ${tables.jobs} WHERE id = ${ph}`, [jobId]);
}

/**
 * Does to `tables` what the server's own upkeep would have done long before a
 * real job got this far: PostgreSQL `VACUUM ANALYZE` (the dead row versions a
 * bulk UPDATE left, and the planner's statistics), MariaDB `ANALYZE TABLE`
 * (InnoDB purges old versions itself); nothing on SQLite, which keeps no
 * statistics unless asked (the store never asks) and no old versions. A
 * scaling run fills its own tables in one statement just before it measures,
 * sooner than autovacuum (checks every minute) or InnoDB's background
 * recalculation notice; a real job has had both for as long as its earlier
 * batches took. Without statistics PostgreSQL's finalize check read all
 * 10,000 batch rows of the job (a bitmap scan filtering 9,800 COMPLETED,
 * 1.5 ms) instead of one index entry (0.02 ms). And a job whose first 9,800
 * batches one UPDATE marked COMPLETED keeps 9,800 dead PENDING versions until
 * autovacuum comes; a real job's batches complete one by one while it runs.
 */
export async function settleTables(raw: RawConnection, tables: readonly string[]): Promise<void> {
  if (raw.dialect === 'sqlite') return;
  for (const table of tables) await raw.run(raw.dialect === 'postgres' ? `VACUUM ANALYZE ${table}` : `ANALYZE TABLE ${table}`, []);
}

/**
 * Drops a store's tables, and on PostgreSQL its progress counters (table,
 * triggers, functions) first, which dropping the batches table would leave.
 */
export async function dropStoreTables(store: SequelizeStateStore, prefix: string): Promise<void> {
  const counters = dialectFor(store.sequelize.getDialect())?.progressCounters;
  const { progress, batches } = store.tables;
  if (counters && progress) await store.sequelize.query(counters.drop({ batches, progress, prefix })).catch(() => undefined);
  for (const model of [store.models.Record, store.models.Batch, store.models.Job]) await model.drop().catch(() => undefined);
}

let ownTablesRun = 0;

/** Tables of one scaling run, created empty for it. */
export interface OwnTables {
  readonly prefix: string;
  /** A store on them, default options, tables created (the orchestrator / the single process). */
  readonly store: SequelizeStateStore;
  readonly sequelize: Sequelize;
  /** The raw limit's statements on the same tables. */
  readonly sql: RawSql;
}

/**
 * Runs `fn` on tables created empty for it and dropped after it. Scaling rows
 * compare a point early in a job with one 10,000 batches later; on the shared
 * tables of a long run the later point also paid for the millions of dead rows
 * the earlier scenarios left (vacuum, bloat), which the raw limit showed as a
 * 1.5–1.7× growth of its own on PostgreSQL. On PostgreSQL a CHECKPOINT first
 * (when the role may), so that no run starts with the previous run's writes
 * still to flush. Same treatment for the store and the raw limit.
 */
export async function withOwnTables<T>(location: Location, raw: RawConnection, tag: string, fn: (own: OwnTables) => Promise<T>): Promise<T> {
  const prefix = `${tag}${process.pid.toString(36)}${(ownTablesRun++).toString(36)}_`;
  const { sequelize, store } = await openStore(location, prefix);
  try {
    if (raw.dialect === 'postgres') await raw.run('CHECKPOINT', []).catch(() => undefined);
    return await fn({ prefix, store, sequelize, sql: new RawSql(location.dialect, store.tables) });
  } finally {
    await store.close();
    await dropStoreTables(store, prefix);
    await sequelize.close();
  }
}
