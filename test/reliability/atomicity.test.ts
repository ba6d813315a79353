/**
 * Multi-record writes are all or nothing, on every database: an invalid record
 * or batch anywhere in the input writes nothing, and a database failure in the
 * middle of a multi-statement write (a real trigger raising an error on one
 * row of the third statement) rolls back the statements already run.
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import { InvalidInputError, PersistenceError, type SequelizeStateStore } from '../../src';
import type { ProcessedRecord } from '../../src/ports';
import { DATABASES, freshStore, type TestDatabase } from '../helpers/databases';
import { distributedJob, expectStoreError, pendingRecord, rowCounts, snapshot } from './helpers';

/** A trigger that refuses one row of `table` (`column = value`) on insert and update. */
async function failOn(db: TestDatabase, sequelize: Sequelize, store: SequelizeStateStore, prefix: string,
  table: 'records' | 'batches', column: string, value: number): Promise<void> {
  const t = store.tables[table];
  const run = (sql: string): Promise<unknown> => sequelize.query(sql, { type: QueryTypes.RAW });
  if (db.name === 'postgres') {
    await run(`CREATE OR REPLACE FUNCTION "${prefix}fail_${table}"() RETURNS trigger AS $$ BEGIN
      IF NEW."${column}" = ${value} THEN RAISE EXCEPTION 'injected failure on ${column} ${value}'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await run(`CREATE TRIGGER "${prefix}trg_${table}" BEFORE INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION "${prefix}fail_${table}"()`);
  } else if (db.name === 'sqlite') {
    for (const ev of ['INSERT', 'UPDATE']) {
      await run(`CREATE TRIGGER "${prefix}trg_${table}_${ev}" BEFORE ${ev} ON ${t} FOR EACH ROW WHEN NEW."${column}" = ${value}
        BEGIN SELECT RAISE(ABORT, 'injected failure on ${column} ${value}'); END`);
    }
  } else {
    for (const ev of ['INSERT', 'UPDATE']) {
      await run(`CREATE TRIGGER \`${prefix}trg_${table}_${ev}\` BEFORE ${ev} ON ${t} FOR EACH ROW BEGIN
        IF NEW.\`${column}\` = ${value} THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure on ${column} ${value}'; END IF; END`);
    }
  }
}

describe.each(DATABASES.map((d) => [d.name, d] as const))('all or nothing on %s', (_name, db) => {
  let ctx: Awaited<ReturnType<typeof freshStore>>;
  let store: SequelizeStateStore;
  beforeAll(async () => {
    ctx = await freshStore(db);
    store = ctx.store;
  });
  afterAll(async () => {
    if (db.name === 'postgres') {
      for (const t of ['records', 'batches']) {
        await ctx.sequelize.query(`DROP FUNCTION IF EXISTS "${ctx.prefix}fail_${t}"() CASCADE`).catch(() => undefined);
      }
    }
    await ctx?.drop();
  });

  test('saveBatchRecords with record #300 of 500 invalid writes none of them, new or replacing', async () => {
    const good = Array.from({ length: 500 }, (_, i) => pendingRecord(i));
    await store.saveBatchRecords('v-job', 'kept', good.slice(0, 50));
    const before = await snapshot(store, ['v-job']);
    const bad = good.map((r, i): ProcessedRecord => (i === 300 ? { ...r, raw: { bad: 1n } } : r));
    await expectStoreError(store.saveBatchRecords('v-job', 'new', bad), InvalidInputError,
      { jobId: 'v-job', batchId: 'new', recordIndex: 300, field: 'record.raw.bad' });
    const replacing = good.slice(0, 50).map((r, i): ProcessedRecord => (i === 30 ? { ...r, status: 'DONE' as never } : { ...r, status: 'processed' }));
    await expectStoreError(store.saveBatchRecords('v-job', 'kept', replacing), InvalidInputError,
      { jobId: 'v-job', batchId: 'kept', recordIndex: 30, field: 'record.status' });
    await expectStoreError(store.saveBatchRecords('v-job', 'new', [...good.slice(0, 10), pendingRecord(5)]), InvalidInputError,
      { jobId: 'v-job', batchId: 'new', recordIndex: 5 });
    expect(await snapshot(store, ['v-job'])).toEqual(before);
    expect(await store.getBatchRecords('v-job', 'new')).toEqual([]);
  });

  test('saveJobState with batch #300 of 500 invalid writes neither the job nor any batch', async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `batch-${i}`);
    const job = distributedJob('v-job-2', ids, 10);
    const bad = { ...job, batches: job.batches.map((b, i) => (i === 300 ? { ...b, status: 'STARTED' as never } : b)) };
    const before = await rowCounts(store);
    await expectStoreError(store.saveJobState(bad), InvalidInputError,
      { jobId: 'v-job-2', batchId: 'batch-300', field: 'job.batches[300].status' });
    expect(await store.getJobState('v-job-2')).toBeNull();
    expect(await rowCounts(store)).toEqual(before);
  });

  test('a database failure in the third statement of saveBatchRecords rolls back the first two', async () => {
    const records = Array.from({ length: 2500 }, (_, i) => pendingRecord(i, { v: 1 }));
    await store.saveBatchRecords('db-job', 'big', records);
    await failOn(db, ctx.sequelize, store, ctx.prefix, 'records', 'record_index', 2200);
    const before = await snapshot(store, ['db-job']);
    const replaced = records.map((r) => ({ ...r, raw: { ...r.raw, v: 2 }, status: 'processed' as const }));
    const error = await expectStoreError(store.saveBatchRecords('db-job', 'big', replaced), PersistenceError,
      { jobId: 'db-job', batchId: 'big' });
    expect(error.message).toMatch(/injected failure/);
    expect(error.cause).toBeDefined();
    const fresh = Array.from({ length: 2500 }, (_, i) => pendingRecord(i));
    await expectStoreError(store.saveBatchRecords('db-job-new', 'big', fresh), PersistenceError, { jobId: 'db-job-new' });
    expect(await snapshot(store, ['db-job'])).toEqual(before);
    expect(await store.getBatchRecords('db-job-new', 'big')).toEqual([]);
    const stored = await store.getBatchRecords('db-job', 'big');
    expect(stored).toHaveLength(2500);
    expect(stored.every((r) => r.raw.v === 1 && r.status === 'pending')).toBe(true);
    // The store is still usable after the rolled-back transaction.
    await store.saveProcessedRecord('db-job', 'big', { ...records[0] as ProcessedRecord, status: 'processed' });
    expect(await store.getProcessedRecords('db-job')).toHaveLength(1);
  });

  test('a database failure on batch #2200 of 2500 in saveJobState writes neither the job nor any batch', async () => {
    await failOn(db, ctx.sequelize, store, ctx.prefix, 'batches', 'batch_index', 2200);
    const ids = Array.from({ length: 2500 }, (_, i) => `b${i}`);
    const before = await rowCounts(store);
    const error = await expectStoreError(store.saveJobState(distributedJob('db-job-2', ids, 2)), PersistenceError, { jobId: 'db-job-2' });
    expect(error.message).toMatch(/injected failure/);
    expect(await store.getJobState('db-job-2')).toBeNull();
    expect(await rowCounts(store)).toEqual(before);
  });
});
