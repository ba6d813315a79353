/** Opening the demo's store, in the orchestrator and in every worker process. */
import 'reflect-metadata';
import type { Sequelize } from 'sequelize';
import { connectError, createDatabase, createSequelize, isMissingDatabase, parseDatabaseUrl, type DatabaseTarget } from '../src/cli/connect';
import { SequelizeStateStore } from '../src/store/SequelizeStateStore';

/** An open demo store. */
export interface DemoDb {
  readonly sequelize: Sequelize;
  readonly store: SequelizeStateStore;
  readonly target: DatabaseTarget;
  close(): Promise<void>;
}

/** Options of {@link openDemoDb}. */
export interface OpenDemoOptions {
  /** PostgreSQL, MySQL, MariaDB: create the database when it does not exist. */
  readonly createDb?: boolean;
  /** Called after the database was created. */
  readonly onCreated?: () => void;
}

/** SQLite busy timeout: how long a writer waits for another process's write lock. */
export const SQLITE_BUSY_TIMEOUT_MS = 30_000;

/**
 * Connects; a database that does not exist is an error saying how to
 * create it, or (`createDb`) is created. On SQLite every connection waits up to 30 s for the write lock
 * (several processes share one file) and commits without an fsync each time
 * (`synchronous = NORMAL`, safe in WAL mode: a power cut may lose the last
 * commits, never corrupt the file).
 */
export async function openDemoDb(url: string, tablePrefix: string, poolMax = 4, options: OpenDemoOptions = {}): Promise<DemoDb> {
  const target = parseDatabaseUrl(url);
  let sequelize = createSequelize(target, { sqliteBusyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS, poolMax });
  try {
    await sequelize.authenticate();
  } catch (error) {
    await sequelize.close().catch(() => undefined);
    if (!(options.createDb && isMissingDatabase(error))) {
      throw connectError(target, error, target.dialect === 'sqlite' ? undefined : 'run the demo with --create-db');
    }
    if (await createDatabase(target)) options.onCreated?.();
    sequelize = createSequelize(target, { sqliteBusyTimeoutMs: SQLITE_BUSY_TIMEOUT_MS, poolMax });
    try {
      await sequelize.authenticate();
    } catch (again) {
      await sequelize.close().catch(() => undefined);
      throw connectError(target, again);
    }
  }
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
