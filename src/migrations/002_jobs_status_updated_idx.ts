import type { DdlBuilder, DdlStatement } from './ddl';
import type { SchemaMigration } from './types';

/**
 * `002_jobs_status_updated_idx`: an index on `bulkimport_jobs (status,
 * updated_at)`, for listing jobs by status and purging finished jobs older
 * than a cut-off without scanning the table.
 */
export const m002JobsStatusUpdatedIdx: SchemaMigration = {
  name: '002_jobs_status_updated_idx',
  description: 'index bulkimport_jobs (status, updated_at) for listing and purging jobs by status and age',
  up: (b: DdlBuilder): DdlStatement[] => [
    b.createIndex('bulkimport_jobs', 'bulkimport_jobs_status_updated_idx', ['status', 'updated_at']),
  ],
  down: (b: DdlBuilder): DdlStatement[] => [
    b.dropIndex('bulkimport_jobs', 'bulkimport_jobs_status_updated_idx'),
  ],
};
