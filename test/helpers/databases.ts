/**
 * The databases a test run covers. SQLite always; PostgreSQL, MariaDB (through
 * the `mariadb` dialect) and MySQL-protocol MariaDB (through the `mysql`
 * dialect, mysql2) when their URLs are set:
 *
 *   PG_URL=postgres://postgres@127.0.0.1:5432/bulk_test
 *   MARIADB_URL=mariadb://root@127.0.0.1:3306/bulk_test
 *   MYSQL_URL=mysql://root@127.0.0.1:3306/bulk_test
 *
 * Each test file isolates itself with its own table prefix (see `uniquePrefix`).
 */
import 'reflect-metadata';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Sequelize } from 'sequelize';
import { SequelizeStateStore, type SequelizeStateStoreOptions } from '../../src';
import { dialectFor } from '../../src/store/dialects';

export interface TestDatabase {
  /** Label used in test names: sqlite, postgres, mariadb, mysql. */
  readonly name: string;
  /** Connection URL (SQLite: a file path under the OS temp dir, made per call). */
  readonly url: string | undefined;
  /** A new Sequelize instance with `pool.max` connections. */
  connect(options?: { poolMax?: number; storage?: string }): Sequelize;
}

function sqliteFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkimport-test-'));
  return path.join(dir, 'db.sqlite');
}

function network(name: string, url: string | undefined): TestDatabase[] {
  if (!url) return [];
  return [{
    name,
    url,
    connect: ({ poolMax = 10 } = {}) =>
      new Sequelize(url, { logging: false, pool: { max: poolMax, min: 0, acquire: 60_000 } }),
  }];
}

/** Every database this run covers. */
export const DATABASES: readonly TestDatabase[] = [
  {
    name: 'sqlite',
    url: undefined,
    connect: ({ storage } = {}) =>
      new Sequelize({ dialect: 'sqlite', storage: storage ?? sqliteFile(), logging: false }),
  },
  ...network('postgres', process.env.PG_URL),
  ...network('mariadb', process.env.MARIADB_URL),
  ...network('mysql', process.env.MYSQL_URL),
];

/** The session `sql_mode` of {@link SQL_MODE_DATABASES}: quoting rules that change how client-escaped text reads. */
export const STRICT_SQL_MODE = 'NO_BACKSLASH_ESCAPES,ANSI_QUOTES,STRICT_TRANS_TABLES';

/**
 * The MySQL-protocol databases again (both drivers), each connection's
 * session set to {@link STRICT_SQL_MODE} in an `afterConnect` hook, as
 * applications do. Named `mariadb+sqlmode` and `mysql+sqlmode`.
 */
export const SQL_MODE_DATABASES: readonly TestDatabase[] = [
  ['mariadb', process.env.MARIADB_URL], ['mysql', process.env.MYSQL_URL],
].flatMap(([name, url]) => (url ? [{
  name: `${name}+sqlmode`,
  url,
  connect: ({ poolMax = 10 } = {}) =>
    new Sequelize(url, {
      logging: false,
      pool: { max: poolMax, min: 0, acquire: 60_000 },
      hooks: {
        afterConnect: async (connection: unknown) => {
          const sql = `SET SESSION sql_mode = '${STRICT_SQL_MODE}'`;
          const c = connection as { promise?: () => { query(s: string): Promise<unknown> }; query(s: string): Promise<unknown> };
          // mysql2 connections are callback-style (`promise()` wraps them); mariadb's return promises.
          await (typeof c.promise === 'function' ? c.promise().query(sql) : c.query(sql));
        },
      },
    }),
}] : []));

/** Databases with real row locks and concurrent writers (not SQLite). */
export const SERVER_DATABASES: readonly TestDatabase[] = DATABASES.filter((d) => d.name !== 'sqlite');

/** Names of the server databases this run skips (their URL is not set). */
export const SKIPPED: readonly string[] = [
  ['postgres', 'PG_URL'], ['mariadb', 'MARIADB_URL'], ['mysql', 'MYSQL_URL'],
].filter(([, env]) => !process.env[env as string]).map(([name, env]) => `${name} (${env} not set)`);

let counter = 0;
/** A table prefix no other test file or run uses. */
export function uniquePrefix(tag = 't'): string {
  counter += 1;
  return `${tag}${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}${counter}_`;
}

/** Drops PostgreSQL's progress counters of a prefix (table, triggers, functions), if any: dropping the batches table leaves them. */
export async function dropCounters(sequelize: Sequelize, prefix: string, schema?: string): Promise<void> {
  const counters = dialectFor(sequelize.getDialect())?.progressCounters;
  if (!counters) return;
  const q = (name: string): string => (schema ? `"${schema}".` : '') + `"${prefix}${name}"`;
  await sequelize.query(counters.drop({ batches: q('bulkimport_batches'), progress: q('bulkimport_progress'), prefix, ...(schema ? { schema } : {}) }))
    .catch(() => undefined);
}

/** A store on its own prefix, initialised; `drop()` removes its tables. */
export async function freshStore(
  db: TestDatabase,
  options: SequelizeStateStoreOptions & { poolMax?: number } = {},
): Promise<{ sequelize: Sequelize; store: SequelizeStateStore; prefix: string; drop(): Promise<void> }> {
  const sequelize = db.connect({ poolMax: options.poolMax });
  const prefix = options.tablePrefix ?? uniquePrefix();
  const store = new SequelizeStateStore(sequelize, { ...options, tablePrefix: prefix });
  await store.initialize();
  return {
    sequelize,
    store,
    prefix,
    async drop() {
      await store.close().catch(() => undefined);
      await dropCounters(sequelize, prefix, options.schema);
      for (const model of [store.models.Record, store.models.Batch, store.models.Job]) {
        await model.drop().catch(() => undefined);
      }
      await sequelize.close();
    },
  };
}
