import 'reflect-metadata';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Sequelize } from 'sequelize';
import sqlite3 from 'sqlite3';
import { SequelizeStateStore } from '../../src';
import { sqliteDatabaseFile } from '../../src/store/dialects/sqliteTurns';

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

describe('SQLite: stores on one file in one process take turns', () => {
  let dir: string;
  const instances: Sequelize[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkimport-turns-'));
  });
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((s) => s.close()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A Sequelize instance of its own on `storage`, with Sequelize's own SQLITE_BUSY retry off. */
  function instance(storage: string): Sequelize {
    const sequelize = new Sequelize({ dialect: 'sqlite', storage, logging: false, retry: { max: 1 } });
    instances.push(sequelize);
    return sequelize;
  }

  it('8 instances writing at once never meet each other\'s lock: no busy timeout, no retries, and none fails', async () => {
    // Without turns, one store's open transaction makes another's BEGIN fail at
    // once here (see the test above); with them, no store waits on SQLite at all.
    // Half the instances name the file relatively, through a symlinked directory.
    const file = path.join(dir, 'db.sqlite');
    fs.symlinkSync(dir, path.join(dir, 'link'));
    const names = [file, path.relative(process.cwd(), path.join(dir, 'link', 'db.sqlite'))];
    const stores = Array.from({ length: 8 }, (_, i) =>
      new SequelizeStateStore(instance(names[i % 2]!), { sqliteBusyTimeoutMs: 0, transientRetries: 0 }));
    for (const store of stores) await store.initialize();
    for (let round = 0; round < 3; round++) {
      await Promise.all(stores.map(async (store, i) => {
        const jobId = `job-${round}-${i}`;
        const batches = Array.from({ length: 4 }, (_, b) => ({
          id: `${jobId}-b${b}`, index: b, status: 'PENDING' as const, records: [], processedCount: 0, failedCount: 0,
        }));
        await store.saveJobState({ id: jobId, config: { batchSize: 2 }, status: 'PROCESSING', distributed: true, totalRecords: 8, batches });
        for (let b = 0; b < 4; b++) {
          const claim = await store.claimBatch(jobId, `w${i}`);
          if (!claim.claimed) throw new Error(`${jobId}: ${claim.reason}`);
          const records = [0, 1].map((k) => ({ index: b * 2 + k, raw: { k }, parsed: { k }, status: 'processed' as const, errors: [] }));
          await store.saveBatchRecords(jobId, claim.reservation.batchId, records);
          await store.updateBatchState(jobId, claim.reservation.batchId,
            { batchId: claim.reservation.batchId, status: 'COMPLETED', processedCount: 2, failedCount: 0 }, { workerId: `w${i}` });
        }
        expect(await store.tryFinalizeJob(jobId)).toBe(true);
      }));
    }
    for (let i = 0; i < 8; i++) {
      expect(await stores[0]!.getProgress(`job-2-${i}`)).toMatchObject({ processedRecords: 8, failedRecords: 0 });
      expect((await stores[0]!.getJobState(`job-2-${i}`))?.status).toBe('COMPLETED');
    }
  });
});

describe('sqliteDatabaseFile: which instances share a database', () => {
  const file = (options: Record<string, unknown>): string | undefined =>
    sqliteDatabaseFile({ options } as unknown as Sequelize);

  it('private databases are their instance\'s own', () => {
    expect(file({ storage: ':memory:' })).toBeUndefined();
    expect(file({})).toBeUndefined(); // Sequelize's default
    expect(file({ storage: '' })).toBeUndefined(); // a temporary file
    expect(file({ storage: 'file:x?mode=memory&cache=shared' })).toBeUndefined();
  });

  it('a file is named the same however it is reached', () => {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bulkimport-key-')));
    try {
      fs.symlinkSync(dir, path.join(dir, 'link'));
      const absolute = path.join(dir, 'db.sqlite');
      expect(file({ storage: absolute })).toBe(absolute);
      expect(file({ storage: path.relative(process.cwd(), absolute) })).toBe(absolute);
      expect(file({ storage: path.join(dir, 'link', 'db.sqlite') })).toBe(absolute);
      expect(file({ host: absolute })).toBe(absolute);
      expect(file({ storage: path.join(dir, 'other.sqlite') })).not.toBe(absolute);
      expect(file({ storage: 'file:shared.db' })).toBe('file:shared.db');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
