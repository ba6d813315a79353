/**
 * Versioned migrations on every database: 001 creates exactly what
 * `initialize()` creates, the upgrade 001 → 002 keeps data, `migrate()` adopts
 * tables made by `initialize()`, the DDL script a DBA would run gives the same
 * result, and (PostgreSQL) a schema is honoured.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import {
  createMigrator, executedMigrations, InvalidInputError, migrate, migrationDdl, pendingMigrations, PersistenceError,
  SCHEMA_MIGRATIONS, SequelizeStateStore,
} from '../../src';
import { DATABASES, uniquePrefix, type TestDatabase } from '../helpers/databases';
import { connect, dropTables, expectImported, smallImport, sqliteFile } from './support';

const ALL = SCHEMA_MIGRATIONS.map((m) => m.name);
const TABLES = ['bulkimport_jobs', 'bulkimport_batches', 'bulkimport_records'];

/** Columns that migrations after `name` add (`column` statements), for comparing an old migration with today's entities. */
function laterColumns(name: string): string[] {
  const b = { addColumn: (_t: string, c: string) => ({ kind: 'column', column: c }) } as unknown as Parameters<(typeof SCHEMA_MIGRATIONS)[number]['up']>[0];
  const after = SCHEMA_MIGRATIONS.slice(SCHEMA_MIGRATIONS.findIndex((m) => m.name === name) + 1);
  const columns: string[] = [];
  for (const m of after) {
    let statements: Array<{ kind: string; column?: string }> = [];
    try {
      statements = m.up(b);
    } catch {
      continue; // a migration that adds no column (it calls other builder methods)
    }
    for (const s of statements) if (s.kind === 'column' && s.column) columns.push(s.column);
  }
  return columns;
}

/** What version 0.1.0 of the store wrote for a finished two-batch job, written with plain SQL on its schema (001/002). */
async function writeAsVersion010(sequelize: Sequelize, prefix: string): Promise<{ jobId: string; batchIds: string[] }> {
  const qi = sequelize.getQueryInterface();
  const t = (name: string): string => qi.quoteIdentifier(`${prefix}${name}`);
  const q = (name: string): string => qi.quoteIdentifier(name);
  const jobId = `old-${prefix}`;
  const batchIds = ['old-b0', 'old-b1'];
  const config = JSON.stringify({ batchSize: 3, continueOnError: true });
  await sequelize.query(
    `INSERT INTO ${t('bulkimport_jobs')} (${['id', 'status', 'config', 'total_records', 'started_at', 'completed_at', 'distributed', 'created_at', 'updated_at', 'version'].map(q).join(', ')})`
      + ` VALUES ($1, 'COMPLETED', $2, 6, 1764000000000, 1764000001000, $3, 1764000000000, 1764000001000, 3)`,
    { bind: [jobId, config, false] },
  );
  for (const [index, batchId] of batchIds.entries()) {
    await sequelize.query(
      `INSERT INTO ${t('bulkimport_batches')} (${['job_id', 'batch_id', 'batch_index', 'status', 'processed_count', 'failed_count', 'version'].map(q).join(', ')})`
        + ` VALUES ($1, $2, $3, 'COMPLETED', 3, 0, 2)`,
      { bind: [jobId, batchId, index] },
    );
    for (let i = 0; i < 3; i++) {
      const raw = JSON.stringify({ email: `user${index * 3 + i}@example.com` });
      await sequelize.query(
        `INSERT INTO ${t('bulkimport_records')} (${['job_id', 'record_index', 'batch_id', 'status', 'raw', 'parsed', 'errors', 'processing_error', 'retry_count'].map(q).join(', ')})`
          + ` VALUES ($1, $2, $3, 'processed', $4, $4, '[]', NULL, 0)`,
        { bind: [jobId, index * 3 + i, batchId, raw] },
      );
    }
  }
  return { jobId, batchIds };
}

/** The job {@link writeAsVersion010} wrote, as the store reads it back. */
function expectOldData(state: unknown, old: { jobId: string; batchIds: string[] }): void {
  expect(state).toEqual({
    id: old.jobId, status: 'COMPLETED', config: { batchSize: 3, continueOnError: true }, totalRecords: 6,
    startedAt: 1764000000000, completedAt: 1764000001000,
    batches: old.batchIds.map((id, index) => ({ id, index, status: 'COMPLETED', records: [], processedCount: 3, failedCount: 0 })),
  });
}

/** DDL statements a connection ran (CREATE TABLE / CREATE INDEX / ADD INDEX), prefix replaced by `<p>`. */
function ddlOf(log: string[], prefix: string): string[] {
  return log
    .map((l) => l.replace(/^Executing \([^)]*\): /, '').trim().replace(/;$/, ''))
    .filter((sql) => /^(CREATE TABLE|CREATE INDEX|ALTER TABLE .* ADD INDEX)/.test(sql))
    .filter((sql) => !sql.includes('bulkimport_migrations'))
    .map((sql) => sql.split(prefix).join('<p>'))
    .sort();
}

/** Columns (type, null, default, pk) and secondary indexes (name without prefix, columns) of a prefix's tables. */
async function shapeOf(sequelize: Sequelize, prefix: string, schema?: string): Promise<unknown> {
  const qi = sequelize.getQueryInterface();
  const out: Record<string, unknown> = {};
  for (const t of TABLES) {
    const tableName = `${prefix}${t}`;
    const columns = await qi.describeTable(tableName, schema ? { schema } : undefined);
    const indexes = (await qi.showIndex((schema ? { tableName, schema } : tableName) as string)) as Array<{
      name: string; primary?: boolean; fields: Array<{ attribute: string }>;
    }>;
    out[t] = {
      columns: Object.fromEntries(Object.entries(columns).map(([name, c]) => [
        name, { type: c.type, allowNull: c.allowNull, defaultValue: c.defaultValue, primaryKey: c.primaryKey },
      ])),
      indexes: indexes
        .filter((i) => !i.primary && i.name !== 'PRIMARY' && !i.name.startsWith('sqlite_autoindex') && !i.name.endsWith('_pkey'))
        .map((i) => [i.name.split(prefix).join('<p>'), i.fields.map((f) => f.attribute)])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    };
  }
  return out;
}

describe.each(DATABASES.map((d) => [d.name, d] as [string, TestDatabase]))('migrations on %s', (_name, db) => {
  let sequelize: Sequelize;
  const log: string[] = [];
  const prefixes: Array<[string, string | undefined]> = [];
  const prefix = (tag: string, schema?: string): string => {
    const p = uniquePrefix(tag);
    prefixes.push([p, schema]);
    return p;
  };

  const storage = sqliteFile();
  beforeAll(() => {
    sequelize = connect(db, { logging: (sql: string) => void log.push(sql) }, storage);
  });

  afterAll(async () => {
    for (const [p, schema] of prefixes) await dropTables(sequelize, p, schema);
    await sequelize.close();
  });

  test('001 creates exactly the tables, columns, keys and indexes initialize() created before later migrations added columns', async () => {
    const a = prefix('mi');
    const b = prefix('mm');
    log.length = 0;
    await new SequelizeStateStore(sequelize, { tablePrefix: a }).initialize();
    const fromEntities = ddlOf(log, a);
    log.length = 0;
    expect(await migrate(sequelize, { tablePrefix: b, to: '001_initial' })).toEqual(['001_initial']);
    const fromMigration = ddlOf(log, b);
    const tables = (ddl: string[]): string[] => ddl.filter((sql) => sql.startsWith('CREATE TABLE'));
    const indexes = (ddl: string[]): string[] => ddl.filter((sql) => !sql.startsWith('CREATE TABLE'));
    expect(tables(fromEntities)).toHaveLength(3);
    // Tables: the very statements Model.sync() ran, column for column, once
    // the columns later migrations add are taken out of them.
    const later = laterColumns('001_initial');
    const withoutLater = (sql: string): string => later.reduce((text, c) => text.replace(new RegExp(`, [\`"]${c}[\`"] [A-Z]+`), ''), sql);
    expect(tables(fromMigration)).toEqual(tables(fromEntities).map(withoutLater));
    // Indexes: every index of 001 is one the entities declare, statement for
    // statement (an index a later migration adds may since have joined the entities).
    for (const sql of indexes(fromMigration)) expect(indexes(fromEntities)).toContain(sql);
    expect(indexes(fromMigration)).toHaveLength(3);
    const migrated = (await shapeOf(sequelize, b)) as Record<string, { columns: Record<string, unknown>; indexes: unknown[] }>;
    const entities = (await shapeOf(sequelize, a)) as Record<string, { columns: Record<string, unknown>; indexes: unknown[] }>;
    for (const t of TABLES) {
      const columns = Object.fromEntries(Object.entries(entities[t]?.columns ?? {}).filter(([c]) => !later.includes(c)));
      expect(migrated[t]?.columns).toEqual(columns);
      for (const index of migrated[t]?.indexes ?? []) expect(entities[t]?.indexes).toContainEqual(index);
    }
  });

  test('the latest migrated schema has every column and index initialize() creates (the store can run on it)', async () => {
    const a = prefix('mI');
    const b = prefix('mL');
    await new SequelizeStateStore(sequelize, { tablePrefix: a }).initialize();
    await migrate(sequelize, { tablePrefix: b });
    const entities = (await shapeOf(sequelize, a)) as Record<string, { columns: object; indexes: unknown[] }>;
    const latest = (await shapeOf(sequelize, b)) as Record<string, { columns: object; indexes: unknown[] }>;
    for (const t of TABLES) {
      expect(latest[t]?.columns).toEqual(entities[t]?.columns);
      for (const index of entities[t]?.indexes ?? []) expect(latest[t]?.indexes).toContainEqual(index);
    }
  });

  test('upgrade from the 0.1.0 schema (002): data written then survives 003 and the store keeps working', async () => {
    const p = prefix('mu');
    expect(await migrate(sequelize, { tablePrefix: p, to: '002_jobs_status_updated_idx' })).toEqual(ALL.slice(0, 2));
    expect(await executedMigrations(sequelize, { tablePrefix: p })).toEqual(ALL.slice(0, 2));
    expect(await pendingMigrations(sequelize, { tablePrefix: p })).toEqual(ALL.slice(2));
    const old = await writeAsVersion010(sequelize, p);

    expect(await migrate(sequelize, { tablePrefix: p })).toEqual(ALL.slice(2));
    expect(await pendingMigrations(sequelize, { tablePrefix: p })).toEqual([]);
    expect(await executedMigrations(sequelize, { tablePrefix: p })).toEqual(ALL);
    const store = new SequelizeStateStore(sequelize, { tablePrefix: p });
    expectOldData(await store.getJobState(old.jobId), old);
    expect((await store.getProcessedRecords(old.jobId)).map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    const second = await smallImport(store, { batches: 3 });
    expectImported(second.state, second.jobId, 3);
    expect(await migrate(sequelize, { tablePrefix: p })).toEqual([]);
  });

  test('initialize() on tables of the 0.1.0 schema adds the columns added since and keeps the data', async () => {
    const p = prefix('mU');
    await migrate(sequelize, { tablePrefix: p, to: '002_jobs_status_updated_idx' });
    const old = await writeAsVersion010(sequelize, p);
    const store = new SequelizeStateStore(sequelize, { tablePrefix: p });
    await store.initialize();
    const ref = prefix('mR');
    await new SequelizeStateStore(sequelize, { tablePrefix: ref }).initialize();
    const shape = (await shapeOf(sequelize, p)) as Record<string, { columns: object }>;
    const expected = (await shapeOf(sequelize, ref)) as Record<string, { columns: object }>;
    for (const t of TABLES) expect(Object.keys(shape[t]?.columns ?? {}).sort()).toEqual(Object.keys(expected[t]?.columns ?? {}).sort());
    expectOldData(await store.getJobState(old.jobId), old);
    const run = await smallImport(store);
    expectImported(run.state, run.jobId);
  });

  test('migrate() on tables made by initialize() adopts them (baseline) and keeps their data', async () => {
    const p = prefix('mb');
    const store = new SequelizeStateStore(sequelize, { tablePrefix: p });
    await store.initialize();
    const before = await smallImport(store);
    expect(await pendingMigrations(sequelize, { tablePrefix: p })).toEqual(ALL);
    expect(await migrate(sequelize, { tablePrefix: p })).toEqual(ALL);
    expect(await store.getJobState(before.jobId)).toEqual(before.state);
    expect(await store.getProcessedRecords(before.jobId)).toHaveLength(6);
    // and initialize() after migrate() is harmless too
    await store.initialize();
    const after = await smallImport(store);
    expectImported(after.state, after.jobId);
  });

  test('several instances migrating at once (each its own connections): all succeed, each version recorded once', async () => {
    const others = [1, 2, 3, 4].map(() => connect(db, {}, storage));
    try {
      for (let round = 0; round < 3; round++) {
        const p = prefix('mc');
        const results = await Promise.allSettled(others.map((s) => migrate(s, { tablePrefix: p })));
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        expect(await executedMigrations(sequelize, { tablePrefix: p })).toEqual(ALL);
        const q = sequelize.getQueryInterface().quoteIdentifier(`${p}bulkimport_migrations`);
        const rows = await sequelize.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${q}`, { type: QueryTypes.SELECT });
        expect(Number(rows[0]?.n)).toBe(ALL.length);
        const run = await smallImport(new SequelizeStateStore(sequelize, { tablePrefix: p }));
        expectImported(run.state, run.jobId);
      }
    } finally {
      for (const s of others) await s.close();
    }
  });

  test('migrate() refuses an existing table of another shape and records nothing', async () => {
    const p = prefix('mx');
    await sequelize.query(`CREATE TABLE ${sequelize.getQueryInterface().quoteIdentifier(`${p}bulkimport_jobs`)} (id VARCHAR(10) PRIMARY KEY)`);
    const error = await migrate(sequelize, { tablePrefix: p }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PersistenceError);
    expect((error as Error).message).toMatch(/lacks column\(s\) status, config/);
    expect(await executedMigrations(sequelize, { tablePrefix: p })).toEqual([]);
  });

  test('the DDL script, run by hand, gives the migrated schema and records the versions', async () => {
    const p = prefix('md');
    const ref = prefix('mr');
    // MySQL/MariaDB: the collation depends on the server, which the DDL cannot ask.
    const serverVersion = ['mysql', 'mariadb'].includes(sequelize.getDialect())
      ? String(((await sequelize.query('SELECT VERSION() AS v', { type: QueryTypes.SELECT })) as Array<{ v: string }>)[0]?.v)
      : undefined;
    const script = migrationDdl(sequelize, { tablePrefix: p, serverVersion });
    for (const statement of script.split(/;\n/).map((s) => s.replace(/^--.*$/gm, '').trim()).filter(Boolean)) {
      await sequelize.query(statement);
    }
    expect(await pendingMigrations(sequelize, { tablePrefix: p })).toEqual([]);
    expect(await executedMigrations(sequelize, { tablePrefix: p })).toEqual(ALL);
    await migrate(sequelize, { tablePrefix: ref });
    expect(await shapeOf(sequelize, p)).toEqual(await shapeOf(sequelize, ref));
    const run = await smallImport(new SequelizeStateStore(sequelize, { tablePrefix: p }));
    expectImported(run.state, run.jobId);
    // only what comes after a version
    const rest = migrationDdl(sequelize, { tablePrefix: p, after: '001_initial' });
    expect(rest).toContain('bulkimport_jobs_status_updated_idx');
    expect(rest).not.toMatch(/CREATE TABLE IF NOT EXISTS \S*bulkimport_jobs/);
  });

  test('004, 003 and 002 can be reverted through createMigrator() and applied again', async () => {
    const p = prefix('mv');
    await migrate(sequelize, { tablePrefix: p });
    const umzug = await createMigrator(sequelize, { tablePrefix: p });
    expect((await umzug.down()).map((m) => m.name)).toEqual(['004_progress_counters']);
    expect((await umzug.down()).map((m) => m.name)).toEqual(['003_batch_lease_times']);
    const columns = Object.keys(await sequelize.getQueryInterface().describeTable(`${p}bulkimport_batches`));
    expect(columns).not.toContain('renewed_at');
    expect(columns).not.toContain('finished_at');
    expect((await umzug.down()).map((m) => m.name)).toEqual(['002_jobs_status_updated_idx']);
    const shape = (await shapeOf(sequelize, p)) as Record<string, { indexes: unknown[] }>;
    expect(shape.bulkimport_jobs?.indexes).toEqual([]);
    expect(await pendingMigrations(sequelize, { tablePrefix: p })).toEqual(ALL.slice(1));
    expect(await migrate(sequelize, { tablePrefix: p })).toEqual(ALL.slice(1));
    const run = await smallImport(new SequelizeStateStore(sequelize, { tablePrefix: p }));
    expectImported(run.state, run.jobId);
  });

  test('unknown target names are refused', async () => {
    await expect(migrate(sequelize, { to: 'nope' })).rejects.toBeInstanceOf(InvalidInputError);
    expect(() => migrationDdl(sequelize, { after: 'nope' })).toThrow(InvalidInputError);
    await expect(migrate(sequelize, { tablePrefix: 'bad-prefix' })).rejects.toBeInstanceOf(InvalidInputError);
  });

  if (db.name === 'postgres') {
    test('a PostgreSQL schema is created and every table, index and the migrations table live in it', async () => {
      const schema = `mig_${uniquePrefix('s').replace(/_$/, '')}`;
      const p = prefix('ms', schema);
      try {
        expect(await migrate(sequelize, { tablePrefix: p, schema })).toEqual(ALL);
        const [rows] = await sequelize.query(
          `SELECT tablename FROM pg_tables WHERE schemaname = '${schema}' ORDER BY tablename`,
        );
        expect((rows as Array<{ tablename: string }>).map((r) => r.tablename)).toEqual(
          ['bulkimport_batches', 'bulkimport_jobs', 'bulkimport_migrations', 'bulkimport_progress', 'bulkimport_records'].map((t) => `${p}${t}`),
        );
        // the progress counters' trigger functions too
        const [functions] = await sequelize.query(
          `SELECT n.nspname AS s, COUNT(*)::int AS n FROM pg_proc f JOIN pg_namespace n ON n.oid = f.pronamespace WHERE f.proname LIKE '${p}%' GROUP BY 1`,
        );
        expect(functions).toEqual([{ s: schema, n: 4 }]);
        const [idx] = await sequelize.query(`SELECT indexname FROM pg_indexes WHERE schemaname = '${schema}' AND indexname LIKE '%_idx'`);
        expect(idx).toHaveLength(4);
        const store = new SequelizeStateStore(sequelize, { tablePrefix: p, schema });
        const run = await smallImport(store);
        expectImported(run.state, run.jobId);
        expect(await pendingMigrations(sequelize, { tablePrefix: p, schema })).toEqual([]);
        // nothing landed in the default schema
        const [leaked] = await sequelize.query(`SELECT tablename FROM pg_tables WHERE tablename LIKE '${p}%' AND schemaname <> '${schema}'`);
        expect(leaked).toEqual([]);
        const umzug = await createMigrator(sequelize, { tablePrefix: p, schema });
        await umzug.down({ to: '002_jobs_status_updated_idx' });
        const [left] = await sequelize.query(`SELECT indexname FROM pg_indexes WHERE schemaname = '${schema}' AND indexname LIKE '%_idx'`);
        expect(left).toHaveLength(3);
        const columns = Object.keys(await sequelize.getQueryInterface().describeTable(`${p}bulkimport_batches`, { schema }));
        expect(columns).not.toContain('renewed_at');
      } finally {
        await sequelize.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      }
    });
  }

  if (db.name === 'sqlite') {
    test('a schema is refused on SQLite (the store addresses its tables unqualified there)', async () => {
      await expect(migrate(sequelize, { schema: 'x' })).rejects.toBeInstanceOf(InvalidInputError);
    });
  }
});
