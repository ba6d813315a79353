/**
 * What the distributed tests' orchestrator (the jest test) and its worker
 * processes (worker.ts) agree on: the worker's configuration (environment
 * variables), the messages a worker sends over IPC, and the deterministic
 * rules that decide which records and batches fail.
 */
import type { ProcessedRecord } from '../../src';

/** Environment variables a worker reads. */
export interface WorkerEnv {
  /** `postgres`, `mariadb`, `mysql` or `sqlite`. */
  readonly DIST_DIALECT: string;
  /** Connection URL (server dialects) or SQLite file path. */
  readonly DIST_URL: string;
  readonly DIST_PREFIX: string;
  readonly DIST_JOB_ID: string;
  readonly DIST_WORKER_ID: string;
  /** `staleTimeoutMs` given to `reclaimStaleBatches` before each claim. */
  readonly DIST_STALE_MS: string;
  /**
   * `engine`: exactly the engine's call sequence (unfenced `updateBatchState`,
   * no heartbeat). `fenced`: also `heartbeatBatch` while working and
   * `updateBatchState(..., { workerId })`, abandoning the batch on LeaseLostError.
   */
  readonly DIST_MODE: 'engine' | 'fenced';
  /** If set to N (1-based): on its Nth claim the worker saves half the batch, reports `hanging`, and stops. */
  readonly DIST_HANG_AT_CLAIM?: string;
  /** Records to save between heartbeats in `fenced` mode. Default 10. */
  readonly DIST_HEARTBEAT_EVERY?: string;
  /** `1`: batches for which {@link batchFails} holds end FAILED (so the job ends FAILED). */
  readonly DIST_FAIL_BATCHES?: string;
}

/** A worker's messages to the orchestrator, in the order they happen. */
export type WorkerMessage =
  /** Connected; waiting for `go`. */
  | { type: 'ready'; workerId: string; pid: number }
  /** Won a claim. `claimedAt` is the reservation's (database clock). */
  | { type: 'claim'; workerId: string; batchId: string; batchIndex: number; claimedAt: number; start: number; end: number }
  /** A fenced operation on a held batch (heartbeat) succeeded; `startedAt` is when it was sent. */
  | { type: 'heartbeat'; workerId: string; batchId: string; startedAt: number }
  /** `updateBatchState(COMPLETED|FAILED)` returned. `startedAt`: when it was sent; `finishedAt`: when it returned. */
  | {
    type: 'done'; workerId: string; batchId: string; status: 'COMPLETED' | 'FAILED';
    processedCount: number; failedCount: number; startedAt: number; finishedAt: number;
  }
  /** A fenced operation was refused: the batch was reclaimed. */
  | { type: 'leaseLost'; workerId: string; batchId: string; at: number; message: string }
  /** Half-way through a batch, about to hang (the orchestrator kills it). */
  | { type: 'hanging'; workerId: string; batchId: string; at: number }
  /** `tryFinalizeJob` answered `true`; `summary` is the engine's sum over `getJobState().batches`. */
  | { type: 'finalized'; workerId: string; at: number; summary: { processed: number; failed: number; status: string } }
  /** Loop over: no batch to claim and the job is complete. */
  | { type: 'exit'; workerId: string; claims: number; finalizeCalls: number }
  | { type: 'error'; workerId: string; message: string; stack?: string };

/** Orchestrator to worker: start the loop. */
export interface GoMessage { type: 'go' }

/** Whether the record at `index` fails processing (a deterministic subset). */
export function recordFails(index: number): boolean {
  return index % 37 === 5;
}

/**
 * Whether the batch at `batchIndex` ends FAILED when `failBatches` is on
 * (its records still all get a status; the engine marks a batch FAILED when
 * processing it throws).
 */
export function batchFails(batchIndex: number): boolean {
  return batchIndex % 40 === 3;
}

/** The pending record the orchestrator saves for source position `index`. */
export function pendingRecord(index: number): ProcessedRecord {
  const raw = { id: index, name: `row ${index}`, email: `user${index}@example.com` };
  return { index, raw, parsed: raw, status: 'pending', errors: [] };
}

/** What a worker writes for a record after "processing" it. */
export function processedRecord(record: ProcessedRecord, workerId: string): ProcessedRecord {
  const fails = recordFails(record.index);
  return {
    ...record,
    parsed: { ...record.parsed, processedBy: workerId },
    status: fails ? 'failed' : 'processed',
    errors: fails
      ? [{ field: 'email', message: 'rejected by the test processor', code: 'CUSTOM_VALIDATION', severity: 'error' }]
      : [],
    ...(fails ? { processingError: `record ${record.index} rejected` } : {}),
    retryCount: 0,
  };
}
