/**
 * The "physical limit" side of the benchmark: the database drivers used
 * directly (`pg`, `mariadb`, `sqlite3`), without Sequelize, running the best
 * plain SQL written by hand for each operation. Same database, same tables
 * and indexes as the store (the store's `initialize()` made them).
 */
import type { Tables } from '../../src';

/** The three databases the bench covers. */
export type BenchDialect = 'sqlite' | 'postgres' | 'mariadb';

/** A single connection of one raw driver. */
export interface RawConnection {
  readonly dialect: BenchDialect;
  /** Rows of a statement (SELECT, or `… RETURNING`). */
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a statement; returns the rows it changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  close(): Promise<void>;
}

/** Where a dialect lives: a URL (servers) or a file (SQLite). */
export interface Location {
  readonly dialect: BenchDialect;
  readonly url?: string;
  readonly storage?: string;
}

/** Opens one raw connection. */
export async function openRaw(location: Location): Promise<RawConnection> {
  switch (location.dialect) {
    case 'postgres': {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      // No @types/pg here: the little used is typed by hand.
      interface PgClient {
        connect(): Promise<void>;
        query(sql: string, params: unknown[]): Promise<{ rows: never[]; rowCount: number | null }>;
        end(): Promise<void>;
      }
      const { Client } = require('pg') as { Client: new (options: { connectionString?: string }) => PgClient };
      const client = new Client({ connectionString: location.url });
      await client.connect();
      return {
        dialect: 'postgres',
        rows: async (sql, params = []) => (await client.query(sql, params)).rows,
        run: async (sql, params = []) => (await client.query(sql, params)).rowCount ?? 0,
        close: () => client.end(),
      };
    }
    case 'mariadb': {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const mariadb = require('mariadb') as typeof import('mariadb');
      const conn = await mariadb.createConnection(location.url as string);
      return {
        dialect: 'mariadb',
        rows: async (sql, params = []) => (await conn.query(sql, params)) as never,
        run: async (sql, params = []) => Number(((await conn.query(sql, params)) as { affectedRows: number | bigint }).affectedRows),
        close: () => conn.end(),
      };
    }
    case 'sqlite': {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const sqlite3 = require('sqlite3') as typeof import('sqlite3');
      const db = await new Promise<import('sqlite3').Database>((resolve, reject) => {
        const d = new sqlite3.Database(location.storage as string, (e) => (e ? reject(e) : resolve(d)));
      });
      db.configure('busyTimeout', 10_000);
      return {
        dialect: 'sqlite',
        rows: (sql, params = []) =>
          new Promise((resolve, reject) => db.all(sql, params, (e, rows) => (e ? reject(e) : resolve(rows as never)))),
        run: (sql, params = []) =>
          new Promise((resolve, reject) =>
            db.run(sql, params, function (this: { changes: number }, e: Error | null) {
              if (e) reject(e);
              else resolve(this.changes);
            }),
          ),
        close: () => new Promise((resolve, reject) => db.close((e) => (e ? reject(e) : resolve()))),
      };
    }
  }
}

/** Number of a bind parameter in the dialect's syntax (`$n` on PostgreSQL, `?` elsewhere, in order). */
function p(dialect: BenchDialect, n: number): string {
  return dialect === 'postgres' ? `$${n}` : '?';
}

function params(dialect: BenchDialect, rows: number, columns: number, first = 1): string {
  const out: string[] = [];
  let n = first;
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(p(dialect, n++));
    out.push(`(${row.join(',')})`);
  }
  return out.join(',');
}

const RECORD_COLS = 'job_id, record_index, batch_id, status, raw, parsed, errors, processing_error, retry_count';

/** Hand-written SQL for one dialect and one set of tables. */
export class RawSql {
  private readonly cache = new Map<string, string>();
  constructor(readonly dialect: BenchDialect, readonly t: Tables) {}

  private memo(key: string, build: () => string): string {
    let s = this.cache.get(key);
    if (s === undefined) this.cache.set(key, (s = build()));
    return s;
  }

  /** Plain multi-row INSERT of `rows` records (9 values each). */
  insertRecords(rows: number): string {
    return this.memo(`ins${rows}`, () => `INSERT INTO ${this.t.records} (${RECORD_COLS}) VALUES ${params(this.dialect, rows, 9)}`);
  }

  /** Multi-row upsert of `rows` records keyed by (job, index). */
  upsertRecords(rows: number): string {
    return this.memo(`ups${rows}`, () => {
      const head = `INSERT INTO ${this.t.records} (${RECORD_COLS}) VALUES ${params(this.dialect, rows, 9)}`;
      if (this.dialect === 'mariadb') {
        return `${head} ON DUPLICATE KEY UPDATE batch_id = VALUES(batch_id), status = VALUES(status), raw = VALUES(raw),`
          + ' parsed = VALUES(parsed), errors = VALUES(errors), processing_error = VALUES(processing_error), retry_count = VALUES(retry_count)';
      }
      return `${head} ON CONFLICT (job_id, record_index) DO UPDATE SET batch_id = excluded.batch_id, status = excluded.status,`
        + ' raw = excluded.raw, parsed = excluded.parsed, errors = excluded.errors,'
        + ' processing_error = excluded.processing_error, retry_count = excluded.retry_count';
    });
  }

  /** Sets a batch's status and counts: (status, processed, failed, job, batch). */
  updateBatch(): string {
    const d = this.dialect;
    return this.memo('ub', () =>
      `UPDATE ${this.t.batches} SET status = ${p(d, 1)}, processed_count = ${p(d, 2)}, failed_count = ${p(d, 3)}, version = version + 1`
      + ` WHERE job_id = ${p(d, 4)} AND batch_id = ${p(d, 5)}`);
  }

  /** The claim, in one statement (PostgreSQL, SQLite): (job, worker, job) → the batch row. */
  claimOneStatement(): string {
    const d = this.dialect;
    const lock = d === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const now = d === 'postgres'
      ? '(floor(extract(epoch from clock_timestamp()) * 1000))::bigint'
      : "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
    return this.memo('claim1', () =>
      `UPDATE ${this.t.batches} SET status = 'PROCESSING', worker_id = ${p(d, 2)}, claimed_at = ${now}, version = version + 1`
      + ` WHERE job_id = ${p(d, 1)} AND batch_id = (SELECT batch_id FROM ${this.t.batches}`
      + ` WHERE job_id = ${p(d, d === 'postgres' ? 1 : 3)} AND status = 'PENDING' ORDER BY batch_index LIMIT 1${lock})`
      + ' RETURNING batch_id, batch_index, record_start_index, record_end_index, claimed_at');
  }

  /** MariaDB claim, first half (in a transaction): (job). */
  claimSelect(): string {
    return this.memo('claimS', () =>
      `SELECT batch_id, batch_index, record_start_index, record_end_index FROM ${this.t.batches}`
      + " WHERE job_id = ? AND status = 'PENDING' ORDER BY batch_index LIMIT 1 FOR UPDATE SKIP LOCKED");
  }

  /** MariaDB claim, second half: (worker, job, batch). */
  claimUpdate(): string {
    return this.memo('claimU', () =>
      `UPDATE ${this.t.batches} SET status = 'PROCESSING', worker_id = ?, claimed_at = CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED),`
      + ' version = version + 1 WHERE job_id = ? AND batch_id = ?');
  }

  /**
   * Finalize: PROCESSING → COMPLETED/FAILED when no batch is left to do,
   * one conditional UPDATE. Parameters: the job id, 4 times (`?` dialects) or `$1`.
   */
  finalize(): string {
    const d = this.dialect;
    const j = (n: number): string => (d === 'postgres' ? '$1' : p(d, n));
    const now = d === 'postgres'
      ? '(floor(extract(epoch from clock_timestamp()) * 1000))::bigint'
      : d === 'mariadb' ? 'CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED)' : "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
    return this.memo('fin', () =>
      `UPDATE ${this.t.jobs} SET status = CASE WHEN EXISTS (SELECT 1 FROM ${this.t.batches} WHERE job_id = ${j(1)} AND status = 'FAILED')`
      + ` THEN 'FAILED' ELSE 'COMPLETED' END, completed_at = ${now}, version = version + 1`
      + ` WHERE id = ${j(2)} AND status = 'PROCESSING' AND EXISTS (SELECT 1 FROM ${this.t.batches} WHERE job_id = ${j(3)})`
      + ` AND NOT EXISTS (SELECT 1 FROM ${this.t.batches} WHERE job_id = ${j(4)} AND status IN ('PENDING', 'PROCESSING', 'PAUSED'))`);
  }

  /** Bind values for {@link finalize}. */
  finalizeParams(jobId: string): unknown[] {
    return this.dialect === 'postgres' ? [jobId] : [jobId, jobId, jobId, jobId];
  }

  /** Upsert of the job row: (id, status, config, total, startedAt, completedAt). */
  upsertJob(): string {
    const d = this.dialect;
    return this.memo('uj', () => {
      const head = `INSERT INTO ${this.t.jobs} (id, status, config, total_records, started_at, completed_at, distributed, created_at, updated_at, version)`
        + ` VALUES (${[1, 2, 3, 4, 5, 6].map((n) => p(d, n)).join(', ')}, ${d === 'postgres' ? 'false' : '0'}, 0, 0, 0)`;
      if (d === 'mariadb') {
        return `${head} ON DUPLICATE KEY UPDATE status = VALUES(status), config = VALUES(config), total_records = VALUES(total_records),`
          + ' started_at = VALUES(started_at), completed_at = VALUES(completed_at), version = version + 1';
      }
      return `${head} ON CONFLICT (id) DO UPDATE SET status = excluded.status, config = excluded.config,`
        + ' total_records = excluded.total_records, started_at = excluded.started_at, completed_at = excluded.completed_at,'
        + ` version = ${this.t.jobs}.version + 1`;
    });
  }

  /** A batch's state, inserted without index if new (the engine reports a batch before naming it): (job, batch, status, processed, failed). */
  upsertBatchState(): string {
    const d = this.dialect;
    return this.memo('ubs', () => {
      const head = `INSERT INTO ${this.t.batches} (job_id, batch_id, status, processed_count, failed_count, version)`
        + ` VALUES (${[1, 2, 3, 4, 5].map((n) => p(d, n)).join(', ')}, 0)`;
      if (d === 'mariadb') {
        return `${head} ON DUPLICATE KEY UPDATE status = VALUES(status), processed_count = VALUES(processed_count),`
          + ' failed_count = VALUES(failed_count), version = version + 1';
      }
      return `${head} ON CONFLICT (job_id, batch_id) DO UPDATE SET status = excluded.status, processed_count = excluded.processed_count,`
        + ` failed_count = excluded.failed_count, version = ${this.t.batches}.version + 1`;
    });
  }

  /** Names a batch's index: (index, job, batch). */
  setBatchIndex(): string {
    const d = this.dialect;
    return this.memo('sbi', () => `UPDATE ${this.t.batches} SET batch_index = ${p(d, 1)} WHERE job_id = ${p(d, 2)} AND batch_id = ${p(d, 3)}`);
  }

  /** PROCESSING batches claimed more than the timeout ago back to PENDING: (job, timeout ms). */
  reclaimStale(): string {
    const d = this.dialect;
    const now = d === 'postgres'
      ? '(floor(extract(epoch from clock_timestamp()) * 1000))::bigint'
      : d === 'mariadb' ? 'CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED)' : "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
    return this.memo('rcl', () =>
      `UPDATE ${this.t.batches} SET status = 'PENDING', worker_id = NULL, claimed_at = NULL, version = version + 1`
      + ` WHERE job_id = ${p(d, 1)} AND status = 'PROCESSING' AND claimed_at < ${now} - ${p(d, 2)}`);
  }

  /** A batch's records by index: (job, batch). */
  batchRecords(): string {
    const d = this.dialect;
    return this.memo('br', () =>
      `SELECT record_index, status, raw, parsed, errors, processing_error, retry_count FROM ${this.t.records}`
      + ` WHERE job_id = ${p(d, 1)} AND batch_id = ${p(d, 2)} ORDER BY record_index`);
  }

  /** The job's total and status: (job). */
  jobTotal(): string {
    return this.memo('jt', () => `SELECT status, total_records FROM ${this.t.jobs} WHERE id = ${p(this.dialect, 1)}`);
  }

  /** The job's batches for a summary: (job). */
  jobBatches(): string {
    return this.memo('jb', () =>
      `SELECT batch_id, batch_index, status, processed_count, failed_count FROM ${this.t.batches} WHERE job_id = ${p(this.dialect, 1)} ORDER BY batch_index`);
  }

  /** Progress without counting the records table: the job's batches by status and `version = 0`, with their sums: (job). */
  batchAggregate(): string {
    return this.memo('ba', () =>
      'SELECT status, CASE WHEN version = 0 THEN 1 ELSE 0 END AS fresh, COUNT(*) AS n, SUM(processed_count) AS processed, SUM(failed_count) AS failed,'
      + ' SUM(CASE WHEN record_start_index IS NOT NULL AND record_end_index IS NOT NULL THEN record_end_index - record_start_index + 1'
      + ` ELSE processed_count + failed_count END) AS size FROM ${this.t.batches} WHERE job_id = ${p(this.dialect, 1)}`
      + ' GROUP BY status, CASE WHEN version = 0 THEN 1 ELSE 0 END');
  }

  /** Record counts by status over the job's batches in flight (claimed or reported, not yet finished): (job, job). */
  liveRecords(): string {
    const d = this.dialect;
    const live = `SELECT batch_id FROM ${this.t.batches} WHERE job_id = ${p(d, 2)}`
      + " AND (status IN ('PROCESSING', 'PAUSED') OR (status = 'PENDING' AND version > 0))";
    return this.memo('lr', () =>
      `SELECT status, COUNT(*) AS n FROM ${this.t.records} WHERE job_id = ${p(d, 1)} AND batch_id`
      + (d === 'postgres' ? ` = ANY(ARRAY(${live}))` : ` IN (${live})`) + ' GROUP BY status');
  }

  /** Record counts by status: (job). */
  countRecords(): string {
    return this.memo('cr', () => `SELECT status, COUNT(*) AS n FROM ${this.t.records} WHERE job_id = ${p(this.dialect, 1)} GROUP BY status`);
  }

  /** Batch counts by status: (job). */
  countBatches(): string {
    return this.memo('cb', () => `SELECT status, COUNT(*) AS n FROM ${this.t.batches} WHERE job_id = ${p(this.dialect, 1)} GROUP BY status`);
  }

  /** The job head for progress: (job). */
  jobHead(): string {
    return this.memo('jh', () =>
      `SELECT total_records, started_at, completed_at FROM ${this.t.jobs} WHERE id = ${p(this.dialect, 1)}`);
  }
}

/** A record's 9 values in column order, JSON encoded (what the raw side must do too). */
export function recordParams(jobId: string, batchId: string, r: {
  index: number; status: string; raw: unknown; parsed: unknown; errors: unknown; processingError?: string; retryCount?: number;
}): unknown[] {
  return [
    jobId, r.index, batchId, r.status, JSON.stringify(r.raw), JSON.stringify(r.parsed), JSON.stringify(r.errors),
    r.processingError === undefined ? null : JSON.stringify(r.processingError), r.retryCount ?? null,
  ];
}
