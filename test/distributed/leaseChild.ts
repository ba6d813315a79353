/**
 * A worker process for the lease tests: it claims one batch the engine's way
 * (`reclaimStaleBatches(job, staleMs)` then `claimBatch`, no heartbeat) and
 * then, on the parent's word, either stalls (blocks its event loop, as a
 * process stuck in synchronous work does) and reports the batch the engine's
 * way (no worker id), or returns from its main function without `close()`.
 * Messages: `{ type: 'claimed', batchId }`, `{ type: 'reported', outcome }`.
 */
import 'reflect-metadata';
import { Sequelize } from 'sequelize';
import { LeaseLostError, SequelizeStateStore } from '../../src';

const env = process.env as Record<string, string>;
const send = (message: unknown): Promise<void> => new Promise((resolve) => process.send?.(message, undefined, {}, () => resolve()));

async function main(): Promise<void> {
  const sequelize = env.LEASE_DIALECT === 'sqlite'
    ? new Sequelize({ dialect: 'sqlite', storage: env.LEASE_URL, logging: false })
    : new Sequelize(env.LEASE_URL, { logging: false, pool: { max: 2, min: 0 } });
  const store = new SequelizeStateStore(sequelize, { tablePrefix: env.LEASE_PREFIX });
  const jobId = env.LEASE_JOB_ID;
  await store.reclaimStaleBatches(jobId, Number(env.LEASE_STALE_MS));
  const claim = await store.claimBatch(jobId, env.LEASE_WORKER_ID);
  if (!claim.claimed) throw new Error(`nothing to claim: ${claim.reason}`);
  const batchId = claim.reservation.batchId;
  const word = new Promise<string>((resolve) => process.on('message', (m: { type: string }) => resolve(m.type)));
  await send({ type: 'claimed', batchId });
  if ((await word) === 'stall') {
    const until = Date.now() + Number(env.LEASE_STALL_MS);
    while (Date.now() < until) { /* stuck: no timer runs, no lease renewal */ }
    const outcome = await store.updateBatchState(jobId, batchId, { batchId, status: 'COMPLETED', processedCount: 1, failedCount: 0 })
      .then(() => 'landed', (e: unknown) => (e instanceof LeaseLostError ? 'LeaseLostError' : String(e)));
    await send({ type: 'reported', outcome });
    await store.close();
    await sequelize.close();
    process.disconnect?.();
    return;
  }
  // 'leave': end without store.close(); the lease's renewal timer must not keep the process alive.
  process.disconnect?.();
  await sequelize.close();
}

main().catch(async (error: unknown) => {
  await send({ type: 'error', message: String(error) });
  process.exit(1);
});
