/**
 * Versioned schema migrations for production: what `initialize()` does for
 * development, applied as numbered steps recorded in a migrations table
 * (`<tablePrefix>bulkimport_migrations`), run by umzug.
 *
 * ```ts
 * import { migrate, migrationDdl } from '@batchactions/state-sequelize';
 * await migrate(sequelize, { tablePrefix: 'app_' });         // at deploy time
 * console.log(migrationDdl(sequelize, { tablePrefix: 'app_' })); // or hand the SQL to a DBA
 * ```
 *
 * Every statement is applied idempotently (tables `IF NOT EXISTS`, indexes
 * only when missing), so a migration interrupted half-way can simply be run
 * again, and `migrate()` on tables that `initialize()` created adopts them
 * ("baseline"): their columns are checked, missing indexes are added, and the
 * version is recorded.
 *
 * @packageDocumentation
 */
import type { QueryInterface, Sequelize } from 'sequelize';
import { QueryTypes } from 'sequelize';
import type { MigrationMeta, Umzug, UmzugStorage } from 'umzug';
import { InvalidInputError, PersistenceError, StateStoreError } from '../errors';
import { m001Initial } from './001_initial';
import { m002JobsStatusUpdatedIdx } from './002_jobs_status_updated_idx';
import { m003BatchLeaseTimes } from './003_batch_lease_times';
import { dialectFor } from '../store/dialects';
import { checkLocation, DdlBuilder, type ColumnSpec, type DdlStatement, type SchemaLocation } from './ddl';
import type { SchemaMigration } from './types';
import { DataTypes } from 'sequelize';

export type { SchemaLocation, DdlStatement } from './ddl';
export type { SchemaMigration } from './types';

/** Unprefixed name of the table that records applied migrations. */
export const MIGRATIONS_TABLE = 'bulkimport_migrations';

/** Every migration the library ships, oldest first. */
export const SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [m001Initial, m002JobsStatusUpdatedIdx, m003BatchLeaseTimes];

/** Options of {@link migrate} and the other migration functions. */
export interface MigrationOptions extends SchemaLocation {
  /**
   * Apply migrations up to and including this one (by name). Default: all.
   */
  readonly to?: string;
  /** Receives one line per migration applied. Default: silent. */
  readonly log?: (message: string) => void;
}

const META_COLUMNS: Record<string, ColumnSpec> = {
  name: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
  applied_at: { type: DataTypes.BIGINT, allowNull: false },
};

/** The statements that create the migrations table (and the PostgreSQL schema). */
function metaDdl(b: DdlBuilder): DdlStatement[] {
  return [...b.createSchema(), b.createTable(MIGRATIONS_TABLE, META_COLUMNS)];
}

/** Where migrations are recorded: the `<prefix>bulkimport_migrations` table, by plain SQL. */
class MigrationsTable implements UmzugStorage {
  constructor(private readonly b: DdlBuilder) {}

  private get table(): string {
    return this.b.qualified(MIGRATIONS_TABLE);
  }

  async logMigration({ name }: { name: string }): Promise<void> {
    const q = this.b.dialect.quote;
    // A concurrent migrate() may have recorded it already: keep the first record.
    await this.b.sequelize.query(
      `${this.b.dialect.insertInto(this.table)} (${q('name')}, ${q('applied_at')}) VALUES ($1, ${this.b.dialect.nowMs})`
        + this.b.dialect.onConflictUpdate(this.table, ['name'], []),
      { bind: [name], type: QueryTypes.INSERT, transaction: null },
    );
  }

  async unlogMigration({ name }: { name: string }): Promise<void> {
    await this.b.sequelize.query(`DELETE FROM ${this.table} WHERE ${this.b.dialect.quote('name')} = $1`, {
      bind: [name], type: QueryTypes.DELETE, transaction: null,
    });
  }

  async executed(): Promise<string[]> {
    const rows = await this.b.sequelize.query<{ name: string }>(
      `SELECT ${this.b.dialect.quote('name')} AS ${this.b.dialect.quote('name')} FROM ${this.table} ORDER BY ${this.b.dialect.quote('name')}`,
      { type: QueryTypes.SELECT, transaction: null },
    );
    return rows.map((r) => r.name);
  }
}

/** Applies statements one by one, each idempotently. */
async function apply(b: DdlBuilder, statements: readonly DdlStatement[], operation: string): Promise<void> {
  const qi = b.sequelize.getQueryInterface();
  const schema = b.location.schema;
  for (const s of statements) {
    try {
      if (s.kind === 'index' || s.kind === 'drop-index') {
        const exists = await indexExists(qi, b, s.table as string, s.index as string);
        if (exists === (s.kind === 'index')) continue;
      }
      if (s.kind === 'column' || s.kind === 'drop-column') {
        const exists = await columnExists(qi, b, s.table as string, s.column as string);
        if (exists === (s.kind === 'column')) continue;
      }
      try {
        await b.sequelize.query(s.sql, { transaction: null });
      } catch (error) {
        // Another process migrating at the same time may have just made it
        // (concurrent CREATE … IF NOT EXISTS can still collide): fine if so.
        if (!(await reached(qi, b, s).catch(() => false))) throw error;
      }
      if (s.kind === 'table') {
        const described = await qi.describeTable(b.tableName(s.table as string), schema ? { schema } : undefined);
        const missing = (s.columns ?? []).filter((c) => !(c in described));
        if (missing.length > 0) {
          throw new PersistenceError(
            `table ${b.tableName(s.table as string)} exists but lacks column(s) ${missing.join(', ')}: it was not created by this library; migrate it by hand or use another tablePrefix`,
            { operation },
          );
        }
      }
    } catch (error) {
      if (error instanceof StateStoreError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new PersistenceError(`the database refused \`${s.sql}\`: ${message}`, { operation }, { cause: error });
    }
  }
}

/** Whether what `s` makes (or, for `drop-index`, removes) is already so. */
async function reached(qi: QueryInterface, b: DdlBuilder, s: DdlStatement): Promise<boolean> {
  switch (s.kind) {
    case 'schema': {
      const rows = await b.sequelize.query('SELECT 1 AS x FROM pg_namespace WHERE nspname = $1', {
        bind: [b.location.schema], type: QueryTypes.SELECT, transaction: null,
      });
      return rows.length > 0;
    }
    case 'table': {
      const tableName = b.tableName(s.table as string);
      return qi.tableExists((b.location.schema ? { tableName, schema: b.location.schema } : tableName) as string);
    }
    case 'index':
      return indexExists(qi, b, s.table as string, s.index as string);
    case 'column':
      return columnExists(qi, b, s.table as string, s.column as string);
    case 'drop-column':
      return !(await columnExists(qi, b, s.table as string, s.column as string));
    case 'drop-index':
      return !(await indexExists(qi, b, s.table as string, s.index as string));
  }
}

async function columnExists(qi: QueryInterface, b: DdlBuilder, table: string, column: string): Promise<boolean> {
  const schema = b.location.schema;
  const described = await qi.describeTable(b.tableName(table), schema ? { schema } : undefined);
  return column in described;
}

async function indexExists(qi: QueryInterface, b: DdlBuilder, table: string, index: string): Promise<boolean> {
  const ref = b.location.schema ? { tableName: b.tableName(table), schema: b.location.schema } : b.tableName(table);
  const indexes = (await qi.showIndex(ref as string)) as Array<{ name?: string }>;
  return indexes.some((i) => i.name === index);
}

function builder(sequelize: Sequelize, options: SchemaLocation, operation: string, serverVersion?: string): DdlBuilder {
  return new DdlBuilder(sequelize, checkLocation(sequelize, options, operation), serverVersion);
}

/** The server's `VERSION()` where the dialect's table options depend on it (MySQL/MariaDB). */
async function serverVersion(sequelize: Sequelize, operation: string): Promise<string | undefined> {
  if (!dialectFor(sequelize.getDialect())?.exactTextTableOptions) return undefined;
  try {
    const [row] = await sequelize.query<{ v: unknown }>('SELECT VERSION() AS v', { type: QueryTypes.SELECT, transaction: null });
    return String(row?.v ?? '');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PersistenceError(`cannot read the server version: ${message}`, { operation }, { cause: error });
  }
}

function checkTarget(to: string | undefined, operation: string): void {
  if (to !== undefined && !SCHEMA_MIGRATIONS.some((m) => m.name === to)) {
    throw new InvalidInputError(`no migration named ${JSON.stringify(to)}; known: ${SCHEMA_MIGRATIONS.map((m) => m.name).join(', ')}`, {
      operation, field: 'to',
    });
  }
}

/**
 * An umzug instance over the library's migrations for one Sequelize instance
 * and location, for what {@link migrate} does not cover (e.g. `down()`).
 * Creates the PostgreSQL schema and the migrations table if missing.
 */
export async function createMigrator(sequelize: Sequelize, options: MigrationOptions = {}): Promise<Umzug<DdlBuilder>> {
  const operation = 'createMigrator';
  checkLocation(sequelize, options, operation);
  const b = builder(sequelize, options, operation, await serverVersion(sequelize, operation));
  if (b.dialect.singleWriter) {
    // SQLite: wait for another connection's schema change instead of failing at once (as initialize() does).
    await sequelize.query('PRAGMA busy_timeout = 10000', { transaction: null });
  }
  await apply(b, metaDdl(b), operation);
  const { Umzug } = await import('umzug');
  const log = options.log;
  const line = (m: Record<string, unknown>): void => {
    if (log && typeof m.event === 'string' && typeof m.name === 'string') log(`${m.event} ${m.name}`);
  };
  return new Umzug<DdlBuilder>({
    migrations: SCHEMA_MIGRATIONS.map((m) => ({
      name: m.name,
      up: async () => apply(b, m.up(b), `migration ${m.name}`),
      down: async () => {
        if (!m.down) throw new InvalidInputError(`migration ${m.name} cannot be reverted`, { operation: `revert ${m.name}` });
        await apply(b, m.down(b), `revert ${m.name}`);
      },
    })),
    context: b,
    storage: new MigrationsTable(b),
    logger: { info: line, warn: line, error: line, debug: () => undefined },
  });
}

/**
 * Applies the pending migrations (all, or up to `options.to`), in order,
 * recording each in `<tablePrefix>bulkimport_migrations`.
 *
 * Safe on a database where `initialize()` already made the tables (the
 * tables are adopted: columns checked, missing indexes added) and after an
 * interrupted run (every statement is idempotent), and when several
 * processes run it at once (e.g. every instance of a service at start-up):
 * a statement another process just applied counts as applied, and each
 * migration is recorded once.
 *
 * @returns the names of the migrations applied by this call.
 * @throws PersistenceError when a statement fails or an existing table lacks columns.
 */
export async function migrate(sequelize: Sequelize, options: MigrationOptions = {}): Promise<string[]> {
  checkTarget(options.to, 'migrate');
  const umzug = await createMigrator(sequelize, options);
  try {
    const applied = await umzug.up(options.to ? { to: options.to } : {});
    return applied.map((m: MigrationMeta) => m.name);
  } catch (error) {
    throw unwrap(error, 'migrate');
  }
}

/** Umzug wraps a migration's error in its own `MigrationError`: hand back ours (or a PersistenceError). */
function unwrap(error: unknown, operation: string): StateStoreError {
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof StateStoreError) return cause;
  if (error instanceof StateStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PersistenceError(message, { operation }, { cause: error });
}

/** Names of the migrations not yet applied, oldest first. */
export async function pendingMigrations(sequelize: Sequelize, options: SchemaLocation = {}): Promise<string[]> {
  const umzug = await createMigrator(sequelize, options);
  return (await umzug.pending().catch((e: unknown) => Promise.reject(unwrap(e, 'pendingMigrations')))).map((m) => m.name);
}

/** Names of the migrations already applied, oldest first. */
export async function executedMigrations(sequelize: Sequelize, options: SchemaLocation = {}): Promise<string[]> {
  const umzug = await createMigrator(sequelize, options);
  return (await umzug.executed().catch((e: unknown) => Promise.reject(unwrap(e, 'executedMigrations')))).map((m) => m.name);
}

/** Options of {@link migrationDdl}. */
export interface MigrationDdlOptions extends SchemaLocation {
  /** Only migrations after this one (by name): what to run on a database at that version. Default: from the start. */
  readonly after?: string;
  /** Up to and including this migration. Default: the latest. */
  readonly to?: string;
  /**
   * MySQL/MariaDB: the server's `VERSION()` (e.g. `'10.11.6-MariaDB'`,
   * `'8.0.36'`), which picks the binary NO PAD collation the tables get.
   * Default: MariaDB for the `mariadb` dialect, MySQL 8 for `mysql`.
   */
  readonly serverVersion?: string;
}

/**
 * The DDL of the migrations as one SQL script, for a DBA to review or run by
 * hand: the migrations table, each migration's statements, and the `INSERT`
 * that records it (so a later {@link migrate} sees it applied). Pure: the
 * Sequelize instance only supplies the dialect and is never connected, so
 * `new Sequelize({ dialect: 'postgres' })` will do.
 *
 * Unlike {@link migrate}, the script cannot check what exists: its
 * `CREATE INDEX` statements fail on a database that already has them.
 */
export function migrationDdl(sequelize: Sequelize, options: MigrationDdlOptions = {}): string {
  const operation = 'migrationDdl';
  checkTarget(options.after, operation);
  checkTarget(options.to, operation);
  const b = builder(sequelize, options, operation, options.serverVersion);
  const start = options.after ? SCHEMA_MIGRATIONS.findIndex((m) => m.name === options.after) + 1 : 0;
  const end = options.to ? SCHEMA_MIGRATIONS.findIndex((m) => m.name === options.to) + 1 : SCHEMA_MIGRATIONS.length;
  const q = b.dialect.quote;
  const out: string[] = [
    `-- @batchactions/state-sequelize schema migrations (${sequelize.getDialect()}, prefix ${JSON.stringify(b.location.tablePrefix)}`
      + `${b.location.schema ? `, schema ${JSON.stringify(b.location.schema)}` : ''})`,
    ...metaDdl(b).map((s) => `${s.sql};`),
  ];
  const seenSchema = b.createSchema().length > 0;
  for (const m of SCHEMA_MIGRATIONS.slice(start, end)) {
    out.push('', `-- ${m.name}: ${m.description}`);
    for (const s of m.up(b)) {
      if (s.kind === 'schema' && seenSchema) continue;
      out.push(`${s.sql};`);
    }
    out.push(
      `INSERT INTO ${b.qualified(MIGRATIONS_TABLE)} (${q('name')}, ${q('applied_at')}) VALUES ('${m.name}', ${b.dialect.nowMs});`,
    );
  }
  return `${out.join('\n')}\n`;
}
