/**
 * What every module of the store shares: the dialect, the statements, the
 * executor that runs them, the retry policy and the translation of driver
 * errors into the library's errors. One per store.
 */
import type { Sequelize } from 'sequelize';
import { PersistenceError, StateStoreError, type ErrorContext } from '../errors';
import type { Dialect, Tables } from './dialects';
import { causeOf } from './dialects/driverErrors';
import { PoolExhaustedError, type Executor, type Tx } from './Executor';
import { ReadJobs, WrittenJobs } from './jobCache';
import type { StoreSettings } from './options';
import type { RecordBuffer } from './RecordBuffer';
import type { Builder, Statements } from './sql';

/** Upper bound on rows per multi-row statement, whatever the dialect's parameter limit. */
const MAX_ROWS_PER_STATEMENT = 1000;

/** The store's shared internals, handed to each module. */
export class StoreContext {
  /** Write-behind buffer of `saveProcessedRecord`, when on; set once by the store. */
  buffer: RecordBuffer | undefined;
  /** The batch rows this store last wrote per job (see `jobCache.ts`). */
  readonly written = new WrittenJobs();
  /** The batches `getJobState` last read per job (see `jobCache.ts`). */
  readonly read: ReadJobs;
  /** Whether the database's progress counters exist, once checked (see `counters.ts`). */
  countersReady: Promise<boolean> | undefined;
  /** When the counters were last found missing (`Date.now()`); `undefined` while they are not known to be. */
  countersMissingSince: number | undefined;

  constructor(
    readonly sequelize: Sequelize,
    readonly dialect: Dialect,
    readonly tables: Tables,
    readonly settings: StoreSettings,
    readonly statements: Statements,
    readonly db: Executor,
  ) {
    this.read = new ReadJobs(settings.jobStateCacheMs);
  }

  /** The text of a statement (built once, see {@link Statements}). */
  sql<A extends (number | boolean | string)[]>(build: Builder<A>, ...args: A): string {
    return this.statements.get(build, ...args);
  }

  /** Rows of a SELECT (or `… RETURNING`). */
  select<T = Record<string, unknown>>(sql: string, bind: unknown[], tx?: Tx): Promise<T[]> {
    return this.db.rows<T>(sql, bind, tx);
  }

  /** How many rows a write changed. */
  count(sql: string, bind: unknown[], tx?: Tx): Promise<number> {
    return this.db.count(sql, bind, tx);
  }

  /** Runs a write whose row count does not matter. */
  exec(sql: string, bind: unknown[], tx?: Tx): Promise<void> {
    return this.db.exec(sql, bind, tx);
  }

  /**
   * Runs `fn` in a transaction: committed if it resolves, rolled back if it
   * throws. No isolation level is set: it would be per session on MySQL and
   * leak into the application's later use of the pooled connection; row locks
   * (`FOR UPDATE`) read the latest committed rows anyway.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(fn);
  }

  /** Most rows of `columns` bind parameters one statement may carry. */
  rowsPerStatement(columns: number): number {
    return Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(this.dialect.maxBindParams / columns)));
  }

  /** Writes buffered records (write-behind) before an operation that must see them. */
  async flush(jobId?: string): Promise<void> {
    if (this.buffer) await this.buffer.flush(jobId);
  }

  /**
   * Retries `fn` after transient errors (deadlock, serialization failure,
   * lock timeout, busy database) with jittered exponential backoff. Only for
   * operations that are safe to repeat. `busyOnly`: only SQLite's busy errors.
   */
  async retrying<T>(fn: () => Promise<T>, busyOnly = false): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const transient = this.dialect.isTransient(error) && (!busyOnly || this.dialect.singleWriter);
        if (!transient || attempt >= this.settings.transientRetries) throw error;
        const delay = Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random());
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Runs `fn`, turning a driver error into a {@link PersistenceError} that
   * names the operation, job, batch and record. A driver's error is kept as
   * a `DriverError` (codes and message, without the statement or its
   * values), so an error the store raises never carries record data.
   */
  async guard<T>(context: ErrorContext, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StateStoreError) throw error;
      if (error instanceof PoolExhaustedError) throw new PersistenceError(error.message, context, { cause: error });
      const cause = causeOf(error);
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new PersistenceError(`the database refused the operation: ${message}`, context, { cause });
    }
  }
}
