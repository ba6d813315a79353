/**
 * Sequelize settings applications really set, and what the store does with
 * them: `benchmark` and `logQueryParameters` in the log as Sequelize writes
 * its own, `define.schema` honoured, `quoteIdentifiers: false` with an
 * upper-case prefix refused; and the store beside the application's own
 * transactions: it never joins them, and a pool of one connection held by
 * one gives an error that says so.
 */
import 'reflect-metadata';
import { QueryTypes, Sequelize } from 'sequelize';
import { InvalidInputError, PersistenceError, SequelizeStateStore } from '../../src';
import { DATABASES, SERVER_DATABASES, uniquePrefix, type TestDatabase } from '../helpers/databases';
import { connect, dropTables, record } from './support';

describe.each(DATABASES.map((d) => [d.name, d] as [string, TestDatabase]))('Sequelize settings on %s', (name, db) => {
  const opened: { sequelize: Sequelize; prefix: string; schema?: string }[] = [];
  afterAll(async () => {
    for (const { sequelize, prefix, schema } of opened) {
      await dropTables(sequelize, prefix, schema).catch(() => undefined);
      await sequelize.close();
    }
  });
  const job = (id: string) => ({ id, config: { batchSize: 1 }, status: 'PROCESSING' as const, batches: [], totalRecords: 1 });

  test('benchmark: true logs "Executed (default): …" with the elapsed ms, as Sequelize does', async () => {
    const lines: unknown[][] = [];
    const sequelize = connect(db, { benchmark: true, logging: (...args: unknown[]) => void lines.push(args) });
    const prefix = uniquePrefix('lg');
    opened.push({ sequelize, prefix });
    const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    await store.initialize();
    lines.length = 0;
    await store.saveJobState(job('log-b'));
    await store.saveProcessedRecord('log-b', 'b', record(1));
    const mine = lines.filter((l) => String(l[0]).includes('bulkimport_records'));
    expect(mine).toHaveLength(1);
    expect(String(mine[0]?.[0])).toMatch(/^Executed \(default\): INSERT INTO \S*bulkimport_records/);
    expect(typeof mine[0]?.[1]).toBe('number');
    expect(lines.every((l) => !String(l[0]).startsWith('Executing'))).toBe(true);
  });

  test('logQueryParameters: true appends the bound values', async () => {
    const lines: string[] = [];
    const sequelize = connect(db, { logQueryParameters: true, logging: (sql: string) => void lines.push(sql) });
    const prefix = uniquePrefix('lp');
    opened.push({ sequelize, prefix });
    const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    await store.initialize();
    await store.saveJobState(job('log-p'));
    lines.length = 0;
    await store.getJobState('log-p');
    expect(lines[0]).toMatch(/^Executing \(default\): SELECT .*; "log-p"$/s);
  });

  test('logging off: nothing is logged, the statements still run', async () => {
    const sequelize = connect(db, { logging: false });
    const prefix = uniquePrefix('lo');
    opened.push({ sequelize, prefix });
    const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    await store.initialize();
    await store.saveJobState(job('log-o'));
    expect((await store.getJobState('log-o'))?.id).toBe('log-o');
  });

  test('the store never joins the application\'s transaction: its write outlives a rollback', async () => {
    const sequelize = connect(db);
    const prefix = uniquePrefix('tx');
    opened.push({ sequelize, prefix });
    const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    await store.initialize();
    await sequelize.transaction(async () => {
      await store.saveJobState(job('tx-job'));
      throw new Error('the application rolls back');
    }).catch(() => undefined);
    expect((await store.getJobState('tx-job'))?.id).toBe('tx-job');
  });

  if (name !== 'sqlite') {
    test('a pool of one connection held by the application\'s transaction: the store call fails after the acquire timeout, saying why', async () => {
      const sequelize = connect(db, { pool: { max: 1, min: 0, acquire: 1000 } });
      const prefix = uniquePrefix('pl');
      opened.push({ sequelize, prefix });
      const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
      await store.initialize();
      const error = await sequelize.transaction(async () => store.saveJobState(job('pool-job'))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PersistenceError);
      expect((error as Error).message).toMatch(/no connection of the Sequelize pool became free within its acquire timeout \(pool\.max = 1/);
      expect((error as Error).message).toMatch(/outside the transaction, or raise pool\.max/);
      expect((error as PersistenceError).context).toMatchObject({ operation: 'saveJobState', jobId: 'pool-job' });
      await store.saveJobState(job('pool-job')); // outside it works
    });
  }
});

const WITH_SCHEMAS = SERVER_DATABASES.filter((d) => d.name !== 'mysql');
if (WITH_SCHEMAS.length > 0) describe.each(WITH_SCHEMAS.map((d) => [d.name, d] as [string, TestDatabase]))('define.schema on %s', (name, db) => {
  test('the store uses the instance\'s define.schema for its tables when no schema option is given', async () => {
    const schema = `defs_${process.pid}_${Date.now().toString(36)}`;
    const admin = connect(db);
    if (name !== 'postgres') await admin.query(`CREATE DATABASE \`${schema}\``);
    const sequelize = connect(db, { define: { schema } });
    const prefix = uniquePrefix('ds');
    try {
      const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
      expect(store.tables.jobs).toContain(schema);
      await store.initialize();
      await store.saveJobState({ id: 'ds-job', config: { batchSize: 1 }, status: 'PROCESSING', batches: [], totalRecords: 0 });
      expect((await store.getJobState('ds-job'))?.id).toBe('ds-job');
      const where = name === 'postgres'
        ? `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = '${schema}' AND table_name = '${prefix}bulkimport_jobs'`
        : `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = '${schema}' AND table_name = '${prefix}bulkimport_jobs'`;
      const [row] = await admin.query<{ n: unknown }>(where, { type: QueryTypes.SELECT });
      expect(Number(row?.n)).toBe(1);
    } finally {
      await sequelize.close();
      await admin.query(name === 'postgres' ? `DROP SCHEMA IF EXISTS "${schema}" CASCADE` : `DROP DATABASE IF EXISTS \`${schema}\``);
      await admin.close();
    }
  });
});

const PG = SERVER_DATABASES.filter((d) => d.name === 'postgres');
if (PG.length > 0) test('quoteIdentifiers: false with a lower-case prefix works on PostgreSQL', async () => {
  const sequelize = connect(PG[0] as TestDatabase, { quoteIdentifiers: false });
  const prefix = uniquePrefix('qi');
  try {
    const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    await store.initialize();
    await store.saveJobState({ id: 'qi-job', config: { batchSize: 1 }, status: 'PROCESSING', batches: [], totalRecords: 0 });
    expect((await store.getJobState('qi-job'))?.id).toBe('qi-job');
  } finally {
    await dropTables(sequelize, prefix).catch(() => undefined);
    await sequelize.close();
  }
});

describe('settings refused at construction', () => {
  const pgLike = (options: Record<string, unknown>): Sequelize =>
    ({ getDialect: () => 'postgres', options } as unknown as Sequelize);

  test('quoteIdentifiers: false with an upper-case tablePrefix or schema on PostgreSQL', () => {
    for (const [opts, field] of [[{ tablePrefix: 'Tenant_' }, 'tablePrefix'], [{ schema: 'Imports' }, 'schema']] as const) {
      let caught: unknown;
      try {
        new SequelizeStateStore(pgLike({ quoteIdentifiers: false }), opts);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidInputError);
      expect((caught as InvalidInputError).context.field).toBe(field);
      expect((caught as Error).message).toMatch(/quoteIdentifiers: false/);
    }
  });

  test('define.schema on SQLite, and schema on the mysql dialect (both fake schemas as `schema.table` names)', () => {
    const sqlite = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false, define: { schema: 'main2' } });
    expect(() => new SequelizeStateStore(sqlite)).toThrow(/define\.schema is not supported on SQLite/);
    void sqlite.close();
    const mysqlLike = { getDialect: () => 'mysql', options: {} } as unknown as Sequelize;
    expect(() => new SequelizeStateStore(mysqlLike, { schema: 'other_db' })).toThrow(/schema is not supported on the mysql dialect/);
  });
});
