/**
 * What one store remembers about the jobs it works on, so that the engine's
 * call pattern costs what changed rather than what exists:
 *
 * - {@link WrittenJobs}: the batch rows this store last wrote for a job. The
 *   engine saves the whole job after every batch (1, 2, … N batches); only
 *   batches that differ from what is known to be stored are written. Trusted
 *   only while the job row's `version` and `created_at` are the ones this
 *   store's own last save left (another store saving the job, or the job
 *   deleted and saved anew, makes the next save write everything), and never
 *   for a batch whose rows another write of this store was changing at the
 *   same time (the order of the two is unknown: the batch is written again).
 * - {@link ReadJobs}: the batches `getJobState` last read. The engine's
 *   distributed worker calls `getJobState` once per batch only for the job's
 *   total; the job row is read every time, the batches come from here while
 *   the job row is unchanged and the copy is younger than `jobStateCacheMs`.
 *   This store's own batch writes (claim, report, release) are applied to the
 *   copy as they land, so it is never older than the caller's own last write;
 *   other workers' changes show within `jobStateCacheMs`.
 */
import { LRUCache } from 'lru-cache';
import type { Batch } from '../ports';

/** A batch row as this store last wrote or reported it (the columns `saveJobState` writes). */
export interface WrittenBatch {
  readonly index: number | null;
  readonly status: string;
  readonly processed: number;
  readonly failed: number;
  readonly start: number | null;
  readonly end: number | null;
}

/**
 * What is known of one stored batch row: its values, inline (a save reads
 * thousands of these in a row; one object each, not two), valid while
 * `known`. One slot per batch id, shared by `rows` and `slots`.
 */
export interface WrittenSlot extends WrittenBatch {
  known: boolean;
  index: number | null;
  status: string;
  processed: number;
  failed: number;
  start: number | null;
  end: number | null;
}

/** What `slot` holds, or `undefined` if nothing is known. */
export function slotValue(slot: WrittenSlot | undefined): WrittenBatch | undefined {
  return slot?.known
    ? { index: slot.index, status: slot.status, processed: slot.processed, failed: slot.failed, start: slot.start, end: slot.end }
    : undefined;
}

/** What is known of one job's stored batch rows. */
export interface WrittenJob {
  /** `version:created_at` of the job row after this store's last save. */
  token: string;
  readonly distributed: boolean;
  /** Batch ids in the order of the last save's `job.batches`. */
  order: string[];
  /** Position of each id in `order`. */
  positions: Map<string, number>;
  /** The slot of each id, by id. */
  readonly rows: Map<string, WrittenSlot>;
  /**
   * The slot of each id of `order`, by position: a save walks the batches in
   * order and reads these, not the map (three times faster at 10,000 batches).
   */
  slots: WrittenSlot[];
}

/** The slot of `id` in `rows`, made if missing. */
export function slotOf(rows: Map<string, WrittenSlot>, id: string): WrittenSlot {
  let slot = rows.get(id);
  if (!slot) rows.set(id, (slot = { known: false, index: null, status: '', processed: 0, failed: 0, start: null, end: null }));
  return slot;
}

/** Jobs this store remembers writing (a few at a time). */
const MAX_JOBS = 32;

/** The save cache of one store. */
export class WrittenJobs {
  private readonly jobs = new LRUCache<string, WrittenJob>({ max: MAX_JOBS });
  /** Writes in flight per job and batch, and the batches two writes overlapped on. */
  private readonly inflight = new Map<string, Map<string, number>>();
  private readonly overlapped = new Map<string, Set<string>>();

  get(jobId: string): WrittenJob | undefined {
    return this.jobs.get(jobId);
  }

  set(jobId: string, job: WrittenJob): void {
    this.jobs.set(jobId, job);
  }

  forget(jobId: string): void {
    this.jobs.delete(jobId);
  }

  /** A write of these batch rows starts. */
  begin(jobId: string, batchIds: Iterable<string>): void {
    let counts = this.inflight.get(jobId);
    if (!counts) this.inflight.set(jobId, (counts = new Map()));
    for (const id of batchIds) {
      const n = counts.get(id) ?? 0;
      if (n > 0) {
        let set = this.overlapped.get(jobId);
        if (!set) this.overlapped.set(jobId, (set = new Set()));
        set.add(id);
      }
      counts.set(id, n + 1);
    }
  }

  /**
   * A write of these batch rows ended: remember what it wrote (`written`,
   * when it landed and nothing else wrote the rows meanwhile), or forget the
   * rows (it failed, or overlapped another write).
   */
  end(jobId: string, batchIds: Iterable<string>, written?: ReadonlyMap<string, WrittenBatch>): void {
    const counts = this.inflight.get(jobId);
    const overlapped = this.overlapped.get(jobId);
    const job = this.jobs.get(jobId);
    for (const id of batchIds) {
      const row = written?.get(id);
      if (job) {
        if (row && !overlapped?.has(id)) {
          const slot = slotOf(job.rows, id);
          slot.index = row.index;
          slot.status = row.status;
          slot.processed = row.processed;
          slot.failed = row.failed;
          slot.start = row.start;
          slot.end = row.end;
          slot.known = true;
        } else {
          const slot = job.rows.get(id);
          if (slot) slot.known = false;
        }
      }
      const n = (counts?.get(id) ?? 1) - 1;
      if (n > 0) counts?.set(id, n);
      else {
        counts?.delete(id);
        overlapped?.delete(id);
      }
    }
    if (counts && counts.size === 0) this.inflight.delete(jobId);
    if (overlapped && overlapped.size === 0) this.overlapped.delete(jobId);
  }
}

/** A copy of a job's batches as `getJobState` read them. */
interface ReadJob {
  readonly token: string;
  batches: Batch[];
  readonly positions: Map<string, number>;
  readonly readAt: number;
}

/** Jobs whose batches this store keeps a copy of. */
const MAX_READ_JOBS = 8;
const NO_RECORDS: readonly never[] = Object.freeze([]);

/** The `getJobState` cache of one store. */
export class ReadJobs {
  private readonly jobs = new LRUCache<string, ReadJob>({ max: MAX_READ_JOBS });
  /** A counter that moves on every write this store makes to a job; the value of each job's last write. */
  private clock = 0;
  private readonly lastWrite = new Map<string, number>();
  /** Reads in flight, by the clock they started at. */
  private readonly reading = new Map<number, number>();

  constructor(private readonly ttlMs: number) {}

  /** Whether copies are kept at all (`jobStateCacheMs` > 0). */
  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** The copy of the job's batches, if it is for this job row and young enough. */
  batches(jobId: string, token: string, now: number): Batch[] | undefined {
    const job = this.jobs.get(jobId);
    if (!job || job.token !== token || now - job.readAt >= this.ttlMs) return undefined;
    return job.batches.slice();
  }

  /** A full read of a job's batches starts; pass what this returns to {@link keep}. */
  startRead(): number {
    this.reading.set(this.clock, (this.reading.get(this.clock) ?? 0) + 1);
    return this.clock;
  }

  /** Keeps what a read that started at `readAt` (clock `started`) found, unless this store wrote the job since. */
  keep(jobId: string, token: string, batches: readonly Batch[] | undefined, readAt: number, started: number): void {
    const n = (this.reading.get(started) ?? 1) - 1;
    if (n > 0) this.reading.set(started, n);
    else this.reading.delete(started);
    if (!batches || !this.enabled || (this.lastWrite.get(jobId) ?? 0) > started) return;
    const frozen = batches.map((b) => Object.freeze({ ...b, records: NO_RECORDS }) as Batch);
    this.jobs.set(jobId, { token, batches: frozen, positions: new Map(frozen.map((b, i) => [b.id, i])), readAt });
  }

  /** This store changed one batch: the copy takes the change (or is dropped if it lacks the batch). */
  patch(jobId: string, batchId: string, change: (batch: Batch) => Batch): void {
    this.wrote(jobId);
    const job = this.jobs.get(jobId);
    if (!job) return;
    const at = job.positions.get(batchId);
    if (at === undefined) {
      this.jobs.delete(jobId);
      return;
    }
    const next = job.batches.slice();
    next[at] = Object.freeze({ ...change(job.batches[at] as Batch), records: NO_RECORDS }) as Batch;
    job.batches = next;
  }

  /** This store changed the job in a way the copy cannot follow: drop it. */
  forget(jobId: string): void {
    this.wrote(jobId);
    this.jobs.delete(jobId);
  }

  private wrote(jobId: string): void {
    this.clock += 1;
    this.lastWrite.set(jobId, this.clock);
    if (this.lastWrite.size > 1000) {
      // Only writes after the oldest read in flight can still stop a copy being kept.
      const oldest = this.reading.size > 0 ? Math.min(...this.reading.keys()) : this.clock;
      for (const [id, at] of this.lastWrite) if (at <= oldest) this.lastWrite.delete(id);
    }
  }
}
