/**
 * The store on the user's own Sequelize setup: a plain `sequelize` instance
 * and a sequelize-typescript one (also one that already registered our
 * entities), several stores on several instances in one process, table
 * prefixes and (PostgreSQL) schemas honoured by every statement the store runs.
 */
import { randomUUID } from 'crypto';
import { Sequelize as PlainSequelize, QueryTypes, type Sequelize } from 'sequelize';
import { Sequelize as TsSequelize } from 'sequelize-typescript';
import { JobEntity, SequelizeStateStore, STATE_ENTITIES, type JobState } from '../../src';
import { DATABASES, uniquePrefix, type TestDatabase } from '../helpers/databases';
import { dropTables, expectImported, record, smallImport, sqliteFile } from './support';

const pg = DATABASES.find((d) => d.name === 'postgres');

/** A sequelize-typescript instance on `db`. */
function tsConnect(db: TestDatabase, storage = sqliteFile()): TsSequelize {
  return db.name === 'sqlite'
    ? new TsSequelize({ dialect: 'sqlite', storage, logging: false })
    : new TsSequelize(db.url as string, { logging: false, pool: { max: 5, min: 0 } });
}

async function countJobs(sequelize: Sequelize, table: string, jobId: string): Promise<number> {
  const q = sequelize.getQueryInterface().quoteIdentifier.bind(sequelize.getQueryInterface());
  const rows = await sequelize.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table.split('.').map((p) => q(p)).join('.')} WHERE id = $1`, {
    bind: [jobId], type: QueryTypes.SELECT,
  });
  return Number(rows[0]?.n);
}

/**
 * Calls every public method of the store once (a distributed job and a
 * single-process one), so that a statement log covers every query it runs.
 */
async function everyMethod(store: SequelizeStateStore): Promise<void> {
  const single = await smallImport(store, { batches: 1, batchSize: 2 });
  await store.getFailedRecords(single.jobId);
  await store.getPendingRecords(single.jobId);
  await store.getProcessedRecords(single.jobId);
  await store.getProgress(single.jobId);
  const jobId = randomUUID();
  const batchIds = [randomUUID(), randomUUID()];
  await store.saveBatchRecords(jobId, batchIds[0] as string, [record(0, 'pending'), record(1, 'pending')]);
  await store.saveBatchRecords(jobId, batchIds[1] as string, [record(2, 'pending')]);
  const job: JobState = {
    id: jobId, config: { batchSize: 2 }, status: 'PROCESSING', totalRecords: 3, distributed: true, startedAt: 1_764_000_000_000,
    batches: batchIds.map((id, index) => ({
      id, index, status: 'PENDING', records: [], processedCount: 0, failedCount: 0,
      recordStartIndex: index * 2, recordEndIndex: Math.min(2, index * 2 + 1),
    })),
  };
  await store.saveJobState(job);
  await store.reclaimStaleBatches(jobId, 60_000);
  const a = await store.claimBatch(jobId, 'w1');
  if (!a.claimed) throw new Error('expected a claim');
  await store.heartbeatBatch(jobId, a.reservation.batchId, 'w1');
  await store.releaseBatch(jobId, a.reservation.batchId, 'w1');
  for (const worker of ['w1', 'w2']) {
    const c = await store.claimBatch(jobId, worker);
    if (!c.claimed) throw new Error('expected a claim');
    const records = await store.getBatchRecords(jobId, c.reservation.batchId);
    for (const r of records) await store.saveProcessedRecord(jobId, c.reservation.batchId, { ...r, status: 'processed' });
    await store.updateBatchState(jobId, c.reservation.batchId, {
      batchId: c.reservation.batchId, status: 'COMPLETED', processedCount: records.length, failedCount: 0,
    }, { workerId: worker });
  }
  await store.getDistributedStatus(jobId);
  expect(await store.tryFinalizeJob(jobId)).toBe(true);
  // Methods beyond the port, where this version of the store has them.
  const extra = store as unknown as Record<string, ((...args: unknown[]) => Promise<unknown>) | undefined>;
  if (typeof extra.listJobs === 'function') await extra.listJobs.call(store, { status: 'COMPLETED' });
  if (typeof extra.purgeJobs === 'function') await extra.purgeJobs.call(store, { olderThanMs: 86_400_000 });
  expect(await store.deleteJob(jobId)).toBe(true);
  await store.close();
}

/** Table names the store's statements mention, as written (quotes included). */
function tableReferences(log: readonly string[]): string[] {
  const refs = new Set<string>();
  for (const sql of log) {
    // Identifiers only: string literals (catalog look-ups) and longer names (indexes) are not table references.
    const code = sql.replace(/'(?:[^']|'')*'/g, "''");
    for (const m of code.matchAll(/(?<!['A-Za-z0-9_])((?:["`][A-Za-z0-9_]+["`]\.)?["`]?[A-Za-z0-9_]*bulkimport_(?:jobs|batches|records|progress)["`]?)(?![A-Za-z0-9_])/g)) {
      refs.add(m[1] as string);
    }
  }
  return [...refs].sort();
}

describe.each(DATABASES.map((d) => [d.name, d] as [string, TestDatabase]))('instances on %s', (_name, db) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  });

  test('a plain sequelize instance', async () => {
    const sequelize = db.name === 'sqlite'
      ? new PlainSequelize({ dialect: 'sqlite', storage: sqliteFile(), logging: false })
      : new PlainSequelize(db.url as string, { logging: false });
    const prefix = uniquePrefix('ip');
    cleanup.push(async () => { await dropTables(sequelize, prefix); await sequelize.close(); });
    const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    await store.initialize();
    const run = await smallImport(store);
    expectImported(run.state, run.jobId);
    expect(store.models.Job.sequelize).toBe(sequelize);
  });

  test('a sequelize-typescript instance', async () => {
    const sequelize = tsConnect(db);
    const prefix = uniquePrefix('it');
    cleanup.push(async () => { await dropTables(sequelize, prefix); await sequelize.close(); });
    const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    await store.initialize();
    const run = await smallImport(store);
    expectImported(run.state, run.jobId);
    // the store's models read the same rows
    const row = await store.models.Job.findByPk(run.jobId);
    expect(row?.status).toBe('COMPLETED');
  });

  test('a sequelize-typescript instance that already did addModels(STATE_ENTITIES): the shared classes keep working', async () => {
    // The shared entity classes use the unprefixed tables: give them their own database on servers.
    const storage = sqliteFile();
    const sequelize = tsConnect(db, storage);
    const prefix = uniquePrefix('ia');
    cleanup.push(async () => { await dropTables(sequelize, prefix); await sequelize.close(); });
    sequelize.addModels([...STATE_ENTITIES]);
    expect(JobEntity.sequelize).toBe(sequelize);
    const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
    await store.initialize();
    // the store did not rebind or replace the user's registered classes
    expect(JobEntity.sequelize).toBe(sequelize);
    expect(JobEntity.getTableName()).toBe('bulkimport_jobs');
    expect(store.models.Job).not.toBe(JobEntity);
    expect(store.models.Job.getTableName()).toBe(`${prefix}bulkimport_jobs`);
    expect(sequelize.models[JobEntity.name] ?? sequelize.models.BulkImportJob).toBe(JobEntity);
    const run = await smallImport(store);
    expectImported(run.state, run.jobId);
  });

  if (db.name === 'sqlite') {
    test('the shared entity classes registered with addModels read what a default-prefix store wrote', async () => {
      const sequelize = tsConnect(db);
      cleanup.push(async () => { await sequelize.close(); });
      sequelize.addModels([...STATE_ENTITIES]);
      const store = new SequelizeStateStore(sequelize);
      await store.initialize();
      const run = await smallImport(store);
      const job = await JobEntity.findByPk(run.jobId);
      expect(job?.status).toBe('COMPLETED');
      expect(Number(job?.totalRecords)).toBe(6);
      expect((job?.config as { batchSize: number }).batchSize).toBe(3);
    });
  }

  test('a table prefix is honoured by every statement, and two prefixes on one database are independent', async () => {
    const log: string[] = [];
    const sequelize = db.name === 'sqlite'
      ? new PlainSequelize({ dialect: 'sqlite', storage: sqliteFile(), logging: (sql) => void log.push(sql) })
      : new PlainSequelize(db.url as string, { logging: (sql) => void log.push(sql) });
    const a = uniquePrefix('ix');
    const b = uniquePrefix('iy');
    cleanup.push(async () => { await dropTables(sequelize, a); await dropTables(sequelize, b); await sequelize.close(); });
    const storeA = new SequelizeStateStore(sequelize, { tablePrefix: a });
    const storeB = new SequelizeStateStore(sequelize, { tablePrefix: b });
    log.length = 0;
    await storeA.initialize();
    await everyMethod(storeA);
    const refs = tableReferences(log);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(ref).toContain(`${a}bulkimport_`);
    expect(log.some((sql) => sql.includes(b))).toBe(false);

    await storeB.initialize();
    // the same job id in both, different content
    const jobId = randomUUID();
    const inA = await smallImport(storeA, { jobId, batches: 2 });
    const inB = await smallImport(storeB, { jobId, batches: 3 });
    expectImported(inA.state, jobId, 2);
    expectImported(inB.state, jobId, 3);
    expect(await storeA.getJobState(jobId)).toEqual(inA.state);
    expect(await storeB.deleteJob(jobId)).toBe(true);
    expect(await storeB.getJobState(jobId)).toBeNull();
    expect(await storeA.getJobState(jobId)).toEqual(inA.state);
    expect(await storeA.getProcessedRecords(jobId)).toHaveLength(6);
  });
});

describe('two stores on two instances in one process', () => {
  test('two SQLite files (sequelize-typescript, both with addModels): each store writes only to its own database', async () => {
    const one = tsConnect(DATABASES[0] as TestDatabase);
    const two = tsConnect(DATABASES[0] as TestDatabase);
    try {
      one.addModels([...STATE_ENTITIES]);
      two.addModels([...STATE_ENTITIES]); // rebinds the shared classes to `two`
      const storeOne = new SequelizeStateStore(one);
      const storeTwo = new SequelizeStateStore(two);
      await storeOne.initialize();
      await storeTwo.initialize();
      expect(storeOne.models.Job.sequelize).toBe(one);
      expect(storeTwo.models.Job.sequelize).toBe(two);
      const a = await smallImport(storeOne);
      const b = await smallImport(storeTwo, { batches: 3 });
      expect(await countJobs(one, 'bulkimport_jobs', a.jobId)).toBe(1);
      expect(await countJobs(two, 'bulkimport_jobs', a.jobId)).toBe(0);
      expect(await countJobs(two, 'bulkimport_jobs', b.jobId)).toBe(1);
      expect(await countJobs(one, 'bulkimport_jobs', b.jobId)).toBe(0);
      // model reads go to the right database too
      expect(await storeOne.models.Job.count()).toBe(1);
      expect(await storeTwo.models.Job.count()).toBe(1);
      expect((await storeOne.models.Job.findByPk(a.jobId))?.id).toBe(a.jobId);
      expect(await storeOne.models.Job.findByPk(b.jobId)).toBeNull();
      expectImported(await storeOne.getJobState(a.jobId), a.jobId);
      expect(await storeOne.getJobState(b.jobId)).toBeNull();
    } finally {
      await one.close();
      await two.close();
    }
  });

  (pg ? test : test.skip)('SQLite and PostgreSQL: each store writes only to its own database', async () => {
    const lite = new PlainSequelize({ dialect: 'sqlite', storage: sqliteFile(), logging: false });
    const post = tsConnect(pg as TestDatabase);
    const prefix = uniquePrefix('i2');
    try {
      const storeLite = new SequelizeStateStore(lite, { tablePrefix: prefix });
      const storePg = new SequelizeStateStore(post, { tablePrefix: prefix });
      await storeLite.initialize();
      await storePg.initialize();
      const jobs = await Promise.all([smallImport(storeLite), smallImport(storePg, { batches: 3 })]);
      const [a, b] = jobs;
      expect(await countJobs(lite, `${prefix}bulkimport_jobs`, a.jobId)).toBe(1);
      expect(await countJobs(post, `${prefix}bulkimport_jobs`, a.jobId)).toBe(0);
      expect(await countJobs(post, `${prefix}bulkimport_jobs`, b.jobId)).toBe(1);
      expect(await countJobs(lite, `${prefix}bulkimport_jobs`, b.jobId)).toBe(0);
      expectImported(await storeLite.getJobState(a.jobId), a.jobId);
      expectImported(await storePg.getJobState(b.jobId), b.jobId, 3);
      expect(await storePg.models.Job.count()).toBe(1);
    } finally {
      await dropTables(post, prefix);
      await lite.close();
      await post.close();
    }
  });
});

(pg ? describe : describe.skip)('PostgreSQL schema option', () => {
  test('initialize() creates the schema; every statement names it; two schemas with one prefix are independent', async () => {
    const log: string[] = [];
    const sequelize = new PlainSequelize(pg?.url as string, { logging: (sql) => void log.push(sql) });
    const s1 = `sch_${uniquePrefix('a').replace(/_$/, '')}`;
    const s2 = `sch_${uniquePrefix('b').replace(/_$/, '')}`;
    const prefix = uniquePrefix('is');
    try {
      const one = new SequelizeStateStore(sequelize, { schema: s1, tablePrefix: prefix });
      const two = new SequelizeStateStore(sequelize, { schema: s2, tablePrefix: prefix });
      log.length = 0;
      await one.initialize();
      await everyMethod(one);
      const refs = tableReferences(log);
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) expect(ref).toMatch(new RegExp(`^"${s1}"\\."${prefix}bulkimport_(jobs|batches|records|progress)"$`));
      const [tables] = await sequelize.query(`SELECT schemaname, tablename FROM pg_tables WHERE tablename LIKE '${prefix}%' ORDER BY tablename`);
      expect(tables).toEqual(['batches', 'jobs', 'progress', 'records'].map((t) => ({ schemaname: s1, tablename: `${prefix}bulkimport_${t}` })));
      const [indexes] = await sequelize.query(`SELECT schemaname FROM pg_indexes WHERE indexname LIKE '${prefix}%'`);
      expect((indexes as Array<{ schemaname: string }>).every((i) => i.schemaname === s1)).toBe(true);
      expect((indexes as unknown[]).length).toBeGreaterThanOrEqual(6); // 3 primary keys, 3+ secondary indexes

      await two.initialize();
      const jobId = randomUUID();
      const inOne = await smallImport(one, { jobId });
      const inTwo = await smallImport(two, { jobId, batches: 3 });
      expectImported(inOne.state, jobId);
      expectImported(inTwo.state, jobId, 3);
      expect(await two.deleteJob(jobId)).toBe(true);
      expect(await one.getJobState(jobId)).toEqual(inOne.state);
      expect(await countJobs(sequelize, `${s1}.${prefix}bulkimport_jobs`, jobId)).toBe(1);
      expect(await countJobs(sequelize, `${s2}.${prefix}bulkimport_jobs`, jobId)).toBe(0);
    } finally {
      await sequelize.query(`DROP SCHEMA IF EXISTS "${s1}" CASCADE`);
      await sequelize.query(`DROP SCHEMA IF EXISTS "${s2}" CASCADE`);
      await sequelize.close();
    }
  });
});
