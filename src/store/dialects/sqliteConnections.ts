import type { Sequelize } from 'sequelize';

interface SqliteConnection {
  configure(option: 'busyTimeout', value: number): void;
}

interface ConnectionManager {
  getConnection(options?: unknown): Promise<SqliteConnection>;
}

const timeouts = new WeakMap<Sequelize, { ms: number }>();

/**
 * Makes every SQLite connection a Sequelize instance opens wait up to `ms`
 * for another writer (`busy_timeout`) instead of failing with SQLITE_BUSY at
 * once. Sequelize's SQLite dialect opens a new connection for every
 * transaction and runs no connect hooks, so a `PRAGMA busy_timeout` reaches
 * only the connection it ran on; this wraps the dialect's `getConnection`
 * (once per instance; a later store asking for a longer wait raises it).
 */
export function applySqliteBusyTimeout(sequelize: Sequelize, ms: number): void {
  const existing = timeouts.get(sequelize);
  if (existing) {
    existing.ms = Math.max(existing.ms, ms);
    return;
  }
  const setting = { ms };
  timeouts.set(sequelize, setting);
  const manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
  const configured = new WeakMap<object, number>();
  const original = manager.getConnection.bind(manager);
  manager.getConnection = async (options?: unknown): Promise<SqliteConnection> => {
    const connection = await original(options);
    if (configured.get(connection) !== setting.ms && typeof connection.configure === 'function') {
      connection.configure('busyTimeout', setting.ms);
      configured.set(connection, setting.ms);
    }
    return connection;
  };
}
