/**
 * What the API answers, computed from the store's views: pure functions,
 * no I/O. The batch map of the job page is columnar (one short array per
 * batch) so that a job of 10,000 batches stays a small payload.
 */
import type { BatchDetail, JobProgress, JobStatus, JobSummary } from '../index';

/** Batch statuses in the order of the map's status codes. */
export const BATCH_STATUSES = ['PENDING', 'PROCESSING', 'PAUSED', 'COMPLETED', 'FAILED'] as const;

/** The job statuses after which nothing changes. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['COMPLETED', 'ABORTED', 'FAILED'];

/** Records (processed and failed) per second over the job's elapsed time; `null` before any time has passed. */
export function throughputOf(progress: JobProgress): number | null {
  if (progress.elapsedMs <= 0) return null;
  return Math.round(((progress.processedRecords + progress.failedRecords) / progress.elapsedMs) * 1000 * 10) / 10;
}

/** A job of the jobs list: the store's summary, with its throughput (records/s). */
export type JobListEntry = JobSummary & { readonly throughput: number | null };

/** Adds the throughput to a job summary. */
export function jobListEntry(job: JobSummary): JobListEntry {
  return { ...job, throughput: throughputOf(job.progress) };
}

/** A lease's age: from its claim or last renewal to `now`. */
export function leaseAge(batch: BatchDetail, now: number): number | undefined {
  const last = batch.renewedAt ?? batch.claimedAt;
  return batch.status === 'PROCESSING' && last !== undefined ? Math.max(0, now - last) : undefined;
}

/** One held batch in the workers table. */
export interface HeldBatch {
  readonly id: string;
  readonly index: number | null;
  readonly claimedAt?: number;
  readonly renewedAt?: number;
  readonly leaseAgeMs?: number;
  readonly stale: boolean;
}

/** One worker: the batches it holds, since when, and its last renewal. */
export interface WorkerView {
  readonly workerId: string;
  readonly batches: HeldBatch[];
  /** Its earliest claim among the batches it holds. */
  readonly since?: number;
  /** Its latest claim or renewal. */
  readonly lastRenewal?: number;
  /** Whether any of its leases is stale. */
  readonly stale: boolean;
}

/** Workers holding batches (PROCESSING with a worker id), by worker id. */
export function workersOf(batches: readonly BatchDetail[], now: number, staleAfterMs: number): WorkerView[] {
  const by = new Map<string, HeldBatch[]>();
  for (const b of batches) {
    if (b.status !== 'PROCESSING' || b.workerId === undefined) continue;
    const age = leaseAge(b, now);
    const held: HeldBatch = {
      id: b.id, index: b.index, stale: age !== undefined && age > staleAfterMs,
      ...(b.claimedAt !== undefined ? { claimedAt: b.claimedAt } : {}),
      ...(b.renewedAt !== undefined ? { renewedAt: b.renewedAt } : {}),
      ...(age !== undefined ? { leaseAgeMs: age } : {}),
    };
    const list = by.get(b.workerId) ?? [];
    list.push(held);
    by.set(b.workerId, list);
  }
  return [...by.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([workerId, held]) => {
    const claims = held.map((h) => h.claimedAt).filter((t): t is number => t !== undefined);
    const renewals = held.map((h) => h.renewedAt ?? h.claimedAt).filter((t): t is number => t !== undefined);
    return {
      workerId,
      batches: held,
      ...(claims.length > 0 ? { since: Math.min(...claims) } : {}),
      ...(renewals.length > 0 ? { lastRenewal: Math.max(...renewals) } : {}),
      stale: held.some((h) => h.stale),
    };
  });
}

/** Records per second over time, from finished batches. */
export interface ThroughputSeries {
  /** Width of a bucket, ms. */
  readonly bucketMs: number;
  /** Start of each bucket (epoch ms). */
  readonly t: number[];
  /** Records (processed and failed) per second finished in each bucket. */
  readonly rate: number[];
}

const BUCKETS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map((s) => s * 1000);

/**
 * Throughput over time: the records of each batch count at its `finishedAt`,
 * summed into at most `maxPoints` equal buckets from `from` (the job's start,
 * else the first claim or finish) to the last finish (or `now` while running).
 */
export function throughputSeries(
  batches: readonly BatchDetail[], options: { from?: number; now: number; running: boolean; maxPoints?: number },
): ThroughputSeries {
  const finished = batches.filter((b) => b.finishedAt !== undefined && (b.status === 'COMPLETED' || b.status === 'FAILED'));
  if (finished.length === 0) return { bucketMs: 1000, t: [], rate: [] };
  const ends = finished.map((b) => b.finishedAt as number);
  const firstEnd = Math.min(...ends);
  const starts = batches.map((b) => b.claimedAt).filter((t): t is number => t !== undefined);
  const from = Math.min(options.from ?? Infinity, firstEnd, ...(options.from === undefined ? starts : []));
  const to = Math.max(options.running ? options.now : 0, ...ends);
  const maxPoints = options.maxPoints ?? 120;
  const bucketMs = BUCKETS_MS.find((b) => (to - from) / b <= maxPoints) ?? BUCKETS_MS[BUCKETS_MS.length - 1] as number;
  const origin = Math.floor(from / bucketMs) * bucketMs;
  const n = Math.floor((to - origin) / bucketMs) + 1;
  const sums = new Array<number>(n).fill(0);
  for (const b of finished) sums[Math.min(n - 1, Math.floor(((b.finishedAt as number) - origin) / bucketMs))]! += b.processedCount + b.failedCount;
  const t = sums.map((_, i) => origin + i * bucketMs);
  // Every bucket over its full width (the last one, still filling while the job runs, reads low rather than spike).
  const rate = sums.map((sum) => Math.round((sum / bucketMs) * 1000 * 10) / 10);
  return { bucketMs, t, rate };
}

/** Columns of a row of the batch map. */
export const MAP_COLUMNS = [
  'index', 'status', 'processed', 'failed', 'worker', 'claimedAt', 'renewedAt', 'finishedAt', 'recordStart', 'recordEnd', 'stale',
] as const;

/** The job page's batch map: one row per batch, workers by position in `workerIds`. */
export interface BatchMap {
  readonly now: number;
  readonly staleAfterMs: number;
  readonly statuses: readonly string[];
  readonly columns: readonly string[];
  /** `[index, status code, processed, failed, worker (-1 none), claimedAt, renewedAt, finishedAt, recordStart, recordEnd, stale 0/1]`, nulls where unknown. */
  readonly rows: (number | null)[][];
  readonly workerIds: string[];
  /** Batches by status, and how many PROCESSING ones are stale. */
  readonly counts: Readonly<Record<string, number>>;
  readonly workers: WorkerView[];
  readonly throughput: ThroughputSeries;
}

/** The batch map, the workers and the throughput chart of a job from its batches. */
export function batchMap(
  batches: readonly BatchDetail[], options: { now: number; staleAfterMs: number; startedAt?: number; running: boolean },
): BatchMap {
  const { now, staleAfterMs } = options;
  const workerIds: string[] = [];
  const workerRef = new Map<string, number>();
  const counts: Record<string, number> = { STALE: 0 };
  for (const s of BATCH_STATUSES) counts[s] = 0;
  const rows = batches.map((b) => {
    let w = -1;
    if (b.workerId !== undefined) {
      w = workerRef.get(b.workerId) ?? workerIds.push(b.workerId) - 1;
      workerRef.set(b.workerId, w);
    }
    const age = leaseAge(b, now);
    const stale = age !== undefined && age > staleAfterMs;
    counts[b.status] = (counts[b.status] ?? 0) + 1;
    if (stale) counts.STALE = (counts.STALE ?? 0) + 1;
    const code = (BATCH_STATUSES as readonly string[]).indexOf(b.status);
    return [
      b.index, code, b.processedCount, b.failedCount, w, b.claimedAt ?? null, b.renewedAt ?? null, b.finishedAt ?? null,
      b.recordStartIndex ?? null, b.recordEndIndex ?? null, stale ? 1 : 0,
    ];
  });
  return {
    now, staleAfterMs, statuses: BATCH_STATUSES, columns: MAP_COLUMNS, rows, workerIds, counts,
    workers: workersOf(batches, now, staleAfterMs),
    throughput: throughputSeries(batches, {
      now, running: options.running, ...(options.startedAt !== undefined ? { from: options.startedAt } : {}),
    }),
  };
}
