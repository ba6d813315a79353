/**
 * The store runs its statements on the application's Sequelize pool but
 * through the driver directly (src/store/Executor.ts). What an application
 * relies on from Sequelize must still hold: its `logging` option sees the
 * statements, `beforeQuery`/`afterQuery` hooks run with the connection, every
 * connection goes back to the pool (also after failures), and a transaction
 * that fails leaves nothing behind.
 */
import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { QueryTypes, type Sequelize } from 'sequelize';
import { InvalidInputError, PersistenceError, SequelizeStateStore } from '../../src';
import { toPositional } from '../../src/store/Executor';
import { driverFor, type Driver } from '../../src/store/dialects';
import { MYSQL2_KEPT_STATEMENTS } from '../../src/store/dialects/drivers';
import { DATABASES, SERVER_DATABASES, uniquePrefix } from '../helpers/databases';
import { connect, dropTables, record, smallImport } from './support';

describe('toPositional', () => {
  test('rewrites $n to ? in order, repeating a parameter used twice', () => {
    expect(toPositional('SELECT * FROM t WHERE a = $2 AND b = $1 AND c = $2')).toEqual({
      text: 'SELECT * FROM t WHERE a = ? AND b = ? AND c = ?',
      order: [1, 0, 1],
    });
  });

  test('leaves quoted text alone, doubled quotes included', () => {
    expect(toPositional(`SELECT '$1', "a$2""$3", \`$4\` FROM t WHERE x = $10 AND y = 'it''s $5'`)).toEqual({
      text: `SELECT '$1', "a$2""$3", \`$4\` FROM t WHERE x = ? AND y = 'it''s $5'`,
      order: [9],
    });
  });

  test('a $ not followed by a digit is text', () => {
    expect(toPositional('SELECT $a, $ FROM t')).toEqual({ text: 'SELECT $a, $ FROM t', order: [] });
  });
});

/** Every instance a test opened, with its store's prefix: tables dropped and instances closed at the end. */
const opened: { sequelize: Sequelize; prefix: string }[] = [];

afterAll(async () => {
  for (const { sequelize, prefix } of opened) {
    await dropTables(sequelize, prefix).catch(() => undefined);
    await sequelize.close();
  }
});

/** An initialised store on its own prefix, on `sequelize`. */
async function storeOn(sequelize: Sequelize, tag = 'ex'): Promise<SequelizeStateStore> {
  const prefix = uniquePrefix(tag);
  opened.push({ sequelize, prefix });
  const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
  await store.initialize();
  return store;
}

describe.each(DATABASES.map((db) => [db.name, db] as const))('statements through the driver on %s', (_name, db) => {

  test("Sequelize's logging option sees the store's statements", async () => {
    const log: string[] = [];
    const store = await storeOn(connect(db, { logging: (sql: string) => void log.push(sql) }));
    const jobId = randomUUID();
    await smallImport(store, { jobId });
    log.length = 0;
    await store.saveProcessedRecord(jobId, 'b-1', record(99));
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^Executing \(default\): INSERT INTO \S*bulkimport_records/);
  });

  test('beforeQuery and afterQuery hooks run around each statement, with its connection', async () => {
    const sequelize = connect(db);
    const store = await storeOn(sequelize);
    const seen: { phase: string; sql: string; connection: boolean }[] = [];
    const hook = (phase: string) => (_options: unknown, query: unknown): void => {
      const q = query as { sql?: string; connection?: unknown };
      seen.push({ phase, sql: String(q.sql), connection: q.connection !== undefined && q.connection !== null });
    };
    sequelize.addHook('beforeQuery', 'test-before', hook('before'));
    sequelize.addHook('afterQuery', 'test-after', hook('after'));
    try {
      await store.getJobState('no-such-job');
    } finally {
      sequelize.removeHook('beforeQuery', 'test-before');
      sequelize.removeHook('afterQuery', 'test-after');
    }
    expect(seen.map((s) => s.phase)).toEqual(['before', 'after']);
    expect(seen[0]?.sql).toMatch(/^SELECT .* FROM \S*bulkimport_jobs/s);
    expect(seen.every((s) => s.connection)).toBe(true);
  });

  test('a beforeQuery hook that throws fails the operation with the cause kept', async () => {
    const sequelize = connect(db);
    const store = await storeOn(sequelize);
    const boom = new Error('hook refused');
    sequelize.addHook('beforeQuery', 'test-throw', () => {
      throw boom;
    });
    try {
      const error = await store.getJobState('any').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PersistenceError);
      expect((error as PersistenceError).cause).toBe(boom);
    } finally {
      sequelize.removeHook('beforeQuery', 'test-throw');
    }
    expect(await store.getJobState('any')).toBeNull();
  });
});

if (SERVER_DATABASES.length > 0) describe.each(SERVER_DATABASES.map((db) => [db.name, db] as const))('the pool on %s', (_name, db) => {
  test('with a pool of one connection, every operation gives it back, after failures and refused transactions too', async () => {
    // A connection not given back would make the next operation wait for the
    // pool's acquire timeout (2 s) and fail.
    const sequelize = connect(db, { pool: { max: 1, min: 0, acquire: 2_000 } });
    const store = await storeOn(sequelize, 'pool');
    const { jobId } = await smallImport(store, { batches: 3, batchSize: 2 });
    const distributed = randomUUID();
    const job = {
      id: distributed,
      config: { batchSize: 1 },
      status: 'PROCESSING' as const,
      distributed: true,
      totalRecords: 2,
      batches: [0, 1].map((index) => ({
        id: `d${index}`, index, status: 'PENDING' as const, records: [], processedCount: 0, failedCount: 0,
        recordStartIndex: index, recordEndIndex: index,
      })),
    };
    await store.saveJobState(job);
    for (let round = 0; round < 2; round++) {
      const claim = await store.claimBatch(distributed, `w${round}`);
      expect(claim.claimed).toBe(true);
      if (!claim.claimed) return;
      await store.updateBatchState(distributed, claim.reservation.batchId, {
        batchId: claim.reservation.batchId, status: 'COMPLETED', processedCount: 1, failedCount: 0,
      });
      // A fenced update by a worker that never held the batch: refused inside the store.
      await expect(store.updateBatchState(distributed, claim.reservation.batchId, {
        batchId: claim.reservation.batchId, status: 'FAILED', processedCount: 0, failedCount: 1,
      }, { workerId: 'someone-else' })).rejects.toThrow();
    }
    expect(await store.tryFinalizeJob(distributed)).toBe(true);
    // Refused inside a transaction (after BEGIN): the job stays final and the connection comes back.
    await expect(store.saveJobState(job)).rejects.toBeInstanceOf(InvalidInputError);
    // Refused by the database, in and out of a transaction: a store whose tables were never created.
    const missing = new SequelizeStateStore(sequelize, { tablePrefix: uniquePrefix('none') });
    await expect(missing.saveJobState({ ...job, id: randomUUID() })).rejects.toBeInstanceOf(PersistenceError);
    await expect(missing.saveProcessedRecord(jobId, 'b', record(1))).rejects.toBeInstanceOf(PersistenceError);
    await expect(missing.claimBatch(distributed, 'w')).rejects.toBeInstanceOf(PersistenceError);
    expect((await store.getDistributedStatus(distributed)).isComplete).toBe(true);
    expect((await store.getProgress(jobId)).totalBatches).toBe(3);
    expect((await store.getJobState(distributed))?.status).toBe('COMPLETED');
  });
});

const MYSQL2 = SERVER_DATABASES.filter((db) => db.name === 'mysql');
if (MYSQL2.length > 0) describe.each(MYSQL2.map((db) => [db.name, db] as const))(
  'server-side prepared statements on %s (mysql2)',
  (_name, db) => {
    test('stay bounded per connection: hundreds of distinct statement texts leave at most 64 per connection open', async () => {
      const sequelize = connect(db, { pool: { max: 2, min: 0 } });
      const store = await storeOn(sequelize, 'prep');
      const count = async (): Promise<number> => {
        const [row] = await sequelize.query<{ Value: unknown }>("SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'", { type: QueryTypes.SELECT });
        return Number(row?.Value);
      };
      const before = await count();
      const { jobId } = await smallImport(store, { batches: 1, batchSize: 1 });
      let next = 0;
      // Multi-row writes of 120 sizes (closed after one use) and 150 pages of
      // listJobs (few parameters, each page its own text: kept, least recently
      // used closed beyond the bound). Every statement still works.
      for (let size = 1; size <= 120; size++) {
        await store.saveBatchRecords(jobId, `b-${size}`, Array.from({ length: size }, () => record(next++)));
      }
      for (let offset = 0; offset < 150; offset++) await store.listJobs({ status: 'PROCESSING', limit: 1, offset });
      expect(await store.getBatchRecords(jobId, 'b-120')).toHaveLength(120);
      const open = (await count()) - before;
      expect(open).toBeGreaterThan(0); // values really travel as prepared-statement parameters
      expect(open).toBeLessThanOrEqual(2 * MYSQL2_KEPT_STATEMENTS);
    });
  },
);

describe('a connection an error left unusable is destroyed, not given back to the pool', () => {
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  const duplicate = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });

  test('pg: socket errors and a terminated client; the client is also marked invalid for Sequelize', () => {
    const pg = driverFor('postgres') as Driver;
    const client: Record<string, unknown> = { _ending: false, _queryable: true };
    expect(pg.broken(client, duplicate)).toBe(false);
    expect(client._invalid).toBeUndefined();
    expect(pg.broken(client, reset)).toBe(true);
    expect(client._invalid).toBe(true);
    expect(pg.broken({ _queryable: true }, new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(pg.broken({ _queryable: false }, duplicate)).toBe(true);
    // The server ended the session: pg_terminate_backend, shutdown.
    const terminated = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });
    expect(pg.broken({ _queryable: true }, terminated)).toBe(true);
  });

  test('mariadb and mysql2: fatal errors and closed connections', () => {
    const mariadb = driverFor('mariadb') as Driver;
    expect(mariadb.broken({ isValid: () => true }, Object.assign(new Error('Duplicate entry'), { errno: 1062, fatal: false }))).toBe(false);
    expect(mariadb.broken({ isValid: () => true }, Object.assign(new Error('socket closed'), { fatal: true }))).toBe(true);
    expect(mariadb.broken({ isValid: () => false }, duplicate)).toBe(true);
    const mysql2 = driverFor('mysql') as Driver;
    expect(mysql2.broken({ stream: { destroyed: false } }, duplicate)).toBe(false);
    expect(mysql2.broken({ stream: { destroyed: true } }, duplicate)).toBe(true);
    expect(mysql2.broken({ stream: { destroyed: false } }, Object.assign(new Error('lost'), { fatal: true }))).toBe(true);
  });

  test('sqlite3: never (the one local connection Sequelize keeps)', () => {
    expect((driverFor('sqlite') as Driver).broken({}, reset)).toBe(false);
  });
});
