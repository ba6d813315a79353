/** Opening the demo's store, in the orchestrator and in every worker process. */
import 'reflect-metadata';
import type { Sequelize } from 'sequelize';
import { createSequelize, parseDatabaseUrl, type DatabaseTarget } from '../src/cli/connect';
import { SequelizeStateStore } from '../src/store/SequelizeStateStore';

/** An open demo store. */
export interface DemoDb {
  readonly sequelize: Sequelize;
  readonly store: SequelizeStateStore;
  readonly target: DatabaseTarget;
  close(): Promise<void>;
}

/** SQLite busy timeout: how long a writer waits for another process's write lock. */
export const SQLITE_BUSY_TIMEOUT_MS = 30_000;

/**
 * Connects. On SQLite every connection waits up to 30 s for the write lock
 * (several processes share one file) and commits without an fsync each time
 * (`synchronous = NORMAL`, safe in WAL mode: a power cut may lose the last
 * commits, never corrupt the file).
 */
export async function openDemoDb(url: string, tablePrefix: string, poolMax = 4): Promise<DemoDb> {
  const target = parseDatabaseUrl(url);
  const sequelize = createSequelize(target, { sqliteBusyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS, poolMax });
  await sequelize.authenticate();
  if (target.dialect === 'sqlite') {
    await sequelize.query('PRAGMA synchronous = NORMAL');
  }
  const store = new SequelizeStateStore(sequelize, { tablePrefix, sqliteBusyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS });
  return {
    sequelize,
    store,
    target,
    async close() {
      await store.close().catch(() => undefined);
      await sequelize.close().catch(() => undefined);
    },
  };
}
