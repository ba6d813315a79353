import { DataTypes } from 'sequelize';
import type { ColumnSpec, DdlBuilder, DdlStatement } from './ddl';
import type { SchemaMigration } from './types';

/**
 * The first schema version: the three tables, their primary keys and indexes,
 * as the entities defined them when this migration was written. Frozen: later
 * schema changes are new migrations, never edits to this one (a test compares
 * this migration's result with what `initialize()` creates from the entities).
 */
const JOBS: Record<string, ColumnSpec> = {
  id: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
  status: { type: DataTypes.STRING(16), allowNull: false },
  config: { type: DataTypes.JSON, allowNull: false },
  total_records: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  started_at: { type: DataTypes.BIGINT, allowNull: true },
  completed_at: { type: DataTypes.BIGINT, allowNull: true },
  distributed: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
  created_at: { type: DataTypes.BIGINT, allowNull: false },
  updated_at: { type: DataTypes.BIGINT, allowNull: false },
  version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
};

const BATCHES: Record<string, ColumnSpec> = {
  job_id: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
  batch_id: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
  batch_index: { type: DataTypes.INTEGER, allowNull: true },
  status: { type: DataTypes.STRING(16), allowNull: false },
  processed_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  failed_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  worker_id: { type: DataTypes.STRING(255), allowNull: true },
  claimed_at: { type: DataTypes.BIGINT, allowNull: true },
  record_start_index: { type: DataTypes.INTEGER, allowNull: true },
  record_end_index: { type: DataTypes.INTEGER, allowNull: true },
  version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
};

const RECORDS: Record<string, ColumnSpec> = {
  job_id: { type: DataTypes.STRING(255), primaryKey: true, allowNull: false },
  record_index: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
  batch_id: { type: DataTypes.STRING(255), allowNull: false },
  status: { type: DataTypes.STRING(16), allowNull: false },
  raw: { type: DataTypes.JSON, allowNull: false },
  parsed: { type: DataTypes.JSON, allowNull: false },
  errors: { type: DataTypes.JSON, allowNull: false },
  processing_error: { type: DataTypes.JSON, allowNull: true },
  retry_count: { type: DataTypes.INTEGER, allowNull: true },
};

/** `001_initial`: schema (PostgreSQL), jobs, batches, records and their indexes. */
export const m001Initial: SchemaMigration = {
  name: '001_initial',
  description: 'jobs, batches and records tables with their primary keys and indexes',
  up: (b: DdlBuilder): DdlStatement[] => [
    ...b.createSchema(),
    b.createTable('bulkimport_jobs', JOBS),
    b.createTable('bulkimport_batches', BATCHES),
    b.createIndex('bulkimport_batches', 'bulkimport_batches_claim_idx', ['job_id', 'status', 'batch_index']),
    b.createTable('bulkimport_records', RECORDS),
    b.createIndex('bulkimport_records', 'bulkimport_records_status_idx', ['job_id', 'status', 'record_index']),
    b.createIndex('bulkimport_records', 'bulkimport_records_batch_idx', ['job_id', 'batch_id', 'record_index']),
  ],
};
