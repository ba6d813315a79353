/**
 * What differs between databases, in one small adapter per dialect. The store
 * reads capability flags and calls these builders; it never branches on a
 * dialect's name.
 *
 * Every builder is a pure function of table names (already quoted and
 * qualified) and returns SQL with `$1…$n` bind parameters, which Sequelize
 * passes to the driver as parameters (never spliced into the text).
 */

/** Quoted, schema-qualified table names of one store. */
export interface Tables {
  readonly jobs: string;
  readonly batches: string;
  readonly records: string;
  /** The progress counters table, where the dialect keeps counters (`progressCounters`). */
  readonly progress?: string;
}

/** Where a store's progress counters live: its batches table, the counters table, and what names their other objects. */
export interface CounterLocation {
  /** Quoted, qualified batches table. */
  readonly batches: string;
  /** Quoted, qualified counters table (`<prefix>bulkimport_progress`). */
  readonly progress: string;
  /** The store's table prefix (letters, digits, underscores). */
  readonly prefix: string;
  /** The store's schema, unquoted, if any. */
  readonly schema?: string;
}

/**
 * Per-job batch aggregates kept by the database (triggers on the batches
 * table), which progress reads instead of aggregating batch rows.
 */
export interface ProgressCounters {
  /** A query whose one row's `ok` column is true when the counters table and every trigger exist. */
  present(at: CounterLocation): string;
  /**
   * One statement that creates the table, functions and triggers and fills
   * the table from the batch rows, atomically, unless they all exist.
   * Idempotent; concurrent callers wait for each other.
   */
  create(at: CounterLocation): string;
  /** One statement that drops the triggers, functions and table. Idempotent. */
  drop(at: CounterLocation): string;
}

/** A dialect's capabilities and syntax. */
export interface Dialect {
  /** Sequelize dialect names this adapter serves. */
  readonly names: readonly string[];

  /** `UPDATE … RETURNING` works: a claim is one statement. */
  readonly updateReturning: boolean;
  /** Row locks are taken and `FOR UPDATE SKIP LOCKED` is honoured. */
  readonly rowLocks: boolean;
  /**
   * A statement that waited for a row lock re-checks only that row's own
   * condition; its subqueries over other rows keep the statement's first
   * snapshot (PostgreSQL, READ COMMITTED). A write whose condition reads other
   * rows (finalization: "every batch is terminal") must then lock the row
   * first and check in a new statement, or it may act on rows it never saw.
   */
  readonly lockBeforeCheck: boolean;
  /**
   * Unquoted identifiers are folded to lower case (PostgreSQL): with
   * Sequelize's `quoteIdentifiers: false`, tables it creates for an
   * upper-case prefix get lower-case names, which the store's quoted
   * statements would not find.
   */
  readonly foldsUnquoted: boolean;
  /**
   * Whether Sequelize's dialect `sequelizeDialect` puts a model's `schema` in
   * a real schema (PostgreSQL) or database (the `mariadb` dialect). SQLite and
   * the `mysql` dialect fake it as one table named `schema.table` in the
   * current database, which the store's qualified statements would not find.
   */
  supportsSchema(sequelizeDialect: string): boolean;
  /** One writer at a time for the whole database (SQLite): transactions start `IMMEDIATE`. */
  readonly singleWriter: boolean;
  /** Most bind parameters one statement may carry. */
  readonly maxBindParams: number;
  /**
   * A query returning the largest statement the server accepts, in bytes, as
   * column `n` (MySQL/MariaDB `max_allowed_packet`); absent where statements
   * have no practical size limit.
   */
  readonly maxStatementBytesQuery?: string;
  /**
   * Table options (`charset`, `collate`) that make text columns compare
   * exactly — case, accents and trailing spaces — given the server's
   * `VERSION()`; absent where text already compares exactly.
   */
  exactTextTableOptions?(serverVersion: string): { charset: string; collate: string };

  /**
   * The statement that creates a schema if it is missing (PostgreSQL);
   * absent where the store does not create the `schema` option's namespace
   * (MySQL/MariaDB: a database the user creates; SQLite: no schemas).
   */
  createSchema?(name: string): string;
  /**
   * Progress counters the database keeps (PostgreSQL); absent where progress
   * aggregates the batch rows on every read.
   */
  readonly progressCounters?: ProgressCounters;
  /** The statement that opens a transaction on a raw connection. */
  readonly beginTransaction: string;
  /** The clause that locks the rows a SELECT reads until the transaction ends (`''` where there are no row locks). */
  readonly forUpdate: string;
  /** The row-lock clause that skips rows other transactions hold (`''` where there are no row locks). */
  readonly skipLocked: string;
  /** `INSERT INTO table`, aliased `cur` where the dialect lets `onConflictUpdate` refer to the old row that way. */
  insertInto(table: string): string;

  /** Quotes an identifier. */
  quote(identifier: string): string;
  /** An SQL expression for the database clock, in epoch milliseconds (an integer). */
  readonly nowMs: string;
  /**
   * A bind parameter read as text where the statement also assigns it to a
   * column (PostgreSQL deduces one type per parameter from all its uses).
   */
  textParam(param: string): string;
  /**
   * `FROM table WHERE where AND column IN (subquery)`, written so that the
   * subquery runs first and the table's rows are found through an index on
   * `column` — not a semi-join over every row `where` selects. `subquery`
   * returns one column, named `column`; `where` names only `table`'s columns.
   */
  fromWhereIn(table: string, where: string, column: string, subquery: string): string;
  /** An SQL expression reading a JSON column as text, whatever the driver would decode. */
  jsonText(column: string): string;

  /**
   * Completes `INSERT INTO t (cols) VALUES …` so that a row whose `keys`
   * already exist gets `update` columns from the new row instead (the new
   * value, or an SQL expression given as `{ col: sql }` in which `$old.col`
   * is the existing row's value and `$new.col` the value the insert brought).
   * An empty `update` list makes the insert a no-op for existing rows.
   */
  onConflictUpdate(table: string, keys: readonly string[], update: readonly string[], raw?: Readonly<Record<string, string>>): string;

  /**
   * Whether an error from the driver is transient for idempotent operations:
   * deadlock, serialization failure, lock wait timeout, database busy.
   */
  isTransient(error: unknown): boolean;
}
