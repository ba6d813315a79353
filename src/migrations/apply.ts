/**
 * Applying migration statements idempotently, and where applied migrations
 * are recorded (the `<prefix>bulkimport_migrations` table).
 */
import type { QueryInterface } from 'sequelize';
import { DataTypes, QueryTypes } from 'sequelize';
import type { UmzugStorage } from 'umzug';
import { PersistenceError, StateStoreError } from '../errors';
import type { ColumnSpec, DdlBuilder, DdlStatement } from './ddl';

/** Unprefixed name of the table that records applied migrations. */
export const MIGRATIONS_TABLE = 'bulkimport_migrations';

const META_COLUMNS: Record<string, ColumnSpec> = {
  name: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
  applied_at: { type: DataTypes.BIGINT, allowNull: false },
};

/** The statements that create the migrations table (and the PostgreSQL schema). */
export function metaDdl(b: DdlBuilder): DdlStatement[] {
  return [...b.createSchema(), b.createTable(MIGRATIONS_TABLE, META_COLUMNS)];
}

/** Where migrations are recorded: the `<prefix>bulkimport_migrations` table, by plain SQL. */
export class MigrationsTable implements UmzugStorage {
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
export async function apply(b: DdlBuilder, statements: readonly DdlStatement[], operation: string): Promise<void> {
  const qi = b.sequelize.getQueryInterface();
  const schema = b.location.schema;
  for (const s of statements) {
    try {
      if (s.kind === 'index' || s.kind === 'drop-index') {
        const exists = await indexExists(qi, b, s.table as string, s.index as string);
        if (exists === (s.kind === 'index')) continue;
      }
      if ((s.kind === 'counters' || s.kind === 'drop-counters') && (await countersExist(b)) === (s.kind === 'counters')) continue;
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

/** Whether the progress counters exist (see `Dialect.progressCounters`). */
async function countersExist(b: DdlBuilder): Promise<boolean> {
  const at = b.counterLocation();
  if (!at || !b.dialect.progressCounters) return false;
  const [row] = await b.sequelize.query<{ ok: unknown }>(b.dialect.progressCounters.present(at), { type: QueryTypes.SELECT, transaction: null });
  return row?.ok === true;
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
    case 'counters':
      return countersExist(b);
    case 'drop-counters':
      return !(await countersExist(b));
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

