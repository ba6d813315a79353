import { LRUCache } from 'lru-cache';
import { Transaction, type Sequelize } from 'sequelize';
import type { Dialect } from './dialects';
import type { Driver, Want } from './dialects/drivers';
import { sqliteTurns, type TakeTurn } from './dialects/sqliteTurns';
import { logStatement } from './statementLog';

/** A transaction the executor runs statements in: the connection that holds it. */
export interface Tx {
  readonly connection: unknown;
}

interface ConnectionManager {
  getConnection(options?: Record<string, unknown>): Promise<unknown>;
  releaseConnection(connection: unknown): void | Promise<void>;
  destroyConnection?(connection: unknown): Promise<void>;
}

/**
 * No pooled connection became free within the pool's acquire timeout. The
 * store takes its own connections from the application's pool; the usual
 * cause is a store call made while the application holds every connection —
 * inside its own transaction with `pool.max: 1`, say — which waits for a
 * connection that only its caller can give back.
 */
export class PoolExhaustedError extends Error {
  constructor(sequelize: Sequelize, override readonly cause: unknown) {
    const pool = (sequelize as unknown as { options?: { pool?: { max?: unknown; acquire?: unknown } } }).options?.pool ?? {};
    super(`no connection of the Sequelize pool became free within its acquire timeout (pool.max = ${String(pool.max ?? 'default')},`
      + ` acquire = ${String(pool.acquire ?? 'default')} ms): every connection is in use. The store takes its own connections and never`
      + ' joins your transactions: a store call made inside a transaction that holds the last free connection waits for it;'
      + ' call the store outside the transaction, or raise pool.max');
    this.name = 'PoolExhaustedError';
  }
}

/** A statement with `$n` rewritten for the driver, and which bind value goes where. */
interface Compiled {
  readonly text: string;
  /** For positional drivers: the 0-based bind index of each `?`, in order. */
  readonly order: readonly number[] | undefined;
}

/**
 * Characters of statement text the compiled-statement cache keeps (about
 * 2 MB): multi-row statements differ by row count and a 500-record upsert is
 * ~40,000 characters, so a cache bounded by entries alone held tens of MB.
 */
export const COMPILED_CACHE_CHARS = 1_000_000;

/**
 * Runs the store's statements: on a connection taken from (and given back
 * to) the Sequelize instance's own pool, through the driver directly, with
 * the driver's native placeholders. What the store gives up by not going
 * through `sequelize.query()` it does here: Sequelize's `logging` option is
 * honoured, and `beforeQuery`/`afterQuery` hooks run (with a query object
 * carrying `connection`, `sql` and a `run(sql, params)` method) when any are
 * registered.
 *
 * Transactions: on PostgreSQL and MySQL/MariaDB `BEGIN`/`START TRANSACTION`
 * … `COMMIT` on one pooled connection (rolled back on any error; a
 * connection whose rollback fails is destroyed, not returned to the pool).
 * On SQLite, Sequelize's own `IMMEDIATE` transaction (it opens a connection
 * of its own per transaction); there every store statement and transaction
 * runs one at a time per database file in the process, whichever instance it
 * comes through (see `sqliteTurns`): a store write on the instance's shared
 * connection racing the store's own transaction on another connection would
 * wait out the busy timeout or, in `:memory:` (one connection for
 * everything), run inside that transaction and be rolled back with it.
 */
export class Executor {
  private readonly manager: ConnectionManager;
  /** SQLite: runs a statement or transaction in this database's turn. */
  private readonly serial: TakeTurn;
  private readonly compiled = new LRUCache<string, Compiled>({
    maxSize: COMPILED_CACHE_CHARS,
    sizeCalculation: (c, sql) => sql.length + (c.order ? c.text.length + c.order.length : 1),
  });

  constructor(
    private readonly sequelize: Sequelize,
    private readonly dialect: Dialect,
    private readonly driver: Driver,
    /** Retries `fn` after transient errors; SQLite transactions retry a busy database. */
    private readonly retryBusy: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {
    this.manager = (sequelize as unknown as { connectionManager: ConnectionManager }).connectionManager;
    this.serial = dialect.singleWriter ? sqliteTurns(sequelize) : (fn) => fn();
  }

  /** Rows of a SELECT (or `… RETURNING`). */
  async rows<T = Record<string, unknown>>(sql: string, bind: readonly unknown[], tx?: Tx): Promise<T[]> {
    return (await this.run(sql, bind, 'rows', tx)).rows as T[];
  }

  /** How many rows a write changed. */
  async count(sql: string, bind: readonly unknown[], tx?: Tx): Promise<number> {
    return (await this.run(sql, bind, 'count', tx)).count;
  }

  /** Runs a write whose result does not matter. */
  async exec(sql: string, bind: readonly unknown[], tx?: Tx): Promise<void> {
    await this.run(sql, bind, 'count', tx);
  }

  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.dialect.singleWriter) return this.sqliteTransaction(fn);
    const connection = await this.acquire();
    let result: T;
    try {
      await this.runOn(connection, this.dialect.beginTransaction, [], 'count');
      result = await fn({ connection });
      await this.runOn(connection, 'COMMIT', [], 'count');
    } catch (error) {
      if (this.driver.broken(connection, error)) {
        await this.destroy(connection);
        throw error;
      }
      try {
        await this.runOn(connection, 'ROLLBACK', [], 'count');
      } catch {
        // The connection is in an unknown state (killed, timed out): never reuse it.
        await this.destroy(connection);
        throw error;
      }
      await this.manager.releaseConnection(connection);
      throw error;
    }
    await this.manager.releaseConnection(connection);
    return result;
  }

  private run(sql: string, bind: readonly unknown[], want: Want, tx?: Tx): Promise<{ rows: Record<string, unknown>[]; count: number }> {
    if (tx) return this.runOn(tx.connection, sql, bind, want);
    if (this.dialect.singleWriter) return this.serial(() => this.runPooled(sql, bind, want));
    return this.runPooled(sql, bind, want);
  }

  private async runPooled(sql: string, bind: readonly unknown[], want: Want): Promise<{ rows: Record<string, unknown>[]; count: number }> {
    const connection = await this.acquire();
    let result;
    try {
      result = await this.runOn(connection, sql, bind, want);
    } catch (error) {
      await this.giveBack(connection, error);
      throw error;
    }
    await this.manager.releaseConnection(connection);
    return result;
  }

  /** Returns a connection to the pool after `error`, or destroys it if the error left it unusable. */
  private async giveBack(connection: unknown, error: unknown): Promise<void> {
    if (this.driver.broken(connection, error)) await this.destroy(connection);
    else await this.manager.releaseConnection(connection);
  }

  private async runOn(connection: unknown, sql: string, bind: readonly unknown[], want: Want): Promise<{ rows: Record<string, unknown>[]; count: number }> {
    const { text, order } = this.compile(sql);
    const params = order ? order.map((i) => bind[i] ?? null) : bind.map((v) => v ?? null);
    const logged = logStatement(this.sequelize, text, params, want === 'rows' ? 'SELECT' : 'RAW');
    if (!logged) return this.execute(connection, text, params, want);
    try {
      return await this.execute(connection, text, params, want);
    } finally {
      logged();
    }
  }

  /** Runs one statement, with the instance's `beforeQuery`/`afterQuery` hooks around it when it has any. */
  private async execute(connection: unknown, text: string, params: readonly unknown[], want: Want): Promise<{ rows: Record<string, unknown>[]; count: number }> {
    if (!this.sequelize.hasHook('beforeQuery') && !this.sequelize.hasHook('afterQuery')) {
      return this.driver.run(connection, text, params, want);
    }
    // Hooks see what Sequelize's own queries give them: (options, query), with
    // query.connection and a run(sql) that hooks may wrap.
    const driver = this.driver;
    const query = {
      sequelize: this.sequelize,
      connection,
      sql: text,
      options: { type: want === 'rows' ? 'SELECT' : 'RAW', bind: params },
      run(s: string, p: readonly unknown[]) {
        return driver.run(connection, s, p, want);
      },
    };
    const hooks = this.sequelize as unknown as { runHooks(name: string, ...args: unknown[]): Promise<void> };
    await hooks.runHooks('beforeQuery', query.options, query);
    try {
      return await query.run(text, params);
    } finally {
      await hooks.runHooks('afterQuery', query.options, query);
    }
  }

  /** `$n` → the driver's placeholders, once per distinct statement text. */
  private compile(sql: string): Compiled {
    let compiled = this.compiled.get(sql);
    if (!compiled) {
      compiled = this.driver.placeholders === 'numbered' ? { text: sql, order: undefined } : toPositional(sql);
      this.compiled.set(sql, compiled);
    }
    return compiled;
  }

  private async acquire(): Promise<unknown> {
    // A fresh options object each time: dialects write into it. The write
    // pool under read replication, so a read sees the store's own writes.
    try {
      return await this.manager.getConnection({ type: 'RAW', useMaster: true });
    } catch (error) {
      if ((error as { name?: unknown })?.name === 'SequelizeConnectionAcquireTimeoutError') throw new PoolExhaustedError(this.sequelize, error);
      throw error;
    }
  }

  private async destroy(connection: unknown): Promise<void> {
    try {
      if (this.manager.destroyConnection) await this.manager.destroyConnection(connection);
      else await this.manager.releaseConnection(connection);
    } catch {
      // Already gone.
    }
  }

  private sqliteTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.serial(() =>
      this.retryBusy(() =>
        this.sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, (t) =>
          fn({ connection: (t as unknown as { connection: unknown }).connection }))));
  }
}

/**
 * Rewrites `$1…$n` to `?` and records which bind value each `?` takes (a
 * parameter may appear more than once). Text inside quotes is left alone.
 */
export function toPositional(sql: string): Compiled {
  const order: number[] = [];
  let text = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === "'" || c === '"' || c === '`') {
      const end = closingQuote(sql, i);
      text += sql.slice(i, end);
      i = end;
    } else if (c === '$' && /[0-9]/.test(sql[i + 1] ?? '')) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j] as string)) j++;
      order.push(Number(sql.slice(i + 1, j)) - 1);
      text += '?';
      i = j;
    } else {
      text += c;
      i++;
    }
  }
  return { text, order };
}

/** Index just past the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closingQuote(sql: string, start: number): number {
  const quote = sql[start];
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}
