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
import type { Sequelize } from 'sequelize';
import { QueryTypes } from 'sequelize';
import type { MigrationMeta, Umzug } from 'umzug';
import { InvalidInputError, PersistenceError, StateStoreError } from '../errors';
import { m001Initial } from './001_initial';
import { m002JobsStatusUpdatedIdx } from './002_jobs_status_updated_idx';
import { m003BatchLeaseTimes } from './003_batch_lease_times';
import { m004ProgressCounters } from './004_progress_counters';
import { dialectFor } from '../store/dialects';
import { apply, metaDdl, MIGRATIONS_TABLE, MigrationsTable } from './apply';
import { checkLocation, DdlBuilder, type SchemaLocation } from './ddl';
import type { SchemaMigration } from './types';

export type { SchemaLocation, DdlStatement, DdlBuilder, ColumnSpec } from './ddl';
export type { SchemaMigration } from './types';

export { MIGRATIONS_TABLE } from './apply';

/** Every migration the library ships, oldest first. */
export const SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [m001Initial, m002JobsStatusUpdatedIdx, m003BatchLeaseTimes, m004ProgressCounters];

/** Options of {@link migrate} and the other migration functions. */
export interface MigrationOptions extends SchemaLocation {
  /**
   * Apply migrations up to and including this one (by name). Default: all.
   */
  readonly to?: string;
  /** Receives one line per migration applied. Default: silent. */
  readonly log?: (message: string) => void;
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
