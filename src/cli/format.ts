/**
 * Pure parsing and formatting for the CLI: no I/O here, so every output the
 * CLI prints can be unit-tested from plain values.
 */
import type { Batch, BatchStatus, JobProgress, JobState, JobStatus } from '../ports';
import type { JobSummary } from '../store/SequelizeStateStore';
import { CliError } from './errors';

/** The engine's job statuses. */
export const JOB_STATUS_LIST: readonly JobStatus[] = [
  'CREATED', 'PREVIEWING', 'PREVIEWED', 'PROCESSING', 'PAUSED', 'COMPLETED', 'ABORTED', 'FAILED',
];
/** Job statuses after which nothing more happens. */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['COMPLETED', 'ABORTED', 'FAILED'];
const BATCH_STATUS_ORDER: readonly BatchStatus[] = ['PENDING', 'PROCESSING', 'PAUSED', 'COMPLETED', 'FAILED'];

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A duration: `1500` or `1500ms`, `30s`, `5m`, `2h`, `7d`, `1w` (decimals allowed).
 * @throws CliError (usage) naming the flag.
 */
export function parseDuration(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(String(text));
  if (!m) throw new CliError(`${flag} must be a duration such as 500, 30s, 5m, 12h or 7d; got ${JSON.stringify(text)}`, 2);
  const ms = Math.round(Number(m[1]) * (UNITS[(m[2] ?? 'ms').toLowerCase()] as number));
  if (!Number.isSafeInteger(ms)) throw new CliError(`${flag} is too large`, 2);
  return ms;
}

/**
 * An integer within bounds.
 * @throws CliError (usage) naming the flag.
 */
export function parseInteger(text: string, flag: string, min: number, max: number): number {
  const s = String(text).trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError(`${flag} must be an integer from ${min} to ${max}; got ${JSON.stringify(text)}`, 2);
  }
  return n;
}

/**
 * A comma-separated list of job statuses, any case.
 * @throws CliError (usage) for an unknown status.
 */
export function parseStatuses(text: string, flag: string): JobStatus[] {
  const out: JobStatus[] = [];
  for (const part of String(text).split(',').map((p) => p.trim().toUpperCase()).filter(Boolean)) {
    if (!(JOB_STATUS_LIST as readonly string[]).includes(part)) {
      throw new CliError(`${flag}: unknown status ${JSON.stringify(part)}; use ${JOB_STATUS_LIST.join(', ')}`, 2);
    }
    if (!out.includes(part as JobStatus)) out.push(part as JobStatus);
  }
  if (out.length === 0) throw new CliError(`${flag} needs at least one status`, 2);
  return out;
}

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

/** Done (processed + failed) over total, 0–100, rounded down so 100 means all done. */
export function percentDone(done: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.floor((done / total) * 100));
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The `list` table: one job per line, with status, progress and batch counts. */
export function formatJobList(jobs: readonly JobSummary[], now: number): string {
  if (jobs.length === 0) return 'No jobs.';
  const rows = jobs.map((j) => {
    const done = j.processedRecords + j.failedRecords;
    return [
      j.id,
      j.status,
      j.distributed ? 'distributed' : 'single',
      String(j.totalRecords),
      `${percentDone(done, j.totalRecords)}%`,
      String(j.failedRecords),
      `${j.batches.completed + j.batches.failed}/${j.batches.total}`,
      j.batches.processing > 0 ? String(j.batches.processing) : '-',
      `${formatDuration(now - j.updatedAt)} ago`,
    ];
  });
  return table(['JOB', 'STATUS', 'MODE', 'RECORDS', 'DONE', 'FAILED', 'BATCHES', 'ACTIVE', 'UPDATED'], rows);
}

/** A batch some worker holds (PROCESSING), with the age of its lease. */
export interface BatchHolding {
  readonly workerId: string;
  readonly batchId: string;
  readonly batchIndex: number;
  readonly recordStartIndex?: number;
  readonly recordEndIndex?: number;
  readonly claimedAt?: number;
  /** Lease age by the database clock, ms. */
  readonly ageMs?: number;
  /** Older than the stale threshold: `reclaim` would put it back to PENDING. */
  readonly stale: boolean;
}

/** The PROCESSING batches of a job and who holds them; stale when the lease is older than `staleMs`. */
export function batchHoldings(batches: readonly Batch[], now: number, staleMs: number): BatchHolding[] {
  return batches
    .filter((b) => b.status === 'PROCESSING')
    .map((b) => {
      const ageMs = b.claimedAt !== undefined ? now - b.claimedAt : undefined;
      return {
        workerId: b.workerId ?? '(none)',
        batchId: b.id,
        batchIndex: b.index,
        ...(b.recordStartIndex !== undefined ? { recordStartIndex: b.recordStartIndex } : {}),
        ...(b.recordEndIndex !== undefined ? { recordEndIndex: b.recordEndIndex } : {}),
        ...(b.claimedAt !== undefined ? { claimedAt: b.claimedAt } : {}),
        ...(ageMs !== undefined ? { ageMs } : {}),
        stale: ageMs !== undefined && ageMs > staleMs,
      };
    });
}

/** Batch counts by status, every status present. */
export function batchCounts(batches: readonly Batch[]): Record<BatchStatus, number> {
  const counts = { PENDING: 0, PROCESSING: 0, PAUSED: 0, COMPLETED: 0, FAILED: 0 } as Record<BatchStatus, number>;
  for (const b of batches) counts[b.status] = (counts[b.status] ?? 0) + 1;
  return counts;
}

/** The `show --json` document. */
export function jobDetailsJson(job: JobState, progress: JobProgress, now: number, staleMs: number): Record<string, unknown> {
  const holdings = batchHoldings(job.batches, now, staleMs);
  return {
    id: job.id,
    status: job.status,
    distributed: job.distributed === true,
    totalRecords: job.totalRecords,
    startedAt: job.startedAt ?? null,
    completedAt: job.completedAt ?? null,
    progress,
    batches: batchCounts(job.batches),
    holdings,
    staleMs,
    staleClaims: holdings.filter((h) => h.stale).length,
  };
}

/** The `show` text: the job, its progress, batches by status, who holds what, stale claims. */
export function formatJobDetails(job: JobState, progress: JobProgress, now: number, staleMs: number, cliName = 'bulkimport-state'): string {
  const counts = batchCounts(job.batches);
  const holdings = batchHoldings(job.batches, now, staleMs);
  const stale = holdings.filter((h) => h.stale);
  const lines: string[] = [];
  lines.push(`Job ${job.id}`);
  lines.push(`  status     ${job.status}${job.distributed ? ' (distributed)' : ''}`);
  lines.push(
    `  records    ${progress.totalRecords} total: ${progress.processedRecords} processed, ${progress.failedRecords} failed,`
      + ` ${progress.pendingRecords} pending (${percentDone(progress.processedRecords + progress.failedRecords, progress.totalRecords)}% done)`,
  );
  lines.push(`  started    ${formatTime(job.startedAt)}`);
  lines.push(`  completed  ${formatTime(job.completedAt)}`);
  lines.push(`  elapsed    ${formatDuration(progress.elapsedMs)}`
    + (progress.estimatedRemainingMs !== undefined && !TERMINAL_JOB_STATUSES.includes(job.status)
      ? `, about ${formatDuration(progress.estimatedRemainingMs)} left` : ''));
  lines.push(`  batches    ${job.batches.length} total: ${BATCH_STATUS_ORDER.map((s) => `${counts[s]} ${s}`).join(', ')}`);
  lines.push('');
  if (holdings.length === 0) {
    lines.push('Workers holding batches: none');
  } else {
    lines.push('Workers holding batches:');
    lines.push(table(
      ['WORKER', 'BATCH', 'RECORDS', 'CLAIMED', 'LEASE'],
      holdings.map((h) => [
        h.workerId,
        `#${h.batchIndex}`,
        h.recordStartIndex !== undefined && h.recordEndIndex !== undefined ? `${h.recordStartIndex}-${h.recordEndIndex}` : '-',
        h.ageMs !== undefined ? `${formatDuration(h.ageMs)} ago` : '-',
        h.stale ? 'STALE' : 'ok',
      ]),
    ).split('\n').map((l) => `  ${l}`).join('\n'));
  }
  lines.push('');
  if (stale.length === 0) {
    lines.push(`Stale claims (older than ${formatDuration(staleMs)}): none`);
  } else {
    lines.push(`Stale claims (older than ${formatDuration(staleMs)}): ${stale.length}`
      + ` (${stale.map((h) => `#${h.batchIndex} by ${h.workerId}`).join(', ')})`);
    lines.push(`  put them back with: ${cliName} reclaim ${job.id} --stale-ms ${staleMs}`);
  }
  return lines.join('\n');
}

/** One line of `watch` output without a terminal. */
export function progressLine(status: JobStatus, p: JobProgress): string {
  const done = p.processedRecords + p.failedRecords;
  return `${status} ${percentDone(done, p.totalRecords)}% ${done}/${p.totalRecords} records`
    + ` (${p.failedRecords} failed), batches ${p.currentBatch}/${p.totalBatches}`;
}

export { csvField, errorsText, failedRecordsCsv, failedRecordsJson } from '../export/failedRecords';
