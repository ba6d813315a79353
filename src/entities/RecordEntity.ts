import { Column, DataType, Model, Table } from 'sequelize-typescript';

/** Default table name of {@link RecordEntity}. */
export const RECORDS_TABLE = 'bulkimport_records';

/**
 * One record of one job, keyed by `(jobId, recordIndex)`: saving a record
 * again replaces it.
 */
@Table({
  tableName: RECORDS_TABLE,
  underscored: true,
  timestamps: false,
  indexes: [
    // getFailedRecords / getPendingRecords / getProcessedRecords and progress counts.
    { name: 'bulkimport_records_status_idx', fields: ['job_id', 'status', 'record_index'] },
    // getBatchRecords.
    { name: 'bulkimport_records_batch_idx', fields: ['job_id', 'batch_id', 'record_index'] },
  ],
})
export class RecordEntity extends Model {
  @Column({ type: DataType.STRING(255), primaryKey: true, allowNull: false })
  declare jobId: string;

  /** 0-based position of the record in the source. */
  @Column({ type: DataType.INTEGER, primaryKey: true, allowNull: false })
  declare recordIndex: number;

  @Column({ type: DataType.STRING(255), allowNull: false })
  declare batchId: string;

  /** A `RecordStatus`. */
  @Column({ type: DataType.STRING(16), allowNull: false })
  declare status: string;

  @Column({ type: DataType.JSON, allowNull: false })
  declare raw: unknown;

  @Column({ type: DataType.JSON, allowNull: false })
  declare parsed: unknown;

  /** The record's `ValidationError[]`, warnings included. */
  @Column({ type: DataType.JSON, allowNull: false })
  declare errors: unknown;

  /**
   * The processing error message, stored as a JSON string so that any
   * JavaScript string (NUL characters included) round-trips on every dialect.
   */
  @Column({ type: DataType.JSON, allowNull: true })
  declare processingError: unknown;

  @Column({ type: DataType.INTEGER, allowNull: true })
  declare retryCount: number | null;
}
