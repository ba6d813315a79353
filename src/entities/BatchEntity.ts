import { Column, DataType, Model, Table } from 'sequelize-typescript';
import { Version } from './Version';

/** Default table name of {@link BatchEntity}. */
export const BATCHES_TABLE = 'bulkimport_batches';

/**
 * One batch of one job. In distributed mode this row is what workers claim:
 * `status`, `workerId` and `claimedAt` form the lease, `version` moves on every
 * state change.
 */
@Table({
  tableName: BATCHES_TABLE,
  underscored: true,
  timestamps: false,
  indexes: [
    // claimBatch: lowest-index PENDING batch of a job; also status counts.
    { name: 'bulkimport_batches_claim_idx', fields: ['job_id', 'status', 'batch_index'] },
  ],
})
export class BatchEntity extends Model {
  @Column({ type: DataType.STRING(255), primaryKey: true, allowNull: false })
  declare jobId: string;

  /** The engine's batch id (a UUID). */
  @Column({ type: DataType.STRING(255), primaryKey: true, allowNull: false })
  declare batchId: string;

  /**
   * 0-based batch index. `null` while the engine has reported the batch
   * through `updateBatchState` but not yet through `saveJobState`.
   */
  @Column({ type: DataType.INTEGER, allowNull: true })
  declare batchIndex: number | null;

  /** A `BatchStatus`. */
  @Column({ type: DataType.STRING(16), allowNull: false })
  declare status: string;

  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })
  declare processedCount: number;

  @Column({ type: DataType.INTEGER, allowNull: false, defaultValue: 0 })
  declare failedCount: number;

  /** The worker holding the batch (distributed mode). */
  @Column({ type: DataType.STRING(255), allowNull: true })
  declare workerId: string | null;

  /** When the worker holding the batch claimed it (epoch ms, database clock). */
  @Column({ type: DataType.BIGINT, allowNull: true })
  declare claimedAt: number | string | null;

  /**
   * When the holder last renewed its lease (epoch ms, database clock); `null`
   * until the first renewal. The lease's age runs from this, else from
   * `claimedAt` (migration 003).
   */
  @Column({ type: DataType.BIGINT, allowNull: true })
  declare renewedAt: number | string | null;

  /** When the batch became COMPLETED or FAILED (epoch ms, database clock); `null` before (migration 003). */
  @Column({ type: DataType.BIGINT, allowNull: true })
  declare finishedAt: number | string | null;

  @Column({ type: DataType.INTEGER, allowNull: true })
  declare recordStartIndex: number | null;

  @Column({ type: DataType.INTEGER, allowNull: true })
  declare recordEndIndex: number | null;

  /** Optimistic-locking version: moves on every state change. */
  @Version
  declare version: number;
}
