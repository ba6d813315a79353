import { Column, DataType, Model, Table } from 'sequelize-typescript';
import { Version } from './Version';

/** Default table name of {@link JobEntity}. */
export const JOBS_TABLE = 'bulkimport_jobs';

/**
 * One import job: its status, its engine configuration and its totals.
 *
 * Batches are not stored on this row: they live one per row in
 * {@link BatchEntity}, so that concurrent workers never rewrite a shared copy.
 */
@Table({
  tableName: JOBS_TABLE,
  underscored: true,
  timestamps: false,
  indexes: [
    // listJobs / purgeJobs: jobs by status and age (migration 002).
    { name: 'bulkimport_jobs_status_updated_idx', fields: ['status', 'updated_at'] },
  ],
})
export class JobEntity extends Model {
  /** Job id (the engine uses UUIDs; any string of 1–255 characters is accepted). */
  @Column({ type: DataType.STRING(255), primaryKey: true, allowNull: false })
  declare id: string;

  /** A `JobStatus`. */
  @Column({ type: DataType.STRING(16), allowNull: false })
  declare status: string;

  /** The `JobConfig`, schema included (functions stripped, RegExps encoded). */
  @Column({ type: DataType.JSON, allowNull: false })
  declare config: unknown;

  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })
  declare totalRecords: number;

  /** Epoch ms. */
  @Column({ type: DataType.BIGINT, allowNull: true })
  declare startedAt: number | string | null;

  /** Epoch ms. */
  @Column({ type: DataType.BIGINT, allowNull: true })
  declare completedAt: number | string | null;

  @Column({ type: DataType.BOOLEAN, allowNull: false, defaultValue: false })
  declare distributed: boolean;

  /** Epoch ms of the row's first save (database clock). */
  @Column({ type: DataType.BIGINT, allowNull: false })
  declare createdAt: number | string;

  /** Epoch ms of the row's last save (database clock). */
  @Column({ type: DataType.BIGINT, allowNull: false })
  declare updatedAt: number | string;

  /** Optimistic-locking version: moves on every change of the row. */
  @Version
  declare version: number;
}
