import type { RecordRow } from '../mappers/RecordMapper';

/** Options of the write-behind buffer for `saveProcessedRecord`. */
export interface RecordBufferOptions {
  /** Records held before a write is forced. Default 500. */
  readonly maxRecords?: number;
  /** Longest time a record waits before it is written, in ms. Default 100. */
  readonly maxDelayMs?: number;
}

/**
 * Coalesces record writes into multi-row upserts.
 *
 * Durability: a record is on disk once a flush that includes it has
 * resolved. The store flushes before `updateBatchState`, `saveJobState`,
 * `tryFinalizeJob` and every read return, so a batch marked COMPLETED has
 * every record on disk; a crash loses only records of a batch that was never
 * marked COMPLETED, which the engine redoes on restore. A failed background
 * write keeps its records and rejects the next call (add, flush or close).
 */
export class RecordBuffer {
  private pending = new Map<string, RecordRow>();
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private readonly maxRecords: number;
  private readonly maxDelayMs: number;

  constructor(private readonly write: (rows: readonly RecordRow[]) => Promise<void>, options: RecordBufferOptions = {}) {
    this.maxRecords = Math.max(1, Math.floor(options.maxRecords ?? 500));
    this.maxDelayMs = Math.max(0, options.maxDelayMs ?? 100);
  }

  /** Records waiting to be written. */
  get size(): number {
    return this.pending.size;
  }

  /** Queues a record (a later save of the same job and index replaces it); writes when full. */
  async add(row: RecordRow): Promise<void> {
    this.throwFailure();
    const key = `${row.jobId}\u0000${row.recordIndex}`;
    this.pending.delete(key);
    this.pending.set(key, row);
    if (this.pending.size >= this.maxRecords) {
      await this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush().catch(() => undefined); // kept in `failure`, raised by the next call
      }, this.maxDelayMs);
      this.timer.unref?.();
    }
  }

  /**
   * Writes everything queued (the job id is accepted for callers that flush
   * per job; all records are written, which keeps the order of saves).
   */
  async flush(_jobId?: string): Promise<void> {
    this.throwFailure();
    while (this.running) await this.running.catch(() => undefined);
    this.throwFailure();
    if (this.pending.size === 0) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = new Map();
    this.running = this.write([...batch.values()])
      .catch((error: unknown) => {
        // Put the records back under any newer saves of the same keys.
        for (const [key, row] of batch) if (!this.pending.has(key)) this.pending.set(key, row);
        this.failure = error;
        throw error;
      })
      .finally(() => {
        this.running = undefined;
      });
    await this.running;
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    await this.flush();
  }

  private throwFailure(): void {
    if (this.failure !== undefined) {
      const error = this.failure;
      this.failure = undefined;
      throw error;
    }
  }
}
