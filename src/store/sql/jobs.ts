/** Statements on the jobs table: `saveJobState`, `getJobState`, the job's head. */
import { JOB_COLUMNS } from './columns';
import { columnList, type SqlTarget } from './target';

/** Inserts or replaces a job row (`JOB_COLUMNS`, `$1…$7`); `created_at` is kept, `version` moves. */
export function upsertJob(t: SqlTarget): string {
  const d = t.dialect;
  const n = JOB_COLUMNS.length;
  return `${d.insertInto(t.tables.jobs)} (${columnList(t, JOB_COLUMNS)}, ${columnList(t, ['created_at', 'updated_at', 'version'])})`
    + ` VALUES (${Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')}, ${d.nowMs}, ${d.nowMs}, 0)`
    + d.onConflictUpdate(t.tables.jobs, ['id'], JOB_COLUMNS.slice(1), {
      updated_at: d.nowMs,
      version: `$old.${t.q('version')} + 1`,
    });
}

/**
 * `$1` job: its status, distributed flag, `version` and `created_at` (which
 * together tell whether the row is still the one a store last saved);
 * `locked`: the row stays locked until the transaction ends (a finalize
 * running meanwhile is waited for).
 */
export function selectJobHead(t: SqlTarget, locked: boolean): string {
  const q = t.q;
  return `SELECT ${q('status')} AS ${q('status')}, ${q('distributed')} AS ${q('distributed')},`
    + ` ${q('version')} AS ${q('version')}, ${q('created_at')} AS ${q('createdAt')} FROM ${t.tables.jobs} WHERE ${q('id')} = $1`
    + (locked ? t.dialect.forUpdate : '');
}

/** `$1` job: the whole row, `config` as JSON text. */
export function selectJob(t: SqlTarget): string {
  const q = t.q;
  return `SELECT ${q('id')} AS ${q('id')}, ${q('status')} AS ${q('status')}, ${t.dialect.jsonText(q('config'))} AS ${q('config')},`
    + ` ${q('total_records')} AS ${q('totalRecords')}, ${q('started_at')} AS ${q('startedAt')},`
    + ` ${q('completed_at')} AS ${q('completedAt')}, ${q('distributed')} AS ${q('distributed')},`
    + ` ${q('version')} AS ${q('version')}, ${q('created_at')} AS ${q('createdAt')}`
    + ` FROM ${t.tables.jobs} WHERE ${q('id')} = $1`;
}
