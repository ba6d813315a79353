/**
 * A distributed-import worker process for the tests in this folder. Started
 * by the orchestrator with `child_process.fork` under
 * `node -r ts-node/register/transpile-only`; configured by the environment
 * variables of {@link WorkerEnv}; reports every step over IPC
 * ({@link WorkerMessage}).
 *
 * It opens its own Sequelize instance and `SequelizeStateStore` (same table
 * prefix as the orchestrator) and runs the engine's worker loop of
 * `DistributedImport` (PORTS.md, "How the engine calls the store"):
 * `reclaimStaleBatches` → `claimBatch` → `getBatchRecords` → `getJobState` →
 * `saveProcessedRecord` per record → `updateBatchState(COMPLETED|FAILED)` →
 * `tryFinalizeJob`, until there is nothing to claim and the job is complete.
 * While other workers still hold batches it polls (reclaiming stale ones), so
 * the batches of a killed worker come back.
 */
import 'reflect-metadata';
import { Sequelize } from 'sequelize';
import { LeaseLostError, SequelizeStateStore } from '../../src';
import { batchFails, processedRecord, type GoMessage, type WorkerEnv, type WorkerMessage } from './protocol';

const env = process.env as unknown as WorkerEnv;
const workerId = env.DIST_WORKER_ID;
const jobId = env.DIST_JOB_ID;
const staleMs = Number(env.DIST_STALE_MS);
const fenced = env.DIST_MODE === 'fenced';
const hangAt = env.DIST_HANG_AT_CLAIM ? Number(env.DIST_HANG_AT_CLAIM) : 0;
const heartbeatEvery = Number(env.DIST_HEARTBEAT_EVERY ?? 10);
const failBatches = env.DIST_FAIL_BATCHES === '1';

/** Sends one message and waits until it has been handed to the IPC channel. */
function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('worker.ts must be started with child_process.fork (no IPC channel)'));
      return;
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function connect(): Sequelize {
  if (env.DIST_DIALECT === 'sqlite') {
    return new Sequelize({ dialect: 'sqlite', storage: env.DIST_URL, logging: false });
  }
  return new Sequelize(env.DIST_URL, { logging: false, pool: { max: 2, min: 0, acquire: 60_000 } });
}

/** Processes one claimed batch; returns false if the lease was lost (fenced mode). */
async function processBatch(
  store: SequelizeStateStore,
  reservation: { batchId: string; batchIndex: number; recordStartIndex: number; recordEndIndex: number },
  claimNumber: number,
): Promise<boolean> {
  const { batchId } = reservation;
  const records = await store.getBatchRecords(jobId, batchId);
  const expected = reservation.recordEndIndex - reservation.recordStartIndex + 1;
  if (records.length !== expected || records.some((r, i) => r.index !== reservation.recordStartIndex + i)) {
    throw new Error(`batch ${batchId}: got ${records.length} records, expected ${expected} from ${reservation.recordStartIndex}`);
  }
  const job = await store.getJobState(jobId); // the engine reads totalRecords here
  if (!job || job.totalRecords <= 0) throw new Error(`getJobState gave no totalRecords for job ${jobId}`);

  let processed = 0;
  let failed = 0;
  for (let i = 0; i < records.length; i++) {
    if (claimNumber === hangAt && i === Math.floor(records.length / 2)) {
      await send({ type: 'hanging', workerId, batchId, at: Date.now() });
      // Stop here, holding the batch, until the orchestrator kills this process.
      setInterval(() => undefined, 1 << 30);
      await new Promise(() => undefined);
    }
    if (fenced && i > 0 && i % heartbeatEvery === 0) {
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

  const status = failBatches && batchFails(reservation.batchIndex) ? 'FAILED' : 'COMPLETED';
  const startedAt = Date.now();
  try {
    await store.updateBatchState(
      jobId, batchId, { batchId, status, processedCount: processed, failedCount: failed },
      fenced ? { workerId } : {},
    );
  } catch (error) {
    if (!(fenced && error instanceof LeaseLostError)) throw error;
    await send({ type: 'leaseLost', workerId, batchId, at: startedAt, message: error.message });
    return false;
  }
  await send({
    type: 'done', workerId, batchId, status, processedCount: processed, failedCount: failed, startedAt, finishedAt: Date.now(),
  });
  return true;
}

async function main(): Promise<void> {
  const sequelize = connect();
  const store = new SequelizeStateStore(sequelize, { tablePrefix: env.DIST_PREFIX });
  await sequelize.authenticate();
  const go = new Promise<void>((resolve) => {
    process.on('message', (message: GoMessage) => {
      if (message && message.type === 'go') resolve();
    });
  });
  await send({ type: 'ready', workerId, pid: process.pid });
  await go;

  let claims = 0;
  let finalizeCalls = 0;
  for (;;) {
    await store.reclaimStaleBatches(jobId, staleMs);
    const start = Date.now();
    const result = await store.claimBatch(jobId, workerId);
    const end = Date.now();
    if (!result.claimed) {
      if (result.reason !== 'NO_PENDING_BATCHES') break; // finalized (JOB_NOT_PROCESSING) or gone
      const status = await store.getDistributedStatus(jobId);
      if (status.isComplete) break;
      // Batches still held by others (perhaps dead): poll, reclaiming stale ones.
      await sleep(100 + Math.floor(Math.random() * 100));
      continue;
    }
    claims++;
    const r = result.reservation;
    await send({ type: 'claim', workerId, batchId: r.batchId, batchIndex: r.batchIndex, claimedAt: r.claimedAt, start, end });
    if (!(await processBatch(store, r, claims))) continue;
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
  }
  await send({ type: 'exit', workerId, claims, finalizeCalls });
  await store.close();
  await sequelize.close();
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    await send({ type: 'error', workerId, message: e.message, stack: e.stack }).catch(() => undefined);
    process.exit(1);
  },
);
