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
 * `tryFinalizeJob`, until there is nothing to claim and the job is complete
 * (engine.ts). While other workers still hold batches it polls (reclaiming
 * stale ones), so the batches of a killed worker come back.
 */
import 'reflect-metadata';
import { Sequelize } from 'sequelize';
import { SequelizeStateStore } from '../../src';
import { workerLoop } from '../engine/distributedWorker';
import type { GoMessage, WorkerEnv, WorkerMessage } from '../engine/protocol';

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

function connect(): Sequelize {
  if (env.DIST_DIALECT === 'sqlite') {
    return new Sequelize({ dialect: 'sqlite', storage: env.DIST_URL, logging: false });
  }
  return new Sequelize(env.DIST_URL, { logging: false, pool: { max: 2, min: 0, acquire: 60_000 } });
}

async function main(): Promise<void> {
  const sequelize = connect();
  const store = new SequelizeStateStore(sequelize, { tablePrefix: env.DIST_PREFIX });
  await sequelize.authenticate();
  // SQLite: initialize() sets this connection's busy timeout (the tables exist already).
  if (env.DIST_DIALECT === 'sqlite') await store.initialize();
  const go = new Promise<void>((resolve) => {
    process.on('message', (message: GoMessage) => {
      if (message && message.type === 'go') resolve();
    });
  });
  await send({ type: 'ready', workerId, pid: process.pid });
  await go;

  await workerLoop(store, {
    jobId, workerId, staleMs, fenced, heartbeatEvery, failBatches,
    ...(hangAt ? { hangAtClaim: hangAt } : {}),
    // Stop here, holding the batch, until the orchestrator kills this process.
    hang: () => {
      setInterval(() => undefined, 1 << 30);
      return new Promise<never>(() => undefined);
    },
  }, send);
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
