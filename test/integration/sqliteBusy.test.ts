import 'reflect-metadata';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Sequelize } from 'sequelize';
import sqlite3 from 'sqlite3';
import { SequelizeStateStore } from '../../src';

/** Another process's writer, as far as SQLite can tell: its own connection holding the write lock. */
function holdWriteLock(file: string): Promise<{ release(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (err) => {
      if (err) return reject(err);
      db.run('BEGIN IMMEDIATE', (beginErr) => {
        if (beginErr) return reject(beginErr);
        resolve({
          release: () => new Promise<void>((done) => db.run('COMMIT', () => db.close(() => done()))),
        });
      });
    });
  });
}

describe('SQLite busy timeout', () => {
  let dir: string;
  let sequelize: Sequelize;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkimport-busy-'));
    // Sequelize's own SQLITE_BUSY retry is off, so only the busy timeout can make a call wait.
    sequelize = new Sequelize({ dialect: 'sqlite', storage: path.join(dir, 'db.sqlite'), logging: false, retry: { max: 1 } });
  });
  afterEach(async () => {
    await sequelize.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const job = {
    id: 'job-busy', config: { batchSize: 1 }, status: 'PROCESSING' as const, totalRecords: 1,
    batches: [{ id: 'b0', index: 0, status: 'PENDING' as const, records: [], processedCount: 0, failedCount: 0 }],
  };

  it('a transactional write waits for another writer instead of failing (every connection gets the timeout)', async () => {
    // No retries: only the busy timeout can make this call wait.
    const store = new SequelizeStateStore(sequelize, { sqliteBusyTimeoutMs: 20_000, transientRetries: 0 });
    await store.initialize();
    const lock = await holdWriteLock(path.join(dir, 'db.sqlite'));
    const released = new Promise<void>((resolve) => setTimeout(() => void lock.release().then(resolve), 2500));
    await store.saveJobState(job); // a transaction on a connection Sequelize opens for it
    await released;
    expect((await store.getJobState('job-busy'))?.batches).toHaveLength(1);
  });

  it('without a timeout the same write fails at once with a PersistenceError', async () => {
    const store = new SequelizeStateStore(sequelize, { sqliteBusyTimeoutMs: 0, transientRetries: 0 });
    await store.initialize();
    const lock = await holdWriteLock(path.join(dir, 'db.sqlite'));
    // Sequelize warns that it cannot roll back the transaction whose BEGIN was refused: expected here, kept out of the output.
    const original = console.warn.bind(console);
    const warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      if (!/^Rolling back transaction .* failed/.test(String(args[0]))) original(...args);
    });
    try {
      await expect(store.saveJobState(job)).rejects.toMatchObject({ name: 'PersistenceError' });
    } finally {
      warn.mockRestore();
      await lock.release();
    }
    expect(await store.getJobState('job-busy')).toBeNull();
  });
});
