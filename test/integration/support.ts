/**
 * Shared pieces of the integration tests: a small import driven through a
 * store as the engine drives it, and clean-up of a prefix's tables.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { randomUUID } from 'crypto';
import { Sequelize, type Options } from 'sequelize';
import type { JobState, ProcessedRecord, SequelizeStateStore } from '../../src';
import { dropCounters, type TestDatabase } from '../helpers/databases';

/** A fresh SQLite file path under the OS temp dir. */
export function sqliteFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bulkimport-int-')), 'db.sqlite');
}

/** A new Sequelize instance on `db` with extra options (e.g. a logging hook). */
export function connect(db: TestDatabase, options: Options = {}, storage = sqliteFile()): Sequelize {
  if (db.name === 'sqlite') return new Sequelize({ dialect: 'sqlite', storage, logging: false, ...options });
  return new Sequelize(db.url as string, { logging: false, pool: { max: 5, min: 0 }, ...options });
}

/** Drops a prefix's tables (and the migrations table, and PostgreSQL's progress counters) if they exist. */
export async function dropTables(sequelize: Sequelize, prefix: string, schema?: string): Promise<void> {
  const qi = sequelize.getQueryInterface();
  await dropCounters(sequelize, prefix, schema);
  for (const t of ['bulkimport_records', 'bulkimport_batches', 'bulkimport_jobs', 'bulkimport_migrations']) {
    const tableName = `${prefix}${t}`;
    await qi.dropTable(schema ? ({ tableName, schema } as unknown as string) : tableName).catch(() => undefined);
  }
}

/** Record `index` of the small import. */
export function record(index: number, status: ProcessedRecord['status'] = 'processed'): ProcessedRecord {
  return {
    index,
    raw: { email: `user${index}@example.com`, name: `User ${index}` },
    parsed: { email: `user${index}@example.com`, name: `User ${index}` },
    status,
    errors: status === 'invalid' ? [{ field: 'email', message: 'bad email', code: 'TYPE_MISMATCH' }] : [],
  };
}

/**
 * A small import through `store`, as the engine's single-process path runs
 * it: save the job, per batch PROCESSING → records → COMPLETED, final save.
 * Returns the job id and the state read back.
 */
export async function smallImport(
  store: SequelizeStateStore,
  { batches = 2, batchSize = 3, jobId = randomUUID() }: { batches?: number; batchSize?: number; jobId?: string } = {},
): Promise<{ jobId: string; state: JobState | null; batchIds: string[] }> {
  const batchIds = Array.from({ length: batches }, () => randomUUID());
  const job = (status: JobState['status'], done: number): JobState => ({
    id: jobId,
    config: { batchSize, continueOnError: true, schema: { fields: [{ name: 'email', type: 'email', required: true }] } },
    status,
    batches: batchIds.map((id, index) => ({
      id, index, status: index < done ? 'COMPLETED' : 'PENDING', records: [],
      processedCount: index < done ? batchSize : 0, failedCount: 0,
    })),
    totalRecords: batches * batchSize,
    startedAt: 1_764_000_000_000,
    ...(status === 'COMPLETED' ? { completedAt: 1_764_000_001_000 } : {}),
  });
  await store.saveJobState(job('PROCESSING', 0));
  for (let b = 0; b < batches; b++) {
    const batchId = batchIds[b] as string;
    await store.updateBatchState(jobId, batchId, { batchId, status: 'PROCESSING', processedCount: 0, failedCount: 0 });
    for (let i = 0; i < batchSize; i++) await store.saveProcessedRecord(jobId, batchId, record(b * batchSize + i));
    await store.updateBatchState(jobId, batchId, { batchId, status: 'COMPLETED', processedCount: batchSize, failedCount: 0 });
  }
  await store.saveJobState(job('COMPLETED', batches));
  return { jobId, state: await store.getJobState(jobId), batchIds };
}

/** Asserts the state `smallImport` leaves. */
export function expectImported(state: JobState | null, jobId: string, batches = 2, batchSize = 3): void {
  expect(state).not.toBeNull();
  expect(state?.id).toBe(jobId);
  expect(state?.status).toBe('COMPLETED');
  expect(state?.totalRecords).toBe(batches * batchSize);
  expect(state?.batches.map((b) => [b.index, b.status, b.processedCount])).toEqual(
    Array.from({ length: batches }, (_, i) => [i, 'COMPLETED', batchSize]),
  );
}
