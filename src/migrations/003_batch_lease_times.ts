import { DataTypes } from 'sequelize';
import type { DdlBuilder, DdlStatement } from './ddl';
import type { SchemaMigration } from './types';

/**
 * `003_batch_lease_times`: two nullable columns on `bulkimport_batches`.
 * `renewed_at`: when the holder last renewed its lease, so `claimed_at` keeps
 * the time of the claim (a renewal used to overwrite it) and a lease's age
 * runs from the later of the two. `finished_at`: when the batch became
 * COMPLETED or FAILED (throughput over time, the dashboard's chart).
 */
export const m003BatchLeaseTimes: SchemaMigration = {
  name: '003_batch_lease_times',
  description: 'columns bulkimport_batches.renewed_at and finished_at (lease renewals, batch finish times)',
  up: (b: DdlBuilder): DdlStatement[] => [
    b.addColumn('bulkimport_batches', 'renewed_at', { type: DataTypes.BIGINT, allowNull: true }),
    b.addColumn('bulkimport_batches', 'finished_at', { type: DataTypes.BIGINT, allowNull: true }),
  ],
  down: (b: DdlBuilder): DdlStatement[] => [
    b.dropColumn('bulkimport_batches', 'finished_at'),
    b.dropColumn('bulkimport_batches', 'renewed_at'),
  ],
};
