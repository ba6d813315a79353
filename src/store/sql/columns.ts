/**
 * Column names, derived from the entities' attribute names: the entities use
 * `underscored: true`, so `recordIndex` is stored as `record_index`. A unit
 * test checks every derived name against the column Sequelize itself gives
 * the attribute, so the statements and the tables cannot drift apart.
 */
import { BATCH_WRITE_KEYS } from '../../mappers/BatchMapper';
import { JOB_WRITE_KEYS } from '../../mappers/JobMapper';
import { RECORD_WRITE_KEYS } from '../../mappers/RecordMapper';

/** The column of an attribute of an underscored entity (`recordIndex` → `record_index`). */
export function columnOf(attribute: string): string {
  return attribute.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Record columns a record write sets, in `RECORD_WRITE_KEYS` order. */
export const RECORD_COLUMNS: readonly string[] = RECORD_WRITE_KEYS.map(columnOf);
/** Batch columns `saveJobState` writes, in `BATCH_WRITE_KEYS` order. */
export const BATCH_COLUMNS: readonly string[] = BATCH_WRITE_KEYS.map(columnOf);
/** Job columns `saveJobState` writes, in `JOB_WRITE_KEYS` order. */
export const JOB_COLUMNS: readonly string[] = JOB_WRITE_KEYS.map(columnOf);
