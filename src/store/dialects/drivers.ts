/**
 * How each driver under Sequelize runs one statement on one of Sequelize's own
 * pooled connections: `pg`, `mysql2`, `mariadb`, `sqlite3`. The store's hot
 * statements go straight to the driver (Sequelize's `query()` costs about as
 * much client CPU again as the driver itself; see bench/NOTES.md), on the
 * connection Sequelize configured, so type parsing and session settings are
 * the ones Sequelize set up.
 */

/** The driver's own error behind a Sequelize error (`original`/`parent`), or the error itself. */
export function driverError(error: unknown): { code?: unknown; errno?: unknown; message?: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { original?: unknown; parent?: unknown };
  return (e.original ?? e.parent ?? error) as { code?: unknown; errno?: unknown; message?: string };
}

/** What a statement returned: its rows (SELECT, RETURNING) and how many rows it changed or returned. */
export interface DriverResult {
  readonly rows: Record<string, unknown>[];
  readonly count: number;
}

/** What the caller wants back: rows, or only the number of rows changed. */
export type Want = 'rows' | 'count';

/** Runs statements on a raw connection of one driver. */
export interface Driver {
  /** `$n` kept (`numbered`: PostgreSQL) or rewritten to `?` in order (`positional`). */
  readonly placeholders: 'numbered' | 'positional';
  run(connection: unknown, sql: string, params: readonly unknown[], want: Want): Promise<DriverResult>;
  /**
   * Whether `error` (from `run` on `connection`) left the connection unusable
   * (socket reset, server gone, protocol state lost): it must be destroyed,
   * not given back to the pool.
   */
  broken(connection: unknown, error: unknown): boolean;
}

/** Socket-level error codes of Node.js: the connection is gone whatever the driver. */
const SOCKET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENOTCONN']);

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;

const socketError = (error: unknown): boolean => SOCKET_ERRORS.has(String(field(error, 'code')));

interface PgClient {
  query(text: string, values: readonly unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

interface OkPacket {
  affectedRows?: number;
}

interface MariadbConnection {
  query(sql: string, values: readonly unknown[]): Promise<Record<string, unknown>[] | OkPacket>;
}

type Mysql2Callback = (error: Error | null, result: Record<string, unknown>[] | OkPacket) => void;

interface Mysql2Connection {
  query(sql: string, values: readonly unknown[], callback: Mysql2Callback): unknown;
  execute(sql: string, values: readonly unknown[], callback: Mysql2Callback): unknown;
  unprepare(sql: string): unknown;
}

interface Sqlite3Database {
  all(sql: string, params: readonly unknown[], callback: (error: Error | null, rows: Record<string, unknown>[]) => void): unknown;
  run(sql: string, params: readonly unknown[], callback: (this: { changes: number }, error: Error | null) => void): unknown;
}

/** A driver's result: rows when it returned a result set, else the affected-row count. */
function fromResult(result: Record<string, unknown>[] | OkPacket): DriverResult {
  if (Array.isArray(result)) return { rows: result, count: result.length };
  return { rows: [], count: Number(result.affectedRows ?? 0) };
}

const pg: Driver = {
  placeholders: 'numbered',
  async run(connection, sql, params) {
    const result = await (connection as PgClient).query(sql, params);
    return { rows: result.rows ?? [], count: result.rowCount ?? 0 };
  },
  broken(connection, error) {
    // Server side: a FATAL error ends the session (57P01 terminated by an
    // administrator, 57P02 crash shutdown, class 08 connection exceptions).
    const code = String(field(error, 'code') ?? '');
    const severity = field(error, 'severity');
    const broken = socketError(error) || code.startsWith('57P') || code.startsWith('08') || severity === 'FATAL' || severity === 'PANIC'
      || /connection terminated|not queryable/i.test(String(field(error, 'message')))
      || field(connection, '_ending') === true || field(connection, '_queryable') === false;
    // What Sequelize's own pg query does: its pool validation then refuses the client too.
    if (broken && typeof connection === 'object' && connection !== null) (connection as { _invalid?: boolean })._invalid = true;
    return broken;
  },
};

const mariadb: Driver = {
  placeholders: 'positional',
  async run(connection, sql, params) {
    return fromResult(await (connection as MariadbConnection).query(sql, params));
  },
  broken(connection, error) {
    const isValid = field(connection, 'isValid');
    return socketError(error) || field(error, 'fatal') === true
      || (typeof isValid === 'function' && (isValid as () => boolean).call(connection) === false);
  },
};

/**
 * Prepared statements one mysql2 connection keeps open for the store (most
 * recently used); others are closed right after their one execution. Keeps
 * the store's share of the server-wide `max_prepared_stmt_count` (16,382 by
 * default) at this many per pooled connection, whatever the row counts of
 * multi-row statements.
 */
export const MYSQL2_KEPT_STATEMENTS = 64;
/** Statements with more parameters than this (multi-row writes) are never kept. */
const MYSQL2_KEPT_MAX_PARAMS = 64;

const mysql2Kept = new WeakMap<object, Map<string, true>>();

/** After an execution of `sql`: keep it prepared (LRU) or close it. */
function keepOrClose(connection: Mysql2Connection, sql: string, params: number): void {
  let kept = mysql2Kept.get(connection);
  if (!kept) mysql2Kept.set(connection, (kept = new Map()));
  if (kept.delete(sql)) {
    kept.set(sql, true);
    return;
  }
  if (params > MYSQL2_KEPT_MAX_PARAMS) {
    connection.unprepare(sql);
    return;
  }
  kept.set(sql, true);
  if (kept.size > MYSQL2_KEPT_STATEMENTS) {
    const oldest = kept.keys().next().value as string;
    kept.delete(oldest);
    connection.unprepare(oldest);
  }
}

// Values go to the server as prepared-statement parameters (`execute`), never
// spliced into the text: mysql2's `query` escapes them in the client with
// backslashes, which a session `sql_mode` of NO_BACKSLASH_ESCAPES reads
// differently (an injection, and JSON that no longer parses). Statements
// without values (BEGIN, COMMIT) go through `query`.
const mysql2: Driver = {
  placeholders: 'positional',
  run(connection, sql, params) {
    const c = connection as Mysql2Connection;
    return new Promise((resolve, reject) => {
      const done = (error: Error | null, result: Record<string, unknown>[] | OkPacket): void => {
        if (params.length > 0) keepOrClose(c, sql, params.length);
        if (error) reject(error);
        else resolve(fromResult(result));
      };
      if (params.length === 0) c.query(sql, [], done);
      else c.execute(sql, params, done);
    });
  },
  broken(connection, error) {
    return socketError(error) || field(error, 'fatal') === true || Boolean(field(connection, '_fatalError'))
      || field(field(connection, 'stream'), 'destroyed') === true;
  },
};

const sqlite3: Driver = {
  placeholders: 'positional',
  run(connection, sql, params, want) {
    const db = connection as Sqlite3Database;
    return new Promise((resolve, reject) => {
      if (want === 'rows') {
        db.all(sql, params, (error, rows) => (error ? reject(error) : resolve({ rows, count: rows.length })));
      } else {
        db.run(sql, params, function done(error) {
          if (error) reject(error);
          else resolve({ rows: [], count: this.changes });
        });
      }
    });
  },
  // One local connection Sequelize keeps open for the whole instance: never destroyed by the store.
  broken: () => false,
};

const DRIVERS: Readonly<Record<string, Driver>> = { postgres: pg, mariadb, mysql: mysql2, sqlite: sqlite3 };

/** The driver behind a Sequelize dialect name, or `undefined` if unsupported. */
export function driverFor(sequelizeDialect: string): Driver | undefined {
  return DRIVERS[sequelizeDialect];
}
