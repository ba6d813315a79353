/**
 * DDL text for the migrations, built by Sequelize's own query generator (the
 * one `Model.sync()` uses), so a migration emits the very statements
 * `initialize()` would for the same columns. Pure: nothing here touches a
 * connection, which is what lets {@link migrationDdl} print the DDL for a DBA
 * from a Sequelize instance that never connects.
 */
import type { ModelAttributeColumnOptions, Sequelize } from 'sequelize';
import { InvalidInputError } from '../errors';
import { dialectFor, type CounterLocation, type Dialect } from '../store/dialects';

/** Where the migrated tables live: the same options as the store's. */
export interface SchemaLocation {
  /** Prepended to every table and index name, as the store's `tablePrefix`. Default `''`. */
  readonly tablePrefix?: string;
  /** PostgreSQL schema (MySQL/MariaDB: database) holding the tables, as the store's `schema`. */
  readonly schema?: string;
}

/** One DDL statement of a migration, with what the runner needs to apply it idempotently. */
export interface DdlStatement {
  /** What the statement creates or drops. */
  readonly kind: 'schema' | 'table' | 'index' | 'drop-index' | 'column' | 'drop-column' | 'counters' | 'drop-counters';
  /** The SQL text, without a trailing semicolon. */
  readonly sql: string;
  /** Unprefixed table name (`bulkimport_jobs`), for `table` and `index` statements. */
  readonly table?: string;
  /** Full (prefixed) index name, for `index` statements. */
  readonly index?: string;
  /** Column name, for `column` and `drop-column` statements. */
  readonly column?: string;
  /** Column names a `table` statement creates: an existing table must have them all. */
  readonly columns?: readonly string[];
}

/** A column of a migration, keyed by its column name. */
export type ColumnSpec = Pick<ModelAttributeColumnOptions, 'type' | 'allowNull' | 'primaryKey' | 'defaultValue'>;

interface QueryGenerator {
  addColumnQuery(table: unknown, key: string, attribute: unknown): string;
  addSchema(param: { tableName: string; _schema?: string; _schemaDelimiter?: string }): unknown;
  attributesToSQL(attributes: Record<string, unknown>, options: Record<string, unknown>): Record<string, string>;
  createTableQuery(table: unknown, attributes: Record<string, string>, options: Record<string, unknown>): string;
  addIndexQuery(table: unknown, options: Record<string, unknown>, rawTablename?: unknown): string;
  removeIndexQuery(table: unknown, indexName: string): string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Checks a location as the store's constructor does. */
export function checkLocation(sequelize: Sequelize, location: SchemaLocation, operation: string): Required<Pick<SchemaLocation, 'tablePrefix'>> & SchemaLocation {
  const context = { operation };
  if (!sequelize || typeof (sequelize as { getDialect?: unknown }).getDialect !== 'function') {
    throw new InvalidInputError('the first argument must be a Sequelize instance', { ...context, field: 'sequelize' });
  }
  if (!dialectFor(sequelize.getDialect())) {
    throw new InvalidInputError(`dialect ${JSON.stringify(sequelize.getDialect())} is not supported`, { ...context, field: 'sequelize' });
  }
  const tablePrefix = location.tablePrefix ?? '';
  if (typeof tablePrefix !== 'string' || !/^[A-Za-z0-9_]*$/.test(tablePrefix) || tablePrefix.length > 30) {
    throw new InvalidInputError('tablePrefix must be at most 30 letters, digits or underscores', { ...context, field: 'tablePrefix' });
  }
  if (location.schema !== undefined) {
    if (typeof location.schema !== 'string' || !IDENTIFIER.test(location.schema)) {
      throw new InvalidInputError('schema must be an identifier of letters, digits and underscores', { ...context, field: 'schema' });
    }
    if (!(dialectFor(sequelize.getDialect()) as Dialect).supportsSchema(sequelize.getDialect())) {
      // Sequelize fakes SQLite's (and the mysql dialect's) schemas as a
      // `schema.table` name, which the store's statements do not address:
      // refuse rather than split the tables.
      const where = sequelize.getDialect() === 'sqlite' ? 'SQLite' : `the ${sequelize.getDialect()} dialect`;
      throw new InvalidInputError(`the schema option is not supported on ${where}; use tablePrefix`, { ...context, field: 'schema' });
    }
  }
  return { tablePrefix, schema: location.schema };
}

/** Builds the DDL statements of the migrations for one Sequelize dialect and one location. Pure. */
export class DdlBuilder {
  /** The store's dialect adapter (quoting, clock expression). */
  readonly dialect: Dialect;
  private readonly qg: QueryGenerator;
  /** Table options the store's `initialize()` also gives its tables (MySQL/MariaDB: exact-comparing collation). */
  private readonly tableOptions: Record<string, unknown>;

  /**
   * @param serverVersion - the server's `VERSION()`, which picks the collation
   *   on MySQL/MariaDB. Default: MariaDB for the `mariadb` dialect, MySQL 8
   *   for the `mysql` dialect.
   */
  constructor(
    readonly sequelize: Sequelize,
    readonly location: Required<Pick<SchemaLocation, 'tablePrefix'>> & SchemaLocation,
    serverVersion?: string,
  ) {
    this.dialect = dialectFor(sequelize.getDialect()) as Dialect;
    this.qg = (sequelize.getQueryInterface() as unknown as { queryGenerator: QueryGenerator }).queryGenerator;
    const version = serverVersion ?? (sequelize.getDialect() === 'mariadb' ? '10.11.0-MariaDB' : '8.0.0');
    this.tableOptions = { ...this.dialect.exactTextTableOptions?.(version) };
  }

  /** The prefixed table name. */
  tableName(table: string): string {
    return `${this.location.tablePrefix}${table}`;
  }

  /** The quoted, schema-qualified table name, as the store writes it. */
  qualified(table: string): string {
    const d = this.dialect;
    return (this.location.schema ? `${d.quote(this.location.schema)}.` : '') + d.quote(this.tableName(table));
  }

  /** The table reference Sequelize's generator expects. */
  private ref(table: string): unknown {
    const tableName = this.tableName(table);
    return this.location.schema ? this.qg.addSchema({ tableName, _schema: this.location.schema }) : tableName;
  }

  /** `CREATE SCHEMA IF NOT EXISTS` on PostgreSQL when a schema is set; nothing otherwise (as `initialize()`). */
  createSchema(): DdlStatement[] {
    if (!this.location.schema || this.sequelize.getDialect() !== 'postgres') return [];
    return [{ kind: 'schema', sql: `CREATE SCHEMA IF NOT EXISTS ${this.dialect.quote(this.location.schema)}` }];
  }

  /**
   * `CREATE TABLE IF NOT EXISTS`, exactly as `Model.sync()` emits it: the
   * columns are normalised and rendered by the dialect's query generator, and
   * the instance's `define` options (charset, collate, engine) apply as they do
   * to models, and on MySQL/MariaDB the exact-comparing collation the store's
   * `initialize()` uses.
   */
  createTable(table: string, columns: Readonly<Record<string, ColumnSpec>>): DdlStatement {
    const normalize = (this.sequelize as unknown as { normalizeAttribute(a: unknown): unknown }).normalizeAttribute.bind(this.sequelize);
    const attributes: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(columns)) attributes[name] = normalize({ ...spec, field: name });
    const ref = this.ref(table);
    const define = ((this.sequelize as unknown as { options?: { define?: Record<string, unknown> } }).options?.define ?? {});
    const options: Record<string, unknown> = {};
    for (const key of ['charset', 'collate', 'engine', 'rowFormat', 'comment'] as const) {
      if (define[key] !== undefined) options[key] = define[key];
    }
    Object.assign(options, this.tableOptions);
    const sql = this.qg.createTableQuery(ref, this.qg.attributesToSQL(attributes, { table: ref, context: 'createTable' }), options);
    return { kind: 'table', table, sql: trimSql(sql), columns: Object.keys(columns) };
  }

  /** `CREATE INDEX` (or the dialect's equivalent) named `<prefix><name>`. */
  createIndex(table: string, name: string, fields: readonly string[]): DdlStatement {
    const ref = this.ref(table);
    const index = `${this.location.tablePrefix}${name}`;
    return { kind: 'index', table, index, sql: trimSql(this.qg.addIndexQuery(ref, { name: index, fields: [...fields] }, ref)) };
  }

  /** `ALTER TABLE … ADD` one column, as the dialect's query generator writes it. */
  addColumn(table: string, column: string, spec: ColumnSpec): DdlStatement {
    const normalize = (this.sequelize as unknown as { normalizeAttribute(a: unknown): unknown }).normalizeAttribute.bind(this.sequelize);
    const sql = trimSql(this.qg.addColumnQuery(this.ref(table), column, normalize({ ...spec, field: column })));
    return { kind: 'column', table, column, sql };
  }

  /** `ALTER TABLE … DROP COLUMN` (SQLite 3.35+, PostgreSQL, MySQL, MariaDB). */
  dropColumn(table: string, column: string): DdlStatement {
    return { kind: 'drop-column', table, column, sql: `ALTER TABLE ${this.qualified(table)} DROP COLUMN ${this.dialect.quote(column)}` };
  }

  /** Where the store keeps its progress counters, on a dialect that keeps them. */
  counterLocation(): CounterLocation | undefined {
    if (!this.dialect.progressCounters) return undefined;
    const { tablePrefix, schema } = this.location;
    return {
      batches: this.qualified('bulkimport_batches'), progress: this.qualified('bulkimport_progress'), prefix: tablePrefix, ...(schema ? { schema } : {}),
    };
  }

  /**
   * The progress counters (`Dialect.progressCounters`: table, triggers and
   * the counts of the batches already stored), one idempotent statement;
   * nothing on a dialect that keeps none.
   */
  progressCounters(): DdlStatement[] {
    const at = this.counterLocation();
    const counters = this.dialect.progressCounters;
    return at && counters ? [{ kind: 'counters', table: 'bulkimport_batches', sql: counters.create(at) }] : [];
  }

  /** Drops what {@link progressCounters} made. */
  dropProgressCounters(): DdlStatement[] {
    const at = this.counterLocation();
    const counters = this.dialect.progressCounters;
    return at && counters ? [{ kind: 'drop-counters', table: 'bulkimport_batches', sql: counters.drop(at) }] : [];
  }

  /** `DROP INDEX` of an index made by {@link createIndex}. */
  dropIndex(table: string, name: string): DdlStatement {
    const index = `${this.location.tablePrefix}${name}`;
    let sql = trimSql(this.qg.removeIndexQuery(this.ref(table), index));
    // PostgreSQL's generator drops the index by bare name; qualify it so a schema is honoured.
    if (this.sequelize.getDialect() === 'postgres' && this.location.schema) {
      sql = `DROP INDEX IF EXISTS ${this.dialect.quote(this.location.schema)}.${this.dialect.quote(index)}`;
    }
    return { kind: 'drop-index', table, index, sql };
  }
}

function trimSql(sql: string): string {
  return sql.trim().replace(/;+$/, '');
}
