/**
 * A demo worker process: claims and processes batches the way
 * `@batchactions/distributed` workers do, until the job is done.
 *
 * Loop: reclaimStaleBatches → claimBatch → getBatchRecords → getJobState →
 * saveProcessedRecord per record → updateBatchState(COMPLETED) → tryFinalizeJob.
 * Beyond the engine: while it holds a batch the worker renews its lease
 * (heartbeatBatch) so a short stale timeout never takes a batch from a live
 * worker, and it completes the batch fenced by its worker id (a worker whose
 * batch was reclaimed gets LeaseLostError instead of overwriting).
 *
 * Talks to the orchestrator over IPC (see `WorkerMessage`).
 */
import { LeaseLostError } from '../src/errors';
import { processRecord } from './csv';
import { openDemoDb } from './db';

/** What the orchestrator passes in `DEMO_WORKER` (JSON). */
export interface WorkerConfig {
  readonly url: string;
  readonly prefix: string;
  readonly jobId: string;
  readonly workerId: string;
  readonly staleMs: number;
  readonly heartbeatMs: number;
  /** Ask the orchestrator before the second half of each batch (the worker it may kill). */
  readonly pauseMidBatch: boolean;
  /** Simulated work per record, ms. */
  readonly workMs: number;
}

/** Messages a worker sends. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'claimed'; batchIndex: number; batchId: string; records: number }
  | { type: 'midBatch'; batchIndex: number; written: number; records: number }
  | { type: 'reclaimed'; count: number }
  | { type: 'batchDone'; batchIndex: number; processed: number; failed: number }
  | { type: 'leaseLost'; batchIndex: number; message: string }
  | { type: 'finalized'; status: string; processed: number; failed: number }
  | { type: 'done'; batches: number; records: number }
  | { type: 'error'; message: string };

/** Messages the orchestrator sends. */
export type OrchestratorMessage = { type: 'go' } | { type: 'continue' };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) { resolve(); return; }
    process.send(message, undefined, {}, () => resolve());
  });
}

const waiting: ((m: OrchestratorMessage) => void)[] = [];
process.on('message', (m: OrchestratorMessage) => {
  const next = waiting.shift();
  if (next) next(m);
});
function nextMessage(): Promise<OrchestratorMessage> {
  return new Promise((resolve) => waiting.push(resolve));
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.DEMO_WORKER ?? '{}') as WorkerConfig;
  const { jobId, workerId } = config;
  const db = await openDemoDb(config.url, config.prefix, 2);
  const { store } = db;
  const go = nextMessage();
  await send({ type: 'ready' });
  await go;

  let batches = 0;
  let records = 0;
  try {
    for (;;) {
      const reclaimed = await store.reclaimStaleBatches(jobId, config.staleMs);
      if (reclaimed > 0) await send({ type: 'reclaimed', count: reclaimed });
      const claim = await store.claimBatch(jobId, workerId);
      if (!claim.claimed) {
        if (claim.reason === 'NO_PENDING_BATCHES') {
          const status = await store.getDistributedStatus(jobId);
          // Another worker holds a batch: if it dies, its lease goes stale
          // and this worker takes the batch over. Wait for that.
          if (!status.isComplete && status.processingBatches > 0) {
            await sleep(Math.min(500, config.staleMs / 4));
            continue;
          }
          if (status.isComplete && (await store.tryFinalizeJob(jobId))) await reportFinal();
        }
        break;
      }
      const { batchId, batchIndex } = claim.reservation;
      const batchRecords = await store.getBatchRecords(jobId, batchId);
      await store.getJobState(jobId); // the engine reads totalRecords here
      await send({ type: 'claimed', batchIndex, batchId, records: batchRecords.length });

      let lost: unknown;
      const heartbeat = setInterval(() => {
        store.heartbeatBatch(jobId, batchId, workerId).catch((error: unknown) => { lost = error; });
      }, config.heartbeatMs);
      let processed = 0;
      let failed = 0;
      try {
        const mid = Math.floor(batchRecords.length / 2);
        for (let i = 0; i < batchRecords.length && !lost; i++) {
          if (config.pauseMidBatch && i === mid) {
            const answer = nextMessage();
            await send({ type: 'midBatch', batchIndex, written: i, records: batchRecords.length });
            await answer;
          }
          const result = processRecord(batchRecords[i] as (typeof batchRecords)[number]);
          if (config.workMs > 0) await sleep(config.workMs);
          await store.saveProcessedRecord(jobId, batchId, result);
          if (result.status === 'processed') processed++;
          else failed++;
        }
      } finally {
        clearInterval(heartbeat);
      }
      try {
        if (lost) throw lost;
        await store.updateBatchState(jobId, batchId, { batchId, status: 'COMPLETED', processedCount: processed, failedCount: failed }, { workerId });
      } catch (error) {
        if (error instanceof LeaseLostError) {
          await send({ type: 'leaseLost', batchIndex, message: error.message });
          continue;
        }
        throw error;
      }
      batches++;
      records += processed + failed;
      await send({ type: 'batchDone', batchIndex, processed, failed });
      if (await store.tryFinalizeJob(jobId)) await reportFinal();
    }
    await send({ type: 'done', batches, records });
  } finally {
    await db.close();
  }

  async function reportFinal(): Promise<void> {
    // As the engine does: the finalizing worker sums the batches' counts.
    const job = await store.getJobState(jobId);
    const processed = job?.batches.reduce((n, b) => n + b.processedCount, 0) ?? 0;
    const failed = job?.batches.reduce((n, b) => n + b.failedCount, 0) ?? 0;
    await send({ type: 'finalized', status: job?.status ?? 'UNKNOWN', processed, failed });
  }
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    await send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
