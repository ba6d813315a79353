import type { DdlBuilder, DdlStatement } from './ddl';
import type { SchemaMigration } from './types';

/**
 * `004_progress_counters`: on PostgreSQL, table `bulkimport_progress` and the
 * statement triggers on `bulkimport_batches` that keep it (per-job batch
 * counts and sums, read by `getProgress` and `listJobs` instead of every
 * batch row), filled from the batches already stored. Runs in one
 * transaction that blocks writes to the batches table while it runs
 * (a full scan of it, for the backfill). Nothing on other dialects.
 */
export const m004ProgressCounters: SchemaMigration = {
  name: '004_progress_counters',
  description: 'PostgreSQL: table bulkimport_progress kept by triggers on bulkimport_batches (getProgress without aggregating every batch row)',
  up: (b: DdlBuilder): DdlStatement[] => b.progressCounters(),
  down: (b: DdlBuilder): DdlStatement[] => b.dropProgressCounters(),
};
