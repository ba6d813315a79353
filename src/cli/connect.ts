/**
 * Opening a store from a database URL, for the CLI and the demo.
 *
 * URLs: `postgres://` (or `postgresql://`), `mysql://`, `mariadb://`,
 * `sqlite:path/to/file.sqlite`, `sqlite:///absolute/path.sqlite` and
 * `sqlite::memory:` (tests; the CLI and the demo refuse it).
 */
import * as fs from 'fs';
import * as path from 'path';
import { QueryTypes, Sequelize, type Options } from 'sequelize';
import { JOBS_TABLE } from '../entities/JobEntity';
import { SequelizeStateStore } from '../store/SequelizeStateStore';
import { applySqliteBusyTimeout } from '../store/dialects/sqliteConnections';
import { createDatabaseHint, databaseName, isMissingDatabase } from './createDatabase';
import { CliError } from './errors';

export { createDatabase, createDatabaseHint, databaseName, isMissingDatabase, quoteIdentifier } from './createDatabase';

/** What a database URL names, before connecting. */
export interface DatabaseTarget {
  /** Sequelize dialect name. */
  readonly dialect: 'postgres' | 'mysql' | 'mariadb' | 'sqlite';
  /** SQLite only: the file, or `:memory:`. */
  readonly storage?: string;
  /** Network databases: the URL as given. */
  readonly url?: string;
}

const NETWORK: Record<string, DatabaseTarget['dialect']> = {
  'postgres:': 'postgres',
  'postgresql:': 'postgres',
  'mysql:': 'mysql',
  'mariadb:': 'mariadb',
};

/** The URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

/**
 * Parses a database URL. Pure.
 * @throws CliError (usage) for an empty, malformed or unsupported URL.
 */
export function parseDatabaseUrl(url: string | undefined): DatabaseTarget {
  if (url === undefined || url.trim() === '') {
    throw new CliError('no database given: pass --url or set DATABASE_URL', 2);
  }
  const text = url.trim();
  if (/^sqlite:/i.test(text)) {
    let rest = text.slice('sqlite:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2);
    if (rest === ':memory:' || rest === 'memory') return { dialect: 'sqlite', storage: ':memory:' };
    if (rest === '') throw new CliError(`bad database URL ${JSON.stringify(text)}: a SQLite URL needs a file, e.g. sqlite:.tmp/db.sqlite`, 2);
    return { dialect: 'sqlite', storage: decodeURIComponent(rest) };
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new CliError(`bad database URL ${JSON.stringify(redactUrl(text))}: expected postgres://, mysql://, mariadb:// or sqlite:`, 2);
  }
  const dialect = NETWORK[parsed.protocol.toLowerCase()];
  if (!dialect) {
    throw new CliError(`unsupported database URL scheme ${JSON.stringify(parsed.protocol)}: use postgres://, mysql://, mariadb:// or sqlite:`, 2);
  }
  if (!parsed.hostname) throw new CliError(`bad database URL ${JSON.stringify(redactUrl(text))}: no host`, 2);
  if (parsed.pathname.replace(/^\//, '') === '') {
    throw new CliError(`bad database URL ${JSON.stringify(redactUrl(text))}: no database name`, 2);
  }
  return { dialect, url: text };
}

/** Options of {@link openStore}. */
export interface OpenOptions {
  /** Table prefix of the store. */
  readonly tablePrefix?: string;
  /** PostgreSQL schema / MySQL database of the tables. */
  readonly schema?: string;
  /** Fail unless the store's tables exist (every command but `init`). */
  readonly requireTables?: boolean;
  /** SQLite: busy timeout of every connection, ms. Default 30,000. */
  readonly sqliteBusyTimeoutMs?: number;
  /** Connection pool size of network databases. Default 5. */
  readonly poolMax?: number;
}

/** An open store and how to close it. */
export interface OpenStore {
  readonly sequelize: Sequelize;
  readonly store: SequelizeStateStore;
  readonly target: DatabaseTarget;
  close(): Promise<void>;
}

/** A Sequelize instance for a target (not yet connected). */
export function createSequelize(target: DatabaseTarget, options: OpenOptions = {}): Sequelize {
  const common: Options = { logging: false };
  if (target.dialect === 'sqlite') {
    const sequelize = new Sequelize({ ...common, dialect: 'sqlite', storage: target.storage });
    applySqliteBusyTimeout(sequelize, options.sqliteBusyTimeoutMs ?? 30_000);
    return sequelize;
  }
  return new Sequelize(target.url as string, {
    ...common,
    dialect: target.dialect,
    pool: { max: options.poolMax ?? 5, min: 0, acquire: 30_000 },
  });
}

/** A driver error's message on one line. */
export function oneLine(error: unknown): string {
  const e = error as { message?: unknown; original?: { message?: unknown }; parent?: { message?: unknown } };
  const message = e?.original?.message ?? e?.parent?.message ?? e?.message ?? String(error);
  const text = String(message).replace(/\s+/g, ' ').trim();
  return text || (error as { name?: string })?.name || 'unknown error';
}

/**
 * Connects to the database a URL names and opens a store on it.
 * @throws CliError when the URL is bad, the database does not answer, or
 *   (with `requireTables`) the tables are missing.
 */
export async function openStore(url: string | undefined, options: OpenOptions = {}): Promise<OpenStore> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === 'sqlite' && options.requireTables && target.storage !== ':memory:') {
    if (!fs.existsSync(target.storage as string)) {
      throw new CliError(`no SQLite database at ${path.resolve(target.storage as string)} (run \`init\` first)`, 1);
    }
  }
  const sequelize = createSequelize(target, options);
  const close = async (): Promise<void> => {
    await sequelize.close().catch(() => undefined);
  };
  try {
    await sequelize.authenticate();
  } catch (error) {
    await close();
    throw connectError(target, error);
  }
  let store: SequelizeStateStore;
  try {
    store = new SequelizeStateStore(sequelize, {
      tablePrefix: options.tablePrefix,
      schema: options.schema,
      sqliteBusyTimeoutMs: options.sqliteBusyTimeoutMs ?? 30_000,
    });
  } catch (error) {
    await close();
    throw new CliError(oneLine(error), 2);
  }
  if (options.requireTables) {
    const qi = sequelize.getQueryInterface();
    const tableName = `${options.tablePrefix ?? ''}${JOBS_TABLE}`;
    let exists = false;
    try {
      exists = await qi.tableExists(options.schema ? { tableName, schema: options.schema } : tableName);
    } catch (error) {
      await close();
      throw new CliError(`cannot read the database: ${oneLine(error)}`, 1);
    }
    if (!exists) {
      let found: string[] | undefined;
      try {
        found = await findStatePrefixes(sequelize, target.dialect, options.schema);
      } catch {
        found = undefined;
      }
      await close();
      throw new CliError(missingTablesMessage(options.tablePrefix ?? '', found, target.dialect), 1);
    }
  }
  return { sequelize, store, target, close: async () => { await store.close().catch(() => undefined); await close(); } };
}

/**
 * The error to report when connecting failed: a missing database says how
 * to create it (`orElse`: another way, e.g. a flag that creates it).
 */
export function connectError(target: DatabaseTarget, error: unknown, orElse?: string): CliError {
  if (target.dialect !== 'sqlite' && isMissingDatabase(error)) {
    const where = new URL(target.url as string);
    return new CliError(`database ${JSON.stringify(databaseName(target))} does not exist on ${where.host}:`
      + ` ${createDatabaseHint(target)}${orElse ? `, or ${orElse}` : ''}`, 1);
  }
  const where = target.dialect === 'sqlite' ? target.storage : redactUrl(target.url as string);
  return new CliError(`cannot connect to ${where}: ${oneLine(error)}`, 1);
}

/** Suffix of the jobs table of every prefix. */
const JOBS_SUFFIX = JOBS_TABLE;

/**
 * The table prefixes of the stores in a database: the tables whose name ends
 * in `bulkimport_jobs` (PostgreSQL: in `schema`, else the current schema;
 * MySQL/MariaDB: in database `schema`, else the current one).
 */
export async function findStatePrefixes(sequelize: Sequelize, dialect: DatabaseTarget['dialect'], schema?: string): Promise<string[]> {
  const like = `%${JOBS_SUFFIX}`;
  let sql: string;
  if (dialect === 'sqlite') {
    sql = "SELECT name AS name FROM sqlite_master WHERE type = 'table' AND name LIKE :like";
  } else if (dialect === 'postgres') {
    sql = 'SELECT tablename AS name FROM pg_catalog.pg_tables'
      + ` WHERE schemaname = ${schema !== undefined ? ':schema' : 'current_schema()'} AND tablename LIKE :like`;
  } else {
    sql = 'SELECT table_name AS name FROM information_schema.tables'
      + ` WHERE table_schema = ${schema !== undefined ? ':schema' : 'DATABASE()'} AND table_name LIKE :like`;
  }
  const rows = await sequelize.query<{ name: unknown }>(sql, { type: QueryTypes.SELECT, replacements: { like, ...(schema !== undefined ? { schema } : {}) } });
  return rows
    .map((r) => String(r.name ?? (r as Record<string, unknown>).NAME))
    .filter((n) => n.endsWith(JOBS_SUFFIX))
    .map((n) => n.slice(0, n.length - JOBS_SUFFIX.length))
    .sort();
}

/** What to say when the tables of `prefix` are missing, given the prefixes found (undefined: could not look). */
export function missingTablesMessage(prefix: string, found: readonly string[] | undefined, dialect: DatabaseTarget['dialect']): string {
  const where = dialect === 'postgres' ? 'this schema' : 'this database';
  const head = `no state tables with prefix ${JSON.stringify(prefix)} in ${where}`;
  if (found === undefined) return `${head} (run \`init\` to create them)`;
  if (found.length === 0) {
    return `${head}, nor with any other prefix (no table ends in ${JOBS_SUFFIX}): run \`init\` to create them,`
      + ` or check --url${dialect === 'sqlite' ? '' : ' and --schema'}`;
  }
  const list = found.map((p) => (p === '' ? '"" (no --prefix)' : `"${p}" (--prefix ${p})`)).join(', ');
  return `${head}; found tables with ${found.length === 1 ? 'prefix' : 'prefixes'} ${list}; or run \`init\` to create tables with prefix ${JSON.stringify(prefix)}`;
}
