/**
 * The engine's distributed worker loop (`DistributedImport`, PORTS.md "How
 * the engine calls the store"), as the tests run it: in a worker process
 * (worker.ts) or in-process (the SQLite tests). Every step is reported through
 * `send` as a {@link WorkerMessage}.
 */
import { LeaseLostError, type BatchReservation, type SequelizeStateStore } from '../../src';
import { batchFails, processedRecord, type WorkerMessage } from './protocol';

/** How one worker runs. */
export interface LoopConfig {
  readonly jobId: string;
  readonly workerId: string;
  /** `staleTimeoutMs` given to `reclaimStaleBatches` before each claim. */
  readonly staleMs: number;
  /** Also heartbeat while working and complete with `{ workerId }` (fenced); see WorkerEnv.DIST_MODE. */
  readonly fenced: boolean;
  /** Records between heartbeats (fenced mode). */
  readonly heartbeatEvery: number;
  /** Batches for which `batchFails` holds end FAILED. */
  readonly failBatches: boolean;
  /** On this claim (1-based) the worker reports `hanging` half-way through the batch and calls `hang`. */
  readonly hangAtClaim?: number;
  /** What "hanging" means: never resolve (a process the orchestrator kills) or throw (an in-process worker that stops). */
  readonly hang: () => Promise<never>;
  /** Optional turn-taking: each loop iteration (reclaim … finalize) runs between `await turn()` and the release it returns. */
  readonly turn?: () => Promise<() => void>;
  /** Pause between polls while other workers still hold batches. Default 100–200 ms. */
  readonly pollMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Processes one claimed batch; `false` if the lease was lost (fenced mode). */
async function processBatch(
  store: SequelizeStateStore, cfg: LoopConfig, r: BatchReservation, claimNumber: number, send: (m: WorkerMessage) => Promise<void>,
): Promise<boolean> {
  const { jobId, workerId } = cfg;
  const { batchId } = r;
  const records = await store.getBatchRecords(jobId, batchId);
  const expected = r.recordEndIndex - r.recordStartIndex + 1;
  if (records.length !== expected || records.some((rec, i) => rec.index !== r.recordStartIndex + i)) {
    throw new Error(`batch ${batchId}: got ${records.length} records, expected ${expected} from ${r.recordStartIndex}`);
  }
  const job = await store.getJobState(jobId); // the engine reads totalRecords here
  if (!job || job.totalRecords <= 0) throw new Error(`getJobState gave no totalRecords for job ${jobId}`);

  let processed = 0;
  let failed = 0;
  for (let i = 0; i < records.length; i++) {
    if (claimNumber === cfg.hangAtClaim && i === Math.floor(records.length / 2)) {
      await send({ type: 'hanging', workerId, batchId, at: Date.now() });
      await cfg.hang();
    }
    if (cfg.fenced && i > 0 && i % cfg.heartbeatEvery === 0) {
      const startedAt = Date.now();
      try {
        await store.heartbeatBatch(jobId, batchId, workerId);
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        await send({ type: 'leaseLost', workerId, batchId, at: startedAt, message: error.message });
        return false;
      }
      await send({ type: 'heartbeat', workerId, batchId, startedAt });
    }
    const out = processedRecord(records[i]!, workerId);
    await store.saveProcessedRecord(jobId, batchId, out);
    if (out.status === 'processed') processed++;
    else failed++;
  }

  const status = cfg.failBatches && batchFails(r.batchIndex) ? 'FAILED' : 'COMPLETED';
  const startedAt = Date.now();
  try {
    await store.updateBatchState(
      jobId, batchId, { batchId, status, processedCount: processed, failedCount: failed },
      cfg.fenced ? { workerId } : {},
    );
  } catch (error) {
    if (!(cfg.fenced && error instanceof LeaseLostError)) throw error;
    await send({ type: 'leaseLost', workerId, batchId, at: startedAt, message: error.message });
    return false;
  }
  await send({
    type: 'done', workerId, batchId, status, processedCount: processed, failedCount: failed, startedAt, finishedAt: Date.now(),
  });
  return true;
}

/**
 * reclaimStaleBatches → claimBatch → getBatchRecords → getJobState →
 * saveProcessedRecord per record → updateBatchState → tryFinalizeJob, until
 * nothing can be claimed and the job is complete (or no longer PROCESSING).
 * While other workers still hold batches it polls, so a dead worker's
 * batches come back through `reclaimStaleBatches`.
 */
export async function workerLoop(store: SequelizeStateStore, cfg: LoopConfig, send: (m: WorkerMessage) => Promise<void>): Promise<void> {
  const { jobId, workerId } = cfg;
  let claims = 0;
  let finalizeCalls = 0;
  for (;;) {
    const release = cfg.turn ? await cfg.turn() : () => undefined;
    let again: boolean;
    try {
      again = await iteration();
    } finally {
      release();
    }
    if (!again) break;
  }
  await send({ type: 'exit', workerId, claims, finalizeCalls });

  /** One pass of the loop; `false` when the worker is done. */
  async function iteration(): Promise<boolean> {
    await store.reclaimStaleBatches(jobId, cfg.staleMs);
    const start = Date.now();
    const result = await store.claimBatch(jobId, workerId);
    const end = Date.now();
    if (!result.claimed) {
      if (result.reason !== 'NO_PENDING_BATCHES') return false; // finalized (JOB_NOT_PROCESSING) or gone
      if ((await store.getDistributedStatus(jobId)).isComplete) return false;
      await sleep(cfg.pollMs ?? 100 + Math.floor(Math.random() * 100));
      return true;
    }
    claims++;
    const r = result.reservation;
    await send({ type: 'claim', workerId, batchId: r.batchId, batchIndex: r.batchIndex, claimedAt: r.claimedAt, start, end });
    if (!(await processBatch(store, cfg, r, claims, send))) return true;
    finalizeCalls++;
    if (await store.tryFinalizeJob(jobId)) {
      const job = await store.getJobState(jobId);
      if (!job) throw new Error('job vanished after finalization');
      const summary = job.batches.reduce(
        (acc, b) => ({ ...acc, processed: acc.processed + b.processedCount, failed: acc.failed + b.failedCount }),
        { processed: 0, failed: 0, status: job.status as string },
      );
      await send({ type: 'finalized', workerId, at: Date.now(), summary });
    }
    return true;
  }
}
