/**
 * Write-behind (`recordBuffer`) behaviour and durability, on every database
 * of the run: buffered records are on disk once updateBatchState,
 * saveJobState, tryFinalizeJob or a read returns; the last save of an index
 * wins; a failed background write surfaces on the next call and loses
 * nothing; a SIGKILLed process loses only records of batches it never marked
 * COMPLETED. Persistence is always checked through a second, independent
 * connection. No timing is asserted.
 */
import { fork } from 'child_process';
import * as path from 'path';
import { QueryTypes, type Sequelize } from 'sequelize';
import { PersistenceError, type Batch, type ProcessedRecord, type SequelizeStateStore } from '../../src';
import { DATABASES, freshStore, type TestDatabase } from '../helpers/databases';
import { slowTest } from '../helpers/slow';

function record(index: number, status: ProcessedRecord['status'] = 'processed', tag = 'v1'): ProcessedRecord {
  return { index, raw: { n: index, tag }, parsed: { n: index, tag }, status, errors: [], retryCount: 0 };
}

function batches(jobId: string, n: number): Batch[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${jobId}-b${i}`, index: i, status: 'PENDING' as const, records: [], processedCount: 0, failedCount: 0,
  }));
}

/** A second connection to the same database (SQLite: the same file). */
function observer(db: TestDatabase, sequelize: Sequelize): Sequelize {
  return db.connect({ poolMax: 2, storage: storageOf(sequelize) });
}

/** The SQLite file of a Sequelize instance (`undefined` on servers). */
function storageOf(sequelize: Sequelize): string | undefined {
  return (sequelize as unknown as { options: { storage?: string } }).options.storage;
}

async function storedIndexes(seq: Sequelize, store: SequelizeStateStore, jobId: string): Promise<number[]> {
  const q = store.sequelize.getDialect() === 'postgres' || store.sequelize.getDialect() === 'sqlite' ? '"' : '`';
  const rows = await seq.query<{ i: unknown }>(
    `SELECT ${q}record_index${q} AS i FROM ${store.tables.records} WHERE ${q}job_id${q} = $1 ORDER BY ${q}record_index${q}`,
    { bind: [jobId], type: QueryTypes.SELECT },
  );
  return rows.map((r) => Number(r.i));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe.each(DATABASES.map((db) => [db.name, db] as const))('recordBuffer on %s', (_name, db) => {
  // Large and slow enough that nothing is written unless the store flushes.
  const holdAll = { maxRecords: 100_000, maxDelayMs: 600_000 };

  test('buffered records are on disk once updateBatchState, saveJobState, tryFinalizeJob or a read returns', async () => {
    const t = await freshStore(db, { recordBuffer: holdAll });
    const other = observer(db, t.sequelize);
    try {
      const jobId = 'wb-flush';
      await t.store.saveJobState({ id: jobId, config: { batchSize: 100 }, status: 'PROCESSING', batches: batches(jobId, 4), totalRecords: 400 });

      for (const i of range(0, 100)) await t.store.saveProcessedRecord(jobId, `${jobId}-b0`, record(i));
      expect(await storedIndexes(other, t.store, jobId)).toEqual([]); // really held back
      await t.store.updateBatchState(jobId, `${jobId}-b0`, { batchId: `${jobId}-b0`, status: 'COMPLETED', processedCount: 100, failedCount: 0 });
      expect(await storedIndexes(other, t.store, jobId)).toEqual(range(0, 100));

      for (const i of range(100, 150)) await t.store.saveProcessedRecord(jobId, `${jobId}-b1`, record(i, 'failed'));
      expect(await storedIndexes(other, t.store, jobId)).toEqual(range(0, 100));
      await t.store.saveJobState({ id: jobId, config: { batchSize: 100 }, status: 'PAUSED', batches: batches(jobId, 4), totalRecords: 400 });
      expect(await storedIndexes(other, t.store, jobId)).toEqual(range(0, 150));

      for (const i of range(150, 160)) await t.store.saveProcessedRecord(jobId, `${jobId}-b1`, record(i, 'failed'));
      const failed = await t.store.getFailedRecords(jobId);
      expect(failed.map((r) => r.index)).toEqual(range(100, 160));
      expect(await storedIndexes(other, t.store, jobId)).toEqual(range(0, 160));

      for (const i of range(160, 170)) await t.store.saveProcessedRecord(jobId, `${jobId}-b1`, record(i));
      const progress = await t.store.getProgress(jobId);
      expect(progress.processedRecords).toBe(110);
      expect(progress.failedRecords).toBe(60);

      for (const i of range(170, 180)) await t.store.saveProcessedRecord(jobId, `${jobId}-b1`, record(i));
      expect((await t.store.getBatchRecords(jobId, `${jobId}-b1`)).length).toBe(80);

      for (const i of range(180, 190)) await t.store.saveProcessedRecord(jobId, `${jobId}-b1`, record(i));
      expect(await t.store.tryFinalizeJob(jobId)).toBe(false); // job is PAUSED; the flush still happens
      expect(await storedIndexes(other, t.store, jobId)).toEqual(range(0, 190));

      for (const i of range(190, 200)) await t.store.saveProcessedRecord(jobId, `${jobId}-b1`, record(i));
      await t.store.close();
      expect(await storedIndexes(other, t.store, jobId)).toEqual(range(0, 200));
    } finally {
      await other.close();
      await t.drop();
    }
  });

  test('the last save of an index wins, within a flush and across flushes', async () => {
    const t = await freshStore(db, { recordBuffer: { maxRecords: 3, maxDelayMs: 600_000 } });
    try {
      const jobId = 'wb-last';
      const b = `${jobId}-b0`;
      await t.store.saveProcessedRecord(jobId, b, record(5, 'failed', 'first'));
      await t.store.saveProcessedRecord(jobId, b, record(5, 'processed', 'second')); // same key, same flush
      await t.store.saveProcessedRecord(jobId, b, record(6, 'failed', 'first'));
      await t.store.saveProcessedRecord(jobId, b, record(7, 'failed', 'first')); // 3 keys: flushed here
      await t.store.saveProcessedRecord(jobId, b, record(6, 'invalid', 'second')); // after that flush
      await t.store.saveProcessedRecord(jobId, b, record(7, 'failed', 'second'));
      await t.store.saveProcessedRecord(jobId, b, record(7, 'processed', 'third'));
      const got = await t.store.getBatchRecords(jobId, b);
      expect(got.map((r) => [r.index, r.status, (r.raw as { tag: string }).tag])).toEqual([
        [5, 'processed', 'second'],
        [6, 'invalid', 'second'],
        [7, 'processed', 'third'],
      ]);
    } finally {
      await t.drop();
    }
  });

  test('a failed background write surfaces on the next call; nothing stored or buffered is lost', async () => {
    const t = await freshStore(db, { recordBuffer: { maxRecords: 100_000, maxDelayMs: 20 } });
    const q = (id: string): string => (db.name === 'mariadb' || db.name === 'mysql' ? `\`${id}\`` : `"${id}"`);
    const table = `${t.prefix}bulkimport_records`;
    const aside = `${t.prefix}aside`;
    try {
      const jobId = 'wb-fail';
      const b = `${jobId}-b0`;
      await t.store.saveJobState({ id: jobId, config: { batchSize: 100 }, status: 'PROCESSING', batches: batches(jobId, 1), totalRecords: 30 });
      for (const i of range(0, 10)) await t.store.saveProcessedRecord(jobId, b, record(i));
      await t.store.updateBatchState(jobId, b, { batchId: b, status: 'PROCESSING', processedCount: 10, failedCount: 0 });

      // Take the table away: the timer's background write must fail.
      await t.sequelize.query(`ALTER TABLE ${q(table)} RENAME TO ${q(aside)}`);
      for (const i of range(10, 20)) await t.store.saveProcessedRecord(jobId, b, record(i));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await t.sequelize.query(`ALTER TABLE ${q(aside)} RENAME TO ${q(table)}`);

      // The failure is reported by the next call, as a PersistenceError with the driver's error as cause.
      const next = t.store.saveProcessedRecord(jobId, b, record(20));
      await expect(next).rejects.toBeInstanceOf(PersistenceError);
      await expect(next).rejects.toMatchObject({ context: { operation: 'saveProcessedRecord', jobId } });
      await expect(next.catch((e: Error) => e.cause)).resolves.toBeDefined();

      // Then the store carries on: the failed records are still queued and land with the next flush.
      for (const i of range(20, 30)) await t.store.saveProcessedRecord(jobId, b, record(i));
      await t.store.updateBatchState(jobId, b, { batchId: b, status: 'COMPLETED', processedCount: 30, failedCount: 0 });
      const stored = await t.store.getBatchRecords(jobId, b);
      expect(stored.map((r) => r.index)).toEqual(range(0, 30));
      expect(stored.every((r) => r.status === 'processed')).toBe(true);
    } finally {
      await t.sequelize.query(`ALTER TABLE ${q(aside)} RENAME TO ${q(table)}`).catch(() => undefined);
      await t.drop();
    }
  });

  test('a flush that fails inside updateBatchState rejects it and leaves the batch status unchanged', async () => {
    const t = await freshStore(db, { recordBuffer: holdAll });
    const q = (id: string): string => (db.name === 'mariadb' || db.name === 'mysql' ? `\`${id}\`` : `"${id}"`);
    const table = `${t.prefix}bulkimport_records`;
    const aside = `${t.prefix}aside`;
    try {
      const jobId = 'wb-fail2';
      const b = `${jobId}-b0`;
      await t.store.saveJobState({ id: jobId, config: { batchSize: 100 }, status: 'PROCESSING', batches: batches(jobId, 1), totalRecords: 5 });
      for (const i of range(0, 5)) await t.store.saveProcessedRecord(jobId, b, record(i));
      await t.sequelize.query(`ALTER TABLE ${q(table)} RENAME TO ${q(aside)}`);
      await expect(
        t.store.updateBatchState(jobId, b, { batchId: b, status: 'COMPLETED', processedCount: 5, failedCount: 0 }),
      ).rejects.toBeInstanceOf(PersistenceError);
      await t.sequelize.query(`ALTER TABLE ${q(aside)} RENAME TO ${q(table)}`);
      const job = await t.store.getJobState(jobId).catch(() => t.store.getJobState(jobId));
      expect(job?.batches[0]?.status).toBe('PENDING'); // not COMPLETED without its records
      await t.store.updateBatchState(jobId, b, { batchId: b, status: 'COMPLETED', processedCount: 5, failedCount: 0 });
      expect((await t.store.getBatchRecords(jobId, b)).map((r) => r.index)).toEqual(range(0, 5));
    } finally {
      await t.sequelize.query(`ALTER TABLE ${q(aside)} RENAME TO ${q(table)}`).catch(() => undefined);
      await t.drop();
    }
  });

  slowTest('SIGKILL mid-import: every COMPLETED batch has all its records on disk', async () => {
    const perBatch = 50;
    const total = 200;
    // The buffer's timer is long (10 s), so only the store's own flush makes records durable:
    // maxRecords 1,000 holds whole batches; 32 also writes part of each batch early.
    for (const [killAfter, maxRecords] of [[2, 1000], [5, 32]] as const) {
      const t = await freshStore(db);
      try {
        const jobId = `wb-crash-${killAfter}`;
        await t.store.saveJobState({ id: jobId, config: { batchSize: perBatch }, status: 'PROCESSING', batches: batches(jobId, total), totalRecords: total * perBatch });
        const storage = storageOf(t.sequelize);
        const args = {
          dialect: db.name, url: db.url, storage: db.name === 'sqlite' ? storage : undefined, prefix: t.prefix, jobId, batches: total, perBatch, maxRecords,
        };
        const child = fork(path.join(__dirname, 'fixtures', 'crashChild.ts'), [JSON.stringify(args)], {
          execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        const reported: number[] = [];
        const outcome = await new Promise<string>((resolve) => {
          child.on('message', (m: { type: string; batch?: number; message?: string }) => {
            if (m.type === 'completed') {
              reported.push(m.batch as number);
              // Kill somewhere inside a later batch (a little after a COMPLETED).
              if (reported.length === killAfter) setTimeout(() => child.kill('SIGKILL'), 3 * killAfter);
            } else if (m.type === 'error') resolve(`error: ${m.message}`);
          });
          child.on('exit', (_code, signal) => resolve(signal === 'SIGKILL' ? 'killed' : 'exited'));
        });
        expect(outcome).toBe('killed');

        const job = await t.store.getJobState(jobId);
        const completed = (job?.batches ?? []).filter((b) => b.status === 'COMPLETED').map((b) => b.index);
        expect(completed.length).toBeGreaterThanOrEqual(reported.length); // what the child heard back is durable
        expect(completed.length).toBeLessThan(total); // the kill did land mid-import
        for (const b of reported) expect(completed).toContain(b);
        const stored = new Set(await storedIndexes(t.sequelize, t.store, jobId));
        for (const b of completed) {
          const missing = range(b * perBatch, (b + 1) * perBatch).filter((i) => !stored.has(i));
          expect({ batch: b, missing }).toEqual({ batch: b, missing: [] });
        }
        // Only records of batches never marked COMPLETED may be missing, and the engine redoes those.
        const records = await t.store.getProcessedRecords(jobId);
        expect(records.every((r) => r.raw.n === r.index)).toBe(true);
      } finally {
        await t.drop();
      }
    }
  }, 300_000);
});
