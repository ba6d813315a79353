/**
 * The engine's single-process pattern at scale (issue 13, item 1): batches of
 * 5 records, `saveJobState` of the whole job after every batch, default store
 * options, driven call for call by the project's engine model
 * (test/engine/singleProcess.ts). Cost per batch = time inside store calls,
 * over a window of batches around batch 200 and around batch 10,000 of one
 * job of 10,100 batches. Every run (store or limit) on tables of its own.
 */
import type { StateStore } from '../../src/ports';
import { SingleProcessImport, userRecords, usualOutcome } from '../../test/engine/singleProcess';
import { uid, type Ctx } from '../lib/measure';
import { RawEngineStore } from '../lib/rawEngine';
import { scalingCompare, type RunPoints } from '../lib/scaling';
import { withOwnTables, type OwnTables } from '../lib/setup';
import { CallLog, perBatch, timed, type LogSnapshot } from '../lib/timed';
import type { Scenario } from './scenario';

const BATCH_SIZE = 5;

/** Runs one whole job through `store` as the engine does; the cost per batch in the windows ending at `small` and `large`. */
async function runJob(ctx: Ctx, store: StateStore, jobId: string, log: CallLog): Promise<RunPoints> {
  const { scaleSmall: small, scaleLarge: large, scaleWindow: window } = ctx.size;
  // Windows centred on each point: batches (small - w/2, small + w/2], same at large.
  const bounds = [small - window / 2, small + window / 2, large - window / 2, large + window / 2];
  const batches = bounds[3] as number;
  const marks = new Map<number, LogSnapshot>();
  let saves = 0;
  const job = new SingleProcessImport({
    store: timed(store, log),
    records: userRecords(batches * BATCH_SIZE),
    batchSize: BATCH_SIZE,
    outcome: usualOutcome,
    jobId,
    // saveJobState number k + 1 follows batch k (the first is the one before any batch).
    afterCall: (call) => {
      if (call.method !== 'saveJobState') return;
      const done = saves++;
      if (bounds.includes(done)) marks.set(done, log.snapshot());
    },
  });
  await job.start();
  if (job.status !== 'COMPLETED') throw new Error(`job ended ${job.status}: ${String(job.error)}`);
  const at = (from: number, to: number): RunPoints[string] => perBatch(marks.get(from) as LogSnapshot, marks.get(to) as LogSnapshot, to - from);
  return { small: at(bounds[0] as number, bounds[1] as number), large: at(bounds[2] as number, bounds[3] as number) };
}

export const engineSingle: Scenario = {
  id: 'engineSingle',
  measures: 'store cost per batch of the engine\'s single-process pattern (batches of 5, saveJobState of the whole job after every batch) around batch 200 and batch 10,000',
  storeSide: 'test/engine/singleProcess.ts SingleProcessImport on a store with default options: per batch updateBatchState(PROCESSING), 5 × saveProcessedRecord, updateBatchState(COMPLETED), saveJobState(every batch so far)',
  limitSide: 'the same model on raw SQL: batch row upsert, 5 single-row record upserts, batch row upsert, job row upsert + UPDATE naming the new batch\'s index',
  async run(ctx) {
    const { scaleSmall, scaleLarge, scaleWindow } = ctx.size;
    // Each run on tables of its own (see withOwnTables), the store side on a store of its own.
    const side = (make: (own: OwnTables) => StateStore) => (): Promise<RunPoints> =>
      withOwnTables(ctx.location, ctx.raw, 'bes', (own) => runJob(ctx, make(own), uid('eng1'), new CallLog()));
    await scalingCompare(ctx, [{
      id: 'engine-single@scale',
      operation: `engine single-process pattern, batches of ${BATCH_SIZE}: store cost per batch, batch ${scaleSmall} → batch ${scaleLarge.toLocaleString('en')}`,
      small: 'small', large: 'large', smallLabel: `@${scaleSmall}`, largeLabel: `@${scaleLarge.toLocaleString('en')}`, window: scaleWindow,
      limitMethod: 'per batch: INSERT … ON CONFLICT of the batch row, 5 single-row record upserts, the same batch upsert, job row upsert + UPDATE of the new batch\'s index (autocommit, no transaction)',
    }], ctx.options.longRuns,
    side((own) => own.store),
    side((own) => new RawEngineStore(ctx.raw, own.sql, 'single') as unknown as StateStore));
  },
};
