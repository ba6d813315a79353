/**
 * The engine's single-process path (`BatchEngine` / `BulkImport`, StartJob in
 * @batchactions/core 0.0.7), call for call as PORTS.md describes it, for the
 * tests and the bench:
 *
 * - per batch: a new UUID → `updateBatchState(PROCESSING)` (the batch is in no
 *   `saveJobState` yet) → `saveProcessedRecord` per record (`processed`,
 *   `invalid` or `failed`, with `retryCount`) → `updateBatchState(COMPLETED)`
 *   → `saveJobState` with the whole job: every batch so far, PROCESSING (a
 *   finished batch's records cleared, batches still in flight carrying theirs);
 * - up to `maxConcurrentBatches` batches do that at once, on one store;
 * - `pause()` saves the job PAUSED and holds every batch at its next record;
 *   `resume()` lets them go on;
 * - the last `saveJobState` carries the final status;
 * - {@link restoreJob} is `BulkImport.restore`: `getJobState`, then a new run
 *   that redoes every batch not COMPLETED under a new id (the old unfinished
 *   batch stays in the job as it was).
 *
 * PORTS.md also lists a `saveJobState(PROCESSING)` before the first batch;
 * the engine's source (0.0.7) has none, so the first calls of a job are
 * `updateBatchState`s for a job the store has never seen. `initialSave`
 * chooses (default: as PORTS.md says).
 */
import { randomUUID } from 'crypto';
import type {
  Batch, JobConfig, JobState, JobStatus, ProcessedRecord, RawRecord, StateStore, ValidationError,
} from '../../src/ports';

/** What the record processor of a test decides for a record. */
export type Outcome = 'processed' | 'invalid' | 'failed';

/** A call the model made on the store, in order (for tests that check the sequence). */
export interface StoreCallRecord {
  readonly method: 'saveJobState' | 'updateBatchState' | 'saveProcessedRecord' | 'getJobState';
  readonly batchId?: string;
  readonly status?: string;
}

/** Options of {@link SingleProcessImport}. */
export interface SingleProcessOptions {
  readonly store: StateStore;
  readonly records: readonly RawRecord[];
  readonly batchSize: number;
  readonly maxConcurrentBatches?: number;
  readonly continueOnError?: boolean;
  readonly maxRetries?: number;
  readonly skipEmptyRows?: boolean;
  /** Decides each record's outcome (default: all processed). May be async (simulated work). */
  readonly outcome?: (record: RawRecord, index: number) => Outcome | Promise<Outcome>;
  /** Call `saveJobState(PROCESSING)` before the first batch, as PORTS.md lists (default `true`). */
  readonly initialSave?: boolean;
  /** Runs after every store call resolves (checkpoints, fault injection). */
  readonly afterCall?: (call: StoreCallRecord) => void | Promise<void>;
  readonly jobId?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One import job run the way the engine runs it. */
export class SingleProcessImport {
  readonly jobId: string;
  status: JobStatus = 'CREATED';
  batches: Batch[] = [];
  totalRecords = 0;
  processedCount = 0;
  failedCount = 0;
  startedAt?: number;
  readonly completedBatchIndices = new Set<number>();
  private readonly positions = new Map<string, number>();
  private pauseGate: { promise: Promise<void>; resolve: () => void } | null = null;
  private readonly concurrency: number;

  constructor(private readonly o: SingleProcessOptions) {
    this.jobId = o.jobId ?? randomUUID();
    this.concurrency = o.maxConcurrentBatches ?? 1;
  }

  /** The job's configuration as the engine saves it. */
  get config(): JobConfig {
    return {
      batchSize: this.o.batchSize,
      maxConcurrentBatches: this.concurrency,
      continueOnError: this.o.continueOnError ?? true,
      maxRetries: this.o.maxRetries ?? 0,
      retryDelayMs: 0,
      skipEmptyRows: this.o.skipEmptyRows ?? false,
    };
  }

  /** `start()`: processes the records (all, or those of batches not yet COMPLETED after a restore). */
  async start(): Promise<void> {
    if (!['CREATED', 'PAUSED'].includes(this.status)) throw new Error(`cannot start from ${this.status}`);
    this.status = 'PROCESSING';
    this.startedAt = this.startedAt ?? Date.now();
    const previousTotal = this.totalRecords;
    this.totalRecords = 0;
    if (this.completedBatchIndices.size === 0) {
      this.processedCount = 0;
      this.failedCount = 0;
      this.batches = [];
      this.positions.clear();
    }
    if (this.o.initialSave ?? true) await this.saveState();
    try {
      await this.processAll();
      if ((this.status as JobStatus) !== 'ABORTED') this.status = 'COMPLETED';
    } catch (error) {
      if ((this.status as JobStatus) !== 'ABORTED') this.status = 'FAILED';
      this.error = error;
    }
    this.totalRecords = Math.max(this.totalRecords, previousTotal);
    await this.saveState();
  }

  /** The error that failed the job, if one did. */
  error: unknown;

  /** `pause()`: PAUSED, saved; batches in flight wait at their next record. */
  async pause(): Promise<void> {
    if (this.status !== 'PROCESSING') throw new Error(`cannot pause from ${this.status}`);
    this.status = 'PAUSED';
    let resolve: () => void = () => undefined;
    const promise = new Promise<void>((r) => { resolve = r; });
    this.pauseGate = { promise, resolve };
    await this.saveState();
  }

  /** `resume()`: PROCESSING again; the waiting batches go on. */
  resume(): void {
    if (this.status !== 'PAUSED') throw new Error(`cannot resume from ${this.status}`);
    this.status = 'PROCESSING';
    this.pauseGate?.resolve();
    this.pauseGate = null;
  }

  /** The state `saveJobState` receives (the live batch array, as the engine passes it). */
  snapshot(): JobState {
    return {
      id: this.jobId,
      config: this.config,
      status: this.status,
      batches: this.batches,
      totalRecords: this.totalRecords,
      startedAt: this.startedAt,
    } as JobState;
  }

  private async call<T>(record: StoreCallRecord, fn: () => Promise<T>): Promise<T> {
    const value = await fn();
    if (this.o.afterCall) await this.o.afterCall(record);
    return value;
  }

  private saveState(): Promise<void> {
    const state = this.snapshot();
    return this.call({ method: 'saveJobState', status: state.status }, () => this.o.store.saveJobState(state));
  }

  private async processAll(): Promise<void> {
    const active = new Set<Promise<void>>();
    let failure: unknown;
    const size = this.o.batchSize;
    for (let start = 0, index = 0; start < this.o.records.length; start += size, index++) {
      const records: ProcessedRecord[] = [];
      for (let i = start; i < Math.min(start + size, this.o.records.length); i++) {
        await this.pauseGate?.promise;
        this.totalRecords = i + 1;
        records.push({ index: i, raw: this.o.records[i] as RawRecord, parsed: this.o.records[i] as RawRecord, status: 'pending', errors: [] });
      }
      if (this.completedBatchIndices.has(index)) continue;
      if (this.concurrency <= 1) {
        await this.processBatch(records, index);
        continue;
      }
      while (active.size >= this.concurrency) await Promise.race(active);
      if (failure) break;
      const run: Promise<void> = this.processBatch(records, index).then(
        () => { active.delete(run); },
        (error: unknown) => { active.delete(run); failure = failure ?? error; },
      );
      active.add(run);
    }
    await Promise.all([...active]);
    if (failure) throw failure;
  }

  private setBatch(id: string, patch: Partial<Batch>): void {
    const pos = this.positions.get(id);
    if (pos === undefined) return;
    this.batches[pos] = { ...(this.batches[pos] as Batch), ...patch };
  }

  private async processBatch(records: readonly ProcessedRecord[], index: number): Promise<void> {
    const store = this.o.store;
    const batchId = randomUUID();
    this.positions.set(batchId, this.batches.length);
    this.batches.push({ id: batchId, index, status: 'PENDING', records, processedCount: 0, failedCount: 0 });
    this.setBatch(batchId, { status: 'PROCESSING' });
    await this.call({ method: 'updateBatchState', batchId, status: 'PROCESSING' }, () =>
      store.updateBatchState(this.jobId, batchId, { batchId, status: 'PROCESSING', processedCount: 0, failedCount: 0 }));
    let processed = 0;
    let failed = 0;
    for (const record of records) {
      await this.pauseGate?.promise;
      if (this.o.skipEmptyRows && Object.values(record.raw).every((v) => v === undefined || v === null || v === '')) continue;
      const outcome = await (this.o.outcome?.(record.raw, record.index) ?? 'processed');
      let saved: ProcessedRecord;
      if (outcome === 'invalid') {
        const errors: ValidationError[] = [{ field: 'email', message: 'not an e-mail', code: 'TYPE_MISMATCH', value: record.raw.email }];
        saved = { ...record, status: 'invalid', errors };
        failed++;
        this.failedCount++;
      } else if (outcome === 'failed') {
        saved = { ...record, status: 'failed', processingError: `record ${record.index} refused`, retryCount: this.o.maxRetries ?? 0 };
        failed++;
        this.failedCount++;
      } else {
        saved = { ...record, status: 'processed', retryCount: 0 };
        processed++;
        this.processedCount++;
      }
      await this.call({ method: 'saveProcessedRecord', batchId }, () => store.saveProcessedRecord(this.jobId, batchId, saved));
      if (outcome !== 'processed' && !(this.o.continueOnError ?? true)) throw new Error(`record ${record.index} failed`);
    }
    this.setBatch(batchId, { status: 'COMPLETED', processedCount: processed, failedCount: failed });
    this.completedBatchIndices.add(index);
    await this.call({ method: 'updateBatchState', batchId, status: 'COMPLETED' }, () =>
      store.updateBatchState(this.jobId, batchId, { batchId, status: 'COMPLETED', processedCount: processed, failedCount: failed }));
    this.setBatch(batchId, { records: [] });
    await this.saveState();
  }
}

/**
 * `BulkImport.restore(jobId, config)`: the state as stored; COMPLETED batches
 * are kept and counted, the others will be redone by `start()`.
 */
export async function restoreJob(options: SingleProcessOptions & { jobId: string }): Promise<SingleProcessImport | null> {
  const state = await options.store.getJobState(options.jobId);
  if (options.afterCall) await options.afterCall({ method: 'getJobState' });
  if (!state) return null;
  const job = new SingleProcessImport({ ...options, batchSize: state.config.batchSize, maxConcurrentBatches: state.config.maxConcurrentBatches });
  job.batches = [...state.batches];
  job.totalRecords = state.totalRecords;
  job.startedAt = state.startedAt;
  for (const [i, b] of job.batches.entries()) (job as unknown as { positions: Map<string, number> }).positions.set(b.id, i);
  for (const b of state.batches) {
    if (b.status === 'COMPLETED') {
      job.processedCount += b.processedCount;
      job.failedCount += b.failedCount;
      job.completedBatchIndices.add(b.index);
    }
  }
  job.status = 'CREATED';
  return job;
}

/** `n` records of users; `emptyEvery`: every so many is an empty row. */
export function userRecords(n: number, emptyEvery = 0): RawRecord[] {
  return Array.from({ length: n }, (_, i) => (emptyEvery > 0 && i % emptyEvery === emptyEvery - 1
    ? { name: '', email: '' }
    : { name: `user ${i}`, email: i % 50 === 7 ? `bad-${i}` : `user${i}@example.com` }));
}

/** The outcome rule most tests use: every 50th record invalid (bad e-mail), every 333rd fails processing. */
export function usualOutcome(record: RawRecord, index: number): Outcome {
  if (!String(record.email).includes('@')) return 'invalid';
  return index % 333 === 5 ? 'failed' : 'processed';
}

export { sleep };
