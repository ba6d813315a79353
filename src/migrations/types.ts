import type { DdlBuilder, DdlStatement } from './ddl';

/**
 * One versioned schema change. A migration is data: the DDL statements it
 * runs for a given dialect and location, so the same definition both applies
 * the change and prints it for a DBA.
 */
export interface SchemaMigration {
  /** Unique, sortable name, recorded in the migrations table once applied. */
  readonly name: string;
  /** One line saying what the migration does. */
  readonly description: string;
  /** The statements that apply the change. Each is applied idempotently. */
  up(builder: DdlBuilder): DdlStatement[];
  /** The statements that revert it, if it can be reverted. */
  down?(builder: DdlBuilder): DdlStatement[];
}
