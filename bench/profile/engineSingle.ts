/**
 * Profile helper (not part of `npm run bench`): the engine's single-process
 * pattern (batches of 5, saveJobState of the whole job after every batch) on
 * one dialect, printing the store's cost per batch by call every `every`
 * batches, so that `node --cpu-prof` or the database's own statistics show
 * where the cost at batch 10,000 goes. `--raw` drives the raw-SQL stand-in
 * instead; `--keep` leaves the tables (prefix printed) for EXPLAIN.
 *
 *   node -r ts-node/register/transpile-only bench/profile/engineSingle.ts postgres 10000 [every=1000] [--raw] [--keep]
 */
import type { StateStore } from '../../src/ports';
import { SingleProcessImport, userRecords, usualOutcome } from '../../test/engine/singleProcess';
import { RawSql } from '../lib/raw';
import { RawEngineStore } from '../lib/rawEngine';
import { locations, openRaw, openStore } from '../lib/setup';
import { CallLog, perBatch, timed, type LogSnapshot } from '../lib/timed';

(Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;

async function main(): Promise<void> {
  const [dialect = 'postgres', n = '10000', every = '1000'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const location = locations().find((l) => l.dialect === dialect);
  if (!location) throw new Error(`no ${dialect}`);
  const prefix = `benchpe${process.pid.toString(36)}_`;
  const { sequelize, store } = await openStore(location, prefix);
  const raw = await openRaw(location);
  const target: StateStore = process.argv.includes('--raw') ? new RawEngineStore(raw, new RawSql(location.dialect, store.tables), 'single') as unknown as StateStore : store;
  const log = new CallLog();
  const step = Number(every);
  let saves = 0;
  let last: LogSnapshot = log.snapshot();
  const job = new SingleProcessImport({
    store: timed(target, log), records: userRecords(Number(n) * 5), batchSize: 5, outcome: usualOutcome,
    afterCall: (call) => {
      if (call.method !== 'saveJobState') return;
      const done = saves++;
      if (done > 0 && done % step === 0) {
        const now = log.snapshot();
        const c = perBatch(last, now, step);
        console.log(`batches ${done - step + 1}–${done}: ${c.ms.toFixed(2)} ms/batch; ${Object.entries(c.byMethod).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
        last = now;
      }
    },
  });
  try {
    await job.start();
  } finally {
    await raw.close();
    await store.close();
    if (process.argv.includes('--keep')) console.log(`tables kept: ${prefix}*, job ${job.jobId}`);
    else for (const m of [store.models.Record, store.models.Batch, store.models.Job]) await m.drop();
    await sequelize.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
