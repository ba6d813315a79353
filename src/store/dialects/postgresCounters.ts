/**
 * PostgreSQL's progress counters: a table of per-job batch aggregates kept
 * by statement-level triggers on the batches table, so `getProgress` reads a
 * few dozen counter rows instead of aggregating every batch row of the job
 * (about 4 ms at 10,000 batches on the bench machine, against a 5 ms budget
 * for the whole call).
 *
 * The counters hold exactly what the aggregate over the batch rows would
 * return — per job, status and "never changed since saved" (`version` 0):
 * how many batches, their processed and failed counts and the records they
 * account for — because each trigger adds the difference its statement made,
 * in the statement's own transaction: a reader sees the counters and the
 * batch rows of the same commits. Rows are striped by batch index (16
 * stripes) so that workers finishing different batches of one job seldom
 * wait on the same counter row, and each statement updates its counter rows
 * in key order. A statement that changes no aggregate (a lease renewal)
 * writes nothing.
 */
import { quoteStandard } from './standard';
import type { CounterLocation, ProgressCounters } from './types';

/** Stripes per job: counter rows of one status per job. A power of two (the stripe is `batch_index & (STRIPES - 1)`). */
const STRIPES = 16;
const EVENTS = ['ins', 'upd', 'del', 'trunc'] as const;
type Event = (typeof EVENTS)[number];

/**
 * Records a batch row accounts for, as `batchRecords` in src/store/sql/progress.ts (the read side's
 * formula), in BIGINT: two INTEGER counts near their limit overflow INTEGER, and an error here
 * would fail the batch write itself.
 */
const SIZE = 'COALESCE(record_end_index::bigint - record_start_index + 1, processed_count::bigint + failed_count)';

function names(at: CounterLocation): { fn: (e: Event) => string; trigger: (e: Event) => string; progress: string; batches: string } {
  const schema = at.schema ? `${quoteStandard(at.schema)}.` : '';
  return {
    fn: (e) => `${schema}${quoteStandard(`${at.prefix}bulkimport_progress_${e}`)}`,
    trigger: (e) => quoteStandard(`${at.prefix}bulkimport_progress_${e}`),
    progress: at.progress,
    batches: at.batches,
  };
}

/** The rows of transition table `from` as counter deltas (`sign` '-' subtracts them). */
function deltas(from: string, sign: '' | '-'): string {
  return `SELECT job_id, (COALESCE(batch_index, 0) & ${STRIPES - 1}) AS stripe, status, CASE WHEN version = 0 THEN 1 ELSE 0 END AS fresh,`
    + ` ${sign}1 AS n, ${sign}processed_count::bigint AS processed, ${sign}failed_count::bigint AS failed, ${sign}${SIZE} AS size FROM ${from}`;
}

/** Adds the summed deltas of `source` to the counters, one row per key, in key order; keys whose sums are all zero are skipped. */
function addDeltas(progress: string, source: string): string {
  const sum = (c: string): string => `SUM(${c})::bigint`;
  return `INSERT INTO ${progress} AS p (job_id, stripe, status, fresh, n, processed, failed, size)`
    + ` SELECT job_id, stripe, status, fresh, ${['n', 'processed', 'failed', 'size'].map(sum).join(', ')} FROM (${source}) d`
    + ' GROUP BY job_id, stripe, status, fresh'
    + ' HAVING SUM(n) <> 0 OR SUM(processed) <> 0 OR SUM(failed) <> 0 OR SUM(size) <> 0'
    + ' ORDER BY job_id, stripe, status, fresh'
    + ' ON CONFLICT (job_id, stripe, status, fresh) DO UPDATE SET n = p.n + EXCLUDED.n, processed = p.processed + EXCLUDED.processed,'
    + ' failed = p.failed + EXCLUDED.failed, size = p.size + EXCLUDED.size';
}

function body(e: Event, progress: string): string {
  switch (e) {
    case 'ins':
      return `${addDeltas(progress, deltas('nt', ''))};`;
    case 'upd':
      return `${addDeltas(progress, `${deltas('nt', '')} UNION ALL ${deltas('ot', '-')}`)};`;
    case 'del':
      // A deleted job's counters go back to zero: drop those rows.
      return `${addDeltas(progress, deltas('ot', '-'))};`
        + ` DELETE FROM ${progress} p WHERE p.job_id IN (SELECT DISTINCT job_id FROM ot) AND p.n = 0 AND p.processed = 0 AND p.failed = 0 AND p.size = 0;`;
    case 'trunc':
      return `DELETE FROM ${progress};`;
  }
}

function createTrigger(e: Event, n: ReturnType<typeof names>): string {
  const when = { ins: 'INSERT', upd: 'UPDATE', del: 'DELETE', trunc: 'TRUNCATE' }[e];
  const referencing = { ins: ' REFERENCING NEW TABLE AS nt', upd: ' REFERENCING OLD TABLE AS ot NEW TABLE AS nt', del: ' REFERENCING OLD TABLE AS ot', trunc: '' }[e];
  return `CREATE TRIGGER ${n.trigger(e)} AFTER ${when} ON ${n.batches}${referencing} FOR EACH STATEMENT EXECUTE PROCEDURE ${n.fn(e)}()`;
}

/** Whether the table and every trigger exist (an SQL condition; the names are letters, digits and underscores). */
function presentCondition(at: CounterLocation): string {
  const triggers = EVENTS.map((e) => `'${at.prefix}bulkimport_progress_${e}'`).join(', ');
  return `to_regclass('${at.progress}') IS NOT NULL`
    + ` AND (SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = to_regclass('${at.batches}') AND tgname IN (${triggers})) = ${EVENTS.length}`;
}

/**
 * PostgreSQL's {@link ProgressCounters}. Creating and dropping are each one
 * `DO` block: one statement, so atomic without a client transaction, and the
 * same text in `migrationDdl()`'s script. Both lock the batches table first
 * (writes wait; reads do not), so no batch changes between the backfill and
 * the triggers that count the changes after it.
 */
export const postgresCounters: ProgressCounters = {
  present: (at) => `SELECT (${presentCondition(at)}) AS ${quoteStandard('ok')}`,

  create(at) {
    const n = names(at);
    return 'DO $do$ BEGIN'
      + ` LOCK TABLE ${n.batches} IN SHARE ROW EXCLUSIVE MODE;`
      // Made meanwhile by a concurrent caller, whose lock this one waited for.
      + ` IF ${presentCondition(at)} THEN RETURN; END IF;`
      + ` CREATE TABLE IF NOT EXISTS ${n.progress} (job_id VARCHAR(255) NOT NULL, stripe SMALLINT NOT NULL, status VARCHAR(16) NOT NULL,`
      + ' fresh SMALLINT NOT NULL, n BIGINT NOT NULL, processed BIGINT NOT NULL, failed BIGINT NOT NULL, size BIGINT NOT NULL,'
      + ' PRIMARY KEY (job_id, stripe, status, fresh));'
      + EVENTS.map((e) => ` CREATE OR REPLACE FUNCTION ${n.fn(e)}() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN ${body(e, n.progress)} RETURN NULL; END $fn$;`).join('')
      // The functions name the counters table as the store does (unqualified
      // without a schema option); pinned to the schema it was created in, a
      // writer whose session has another search_path still counts there.
      + EVENTS.map((e) => ` EXECUTE 'ALTER FUNCTION ${n.fn(e)}() SET search_path = ' || quote_ident(${at.schema ? `'${at.schema}'` : 'current_schema()'});`).join('')
      + EVENTS.map((e) => ` DROP TRIGGER IF EXISTS ${n.trigger(e)} ON ${n.batches}; ${createTrigger(e, n)};`).join('')
      // The counts of the batches already stored.
      + ` DELETE FROM ${n.progress}; ${addDeltas(n.progress, deltas(n.batches, ''))};`
      + ' END $do$';
  },

  drop(at) {
    const n = names(at);
    return 'DO $do$ BEGIN'
      + ` LOCK TABLE ${n.batches} IN SHARE ROW EXCLUSIVE MODE;`
      + EVENTS.map((e) => ` DROP TRIGGER IF EXISTS ${n.trigger(e)} ON ${n.batches};`).join('')
      + EVENTS.map((e) => ` DROP FUNCTION IF EXISTS ${n.fn(e)}();`).join('')
      + ` DROP TABLE IF EXISTS ${n.progress};`
      + ' END $do$';
  },
};
