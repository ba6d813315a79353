/**
 * A worker process for the dashboard's browser tests: the engine's worker
 * loop in short (claim → save each record → COMPLETED → try to finalize)
 * with a pause per record so that a page can watch it, or (DASH_HANG=1) a
 * worker that claims one batch, saves half of it, says `hanging` over IPC
 * and waits to be SIGKILLed. Started with `child_process.fork`.
 */
import 'reflect-metadata';
import { Sequelize } from 'sequelize';
import { SequelizeStateStore } from '../../src';

const env = process.env;
const jobId = env.DASH_JOB as string;
const workerId = env.DASH_WORKER as string;
const delayMs = Number(env.DASH_DELAY_MS ?? 0);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const sequelize = new Sequelize({ dialect: 'sqlite', storage: env.DASH_DB, logging: false });
  const store = new SequelizeStateStore(sequelize, { tablePrefix: env.DASH_PREFIX });
  await store.initialize(); // the tables exist; this sets the connection's busy timeout
  process.send?.({ type: 'ready' });
  for (;;) {
    const claim = await store.claimBatch(jobId, workerId);
    if (!claim.claimed) break;
    const { batchId } = claim.reservation;
    const records = await store.getBatchRecords(jobId, batchId);
    let processed = 0;
    let failed = 0;
    for (const [i, record] of records.entries()) {
      if (env.DASH_HANG === '1' && i === Math.floor(records.length / 2)) {
        process.send?.({ type: 'hanging', batchId });
        setInterval(() => undefined, 1 << 30);
        await new Promise<never>(() => undefined);
      }
      const fails = record.index % 7 === 3;
      await store.saveProcessedRecord(jobId, batchId, {
        ...record,
        status: fails ? 'failed' : 'processed',
        errors: fails ? [{ field: 'email', code: 'PATTERN_MISMATCH', message: 'not an email', severity: 'error' }] : [],
      });
      if (fails) failed++;
      else processed++;
      if (delayMs > 0) await sleep(delayMs);
    }
    await store.updateBatchState(jobId, batchId, { batchId, status: 'COMPLETED', processedCount: processed, failedCount: failed });
    await store.tryFinalizeJob(jobId);
  }
  await store.close();
  await sequelize.close();
}

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`dashboard test worker ${workerId}: ${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
