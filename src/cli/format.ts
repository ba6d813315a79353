/**
 * Pure formatting for the CLI (parsing is in parse.ts, re-exported here): no
 * I/O, so every output the CLI prints can be unit-tested from plain values.
 */
import type { BatchStatus, JobProgress, JobState, JobStatus } from '../ports';
import type { BatchDetail, JobSummary } from '../store/SequelizeStateStore';

/** Job statuses after which nothing more happens. */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['COMPLETED', 'ABORTED', 'FAILED'];

export { JOB_STATUS_LIST, parseDuration, parseInteger, parseStatuses } from './parse';

/** `850ms`, `12.3s`, `4m 05s`, `2h 03m`, `3d 04h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const neg = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${neg}${Math.round(a)}ms`;
  if (a < 60_000) return `${neg}${(a / 1000).toFixed(1)}s`;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const s = Math.floor(a / 1000);
  const two = (big: number, bigUnit: string, small: number, smallUnit: string): string =>
    `${neg}${big}${bigUnit}${small > 0 ? ` ${pad(small)}${smallUnit}` : ''}`;
  if (s < 3600) return two(Math.floor(s / 60), 'm', s % 60, 's');
  if (s < 86_400) return two(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'm');
  return two(Math.floor(s / 86_400), 'd', Math.floor((s % 86_400) / 3600), 'h');
}

/** An epoch-ms time as `2026-11-29 01:45:46Z`; `-` when unknown. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/**
 * Batch counts by status, lower-case keys, `total` the number of batch rows:
 * the `batches` of `store.listJobs()`, and of every JSON document the CLI prints.
 */
export type BatchCounts = JobSummary['batches'];

/** Batch counts of a job's batches (from `store.listBatches` or `getJobState`), in the shape `listJobs` gives. */
export function countBatches(batches: readonly { readonly status: BatchStatus }[]): BatchCounts {
  const counts = { total: 0, pending: 0, processing: 0, paused: 0, completed: 0, failed: 0 };
  for (const b of batches) {
    counts.total += 1;
    const key = b.status.toLowerCase() as Exclude<keyof typeof counts, 'total'>;
    if (key in counts) counts[key] += 1;
  }
  return counts;
}

/**
 * A job's progress in words, the same in `list`, `show` and `watch`: every
 * figure is the store's (`getProgress`, or `listJobs`'s `progress`, which is
 * computed the same way), none is recomputed here.
 *
 *   `100% of 2 records: 1 processed, 1 failed, 0 pending; batches 0/1 completed, 1 failed`
 */
export function progressFigures(p: JobProgress, batches: BatchCounts): string {
  return `${p.percentage}% of ${p.totalRecords} records: ${p.processedRecords} processed, ${p.failedRecords} failed,`
    + ` ${p.pendingRecords} pending; batches ${batchFigures(p, batches)}`;
}

/** `3/4 completed`, `0/1 completed, 1 failed`: completed batches are the store's `currentBatch`. */
export function batchFigures(p: JobProgress, batches: BatchCounts): string {
  return `${p.currentBatch}/${p.totalBatches} completed${batches.failed > 0 ? `, ${batches.failed} failed` : ''}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * The `list` table: one job per line. RECORDS, DONE and FAILED are the
 * store's progress figures (records), BATCHES the completed batches of all
 * (and how many FAILED), ACTIVE the batches PROCESSING.
 */
export function formatJobList(jobs: readonly JobSummary[], now: number): string {
  if (jobs.length === 0) return 'No jobs.';
  const rows = jobs.map((j) => [
    j.id,
    j.status,
    j.distributed ? 'distributed' : 'single',
    String(j.progress.totalRecords),
    `${j.progress.percentage}%`,
    String(j.progress.failedRecords),
    batchFigures(j.progress, j.batches).replace(' completed', ''),
    j.batches.processing > 0 ? String(j.batches.processing) : '-',
    `${formatDuration(now - j.updatedAt)} ago`,
  ]);
  return table(['JOB', 'STATUS', 'MODE', 'RECORDS', 'DONE', 'FAILED', 'BATCHES', 'ACTIVE', 'UPDATED'], rows);
}

/**
 * The JSON of one job, the same keys in `list --json` (an array of these,
 * each with `createdAt` and `updatedAt` too) and `show --json` (one, with
 * `holdings`, `staleMs` and `staleClaims` too):
 *
 * ```
 * { id, status, distributed, totalRecords, startedAt, completedAt,   // epoch ms or null
 *   progress: { totalRecords, processedRecords, failedRecords, pendingRecords, percentage,
 *               currentBatch, totalBatches, elapsedMs, estimatedRemainingMs? },  // store.getProgress()
 *   batches: { total, pending, processing, paused, completed, failed } }
 * ```
 */
export interface JobJson {
  readonly id: string;
  readonly status: JobStatus;
  readonly distributed: boolean;
  readonly totalRecords: number;
  readonly startedAt: number | null;
  readonly completedAt: number | null;
  readonly progress: JobProgress;
  readonly batches: BatchCounts;
}

/** The help text that documents {@link JobJson}. */
export const JOB_JSON_HELP = `
JSON (list --json: an array; show --json: one job with holdings, staleMs, staleClaims too):
  { "id", "status", "distributed", "totalRecords", "startedAt", "completedAt",    (times: epoch ms or null)
    "createdAt", "updatedAt",                                                      (list only)
    "progress": { "totalRecords", "processedRecords", "failedRecords", "pendingRecords", "percentage",
                  "currentBatch", "totalBatches", "elapsedMs", "estimatedRemainingMs"? },
    "batches":  { "total", "pending", "processing", "paused", "completed", "failed" } }
`;

/** The {@link JobJson} of a job. */
export function jobJson(
  job: { readonly id: string; readonly status: JobStatus; readonly distributed?: boolean; readonly totalRecords: number; readonly startedAt?: number; readonly completedAt?: number },
  progress: JobProgress,
  batches: BatchCounts,
): JobJson {
  return {
    id: job.id,
    status: job.status,
    distributed: job.distributed === true,
    totalRecords: job.totalRecords,
    startedAt: job.startedAt ?? null,
    completedAt: job.completedAt ?? null,
    progress,
    batches,
  };
}

/** One element of `list --json`. */
export function jobListJson(j: JobSummary): JobJson & { readonly createdAt: number; readonly updatedAt: number } {
  const { progress, batches, ...rest } = jobJson(j, j.progress, j.batches);
  return { ...rest, createdAt: j.createdAt, updatedAt: j.updatedAt, progress, batches };
}

/** A batch some worker holds (PROCESSING), with the age of its lease. */
export interface BatchHolding {
  readonly workerId: string;
  readonly batchId: string;
  /** `null` when the store cannot tell (a single-process batch with no record saved). */
  readonly batchIndex: number | null;
  readonly recordStartIndex?: number;
  readonly recordEndIndex?: number;
  readonly claimedAt?: number;
  /** When the holder last renewed its lease; absent when never renewed. */
  readonly renewedAt?: number;
  /** Lease age (since `renewedAt`, else `claimedAt`) by the database clock, ms. */
  readonly ageMs?: number;
  /** Older than the stale threshold: `reclaim` would put it back to PENDING. */
  readonly stale: boolean;
}

/**
 * The PROCESSING batches of a job and who holds them; stale when the lease
 * (last renewal, else the claim) is older than `staleMs`, as
 * `reclaimStaleBatches` decides.
 */
export function batchHoldings(batches: readonly BatchDetail[], now: number, staleMs: number): BatchHolding[] {
  return batches
    .filter((b) => b.status === 'PROCESSING')
    .map((b) => {
      const lease = b.renewedAt ?? b.claimedAt;
      const ageMs = lease !== undefined ? now - lease : undefined;
      return {
        workerId: b.workerId ?? '(none)',
        batchId: b.id,
        batchIndex: b.index,
        ...(b.recordStartIndex !== undefined ? { recordStartIndex: b.recordStartIndex } : {}),
        ...(b.recordEndIndex !== undefined ? { recordEndIndex: b.recordEndIndex } : {}),
        ...(b.claimedAt !== undefined ? { claimedAt: b.claimedAt } : {}),
        ...(b.renewedAt !== undefined ? { renewedAt: b.renewedAt } : {}),
        ...(ageMs !== undefined ? { ageMs } : {}),
        stale: ageMs !== undefined && ageMs > staleMs,
      };
    });
}

/** A batch as the CLI names it: `#index`, else its id. */
export const batchName = (h: { readonly batchIndex: number | null; readonly batchId: string }): string =>
  (h.batchIndex !== null ? `#${h.batchIndex}` : h.batchId);

/** The `show --json` document: {@link JobJson} and the leases. */
export function jobDetailsJson(job: JobState, progress: JobProgress, batches: readonly BatchDetail[], now: number, staleMs: number): JobJson & Record<string, unknown> {
  const holdings = batchHoldings(batches, now, staleMs);
  return {
    ...jobJson(job, progress, countBatches(batches)),
    holdings,
    staleMs,
    staleClaims: holdings.filter((h) => h.stale).length,
  };
}

/** The `show` text: the job, its progress, batches by status, who holds what, stale claims. */
export function formatJobDetails(
  job: JobState, progress: JobProgress, batches: readonly BatchDetail[], now: number, staleMs: number, cliName = 'bulkimport-state',
): string {
  const counts = countBatches(batches);
  const holdings = batchHoldings(batches, now, staleMs);
  const stale = holdings.filter((h) => h.stale);
  const lines: string[] = [];
  lines.push(`Job ${job.id}`);
  lines.push(`  status     ${job.status}${job.distributed ? ' (distributed)' : ''}`);
  lines.push(`  progress   ${progressFigures(progress, counts)}`);
  lines.push(`  started    ${formatTime(job.startedAt)}`);
  lines.push(`  completed  ${formatTime(job.completedAt)}`);
  lines.push(`  elapsed    ${formatDuration(progress.elapsedMs)}`
    + (progress.estimatedRemainingMs !== undefined && !TERMINAL_JOB_STATUSES.includes(job.status)
      ? `, about ${formatDuration(progress.estimatedRemainingMs)} left` : ''));
  lines.push(`  batches    ${counts.total} total: ${counts.pending} pending, ${counts.processing} processing, ${counts.paused} paused,`
    + ` ${counts.completed} completed, ${counts.failed} failed`);
  lines.push('');
  if (holdings.length === 0) {
    lines.push('Workers holding batches: none');
  } else {
    lines.push('Workers holding batches:');
    const ago = (t: number | undefined): string => (t !== undefined ? `${formatDuration(now - t)} ago` : '-');
    lines.push(table(
      ['WORKER', 'BATCH', 'RECORDS', 'CLAIMED', 'RENEWED', 'LEASE'],
      holdings.map((h) => [
        h.workerId,
        batchName(h),
        h.recordStartIndex !== undefined && h.recordEndIndex !== undefined ? `${h.recordStartIndex}-${h.recordEndIndex}` : '-',
        ago(h.claimedAt),
        ago(h.renewedAt),
        h.stale ? 'STALE' : 'ok',
      ]),
    ).split('\n').map((l) => `  ${l}`).join('\n'));
  }
  lines.push('');
  if (stale.length === 0) {
    lines.push(`Stale claims (lease older than ${formatDuration(staleMs)}): none`);
  } else {
    lines.push(`Stale claims (lease older than ${formatDuration(staleMs)}): ${stale.length}`
      + ` (${stale.map((h) => `${batchName(h)} by ${h.workerId}`).join(', ')})`);
    lines.push(`  put them back with: ${cliName} reclaim ${job.id} --stale-ms ${staleMs}`);
  }
  return lines.join('\n');
}

/** One line of `watch` output without a terminal: the status and {@link progressFigures}. */
export function progressLine(status: JobStatus, p: JobProgress, batches: BatchCounts): string {
  return `${status} ${progressFigures(p, batches)}`;
}

export { RECLAIM_FLOOR_MS, reclaimWarnings, suggestDuration } from './reclaimWarnings';
export { csvField, errorsText, failedRecordsCsv, failedRecordsJson } from '../export/failedRecords';
