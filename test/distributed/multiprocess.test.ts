/**
 * Issue 3: the engine's distributed sequence run for real, by worker
 * PROCESSES (worker.ts, each with its own Sequelize instance and pool) against
 * PostgreSQL and MariaDB (through both the `mariadb` and `mysql` dialects).
 *
 * 20,000 records in 250 batches, 8 workers started at once. Checked from the
 * workers' claim log and from the store afterwards: every record processed
 * exactly once by index, no batch held by two live workers at once, exactly
 * one finalization, the job's final status, and batch counts that sum to the
 * true totals (the engine's job summary).
 */
import { SERVER_DATABASES, SKIPPED, freshStore, type TestDatabase } from '../helpers/databases';
import type { SequelizeStateStore } from '../../src';
import {
  describeOutcomes, expectedBatch, messagesOf, prepareJob, runWorkers, tenures, type PreparedJob, type Tenure, type WorkerOutcome,
} from './harness';
import { recordFails } from './protocol';

/** Records per job; `DIST_TOTAL` overrides it for quick local runs. */
const TOTAL = Number(process.env.DIST_TOTAL ?? 20_000);
const BATCH_SIZE = 80; // 250 batches
const WORKERS = 8;
/** Clock granularity between the database's `claimedAt` and the workers' `Date.now()` (same host). */
const CLOCK_SLACK_MS = 2;

jest.setTimeout(480_000);

if (SERVER_DATABASES.length === 0) {
  test.skip(`multi-process distributed tests need a server database: ${SKIPPED.join(', ')}`, () => undefined);
}

/** The store's final state is the true outcome of the job. */
async function verifyStore(store: SequelizeStateStore, job: PreparedJob, failBatches: boolean): Promise<void> {
  const processed = await store.getProcessedRecords(job.jobId);
  const failed = await store.getFailedRecords(job.jobId);
  const pending = await store.getPendingRecords(job.jobId);
  expect(pending).toHaveLength(0);
  expect(processed.length + failed.length).toBe(TOTAL);
  const seen = new Uint8Array(TOTAL);
  for (const r of [...processed, ...failed]) seen[r.index] = (seen[r.index] ?? 0) + 1;
  expect(seen.every((n) => n === 1)).toBe(true);
  expect(failed.every((r) => recordFails(r.index))).toBe(true);
  expect(processed.every((r) => !recordFails(r.index) && typeof r.parsed.processedBy === 'string')).toBe(true);
  const expectedFailed = Array.from({ length: TOTAL }, (_, i) => i).filter(recordFails).length;
  expect(failed).toHaveLength(expectedFailed);

  const state = await store.getJobState(job.jobId);
  expect(state).not.toBeNull();
  const anyFailed = failBatches && job.batches.some((b) => expectedBatch(b, true).status === 'FAILED');
  expect(state!.status).toBe(anyFailed ? 'FAILED' : 'COMPLETED');
  expect(typeof state!.completedAt).toBe('number');
  expect(state!.batches).toHaveLength(job.batches.length);
  for (const [i, b] of state!.batches.entries()) {
    const want = expectedBatch(job.batches[i]!, failBatches);
    expect({ id: b.id, index: b.index, status: b.status, processed: b.processedCount, failed: b.failedCount }).toEqual({
      id: job.batches[i]!.id, index: i, status: want.status, processed: want.processed, failed: want.failed,
    });
  }
  // The engine's job summary: sums over getJobState().batches.
  const sumProcessed = state!.batches.reduce((a, b) => a + b.processedCount, 0);
  const sumFailed = state!.batches.reduce((a, b) => a + b.failedCount, 0);
  expect({ sumProcessed, sumFailed }).toEqual({ sumProcessed: TOTAL - expectedFailed, sumFailed: expectedFailed });

  const status = await store.getDistributedStatus(job.jobId);
  const failedBatches = job.batches.filter((b) => expectedBatch(b, failBatches).status === 'FAILED').length;
  expect(status).toEqual({
    jobId: job.jobId,
    totalBatches: job.batches.length,
    completedBatches: job.batches.length - failedBatches,
    failedBatches,
    processingBatches: 0,
    pendingBatches: 0,
    isComplete: true,
  });
  const progress = await store.getProgress(job.jobId);
  expect(progress).toMatchObject({
    totalRecords: TOTAL, processedRecords: TOTAL - expectedFailed, failedRecords: expectedFailed, pendingRecords: 0, percentage: 100,
  });
}

/** Exactly one worker finalized, and its summary is the truth. */
function verifyFinalization(outcomes: readonly WorkerOutcome[], failBatches: boolean, job: PreparedJob): void {
  const finalized = messagesOf(outcomes, 'finalized');
  expect(finalized).toHaveLength(1);
  const expectedFailed = Array.from({ length: TOTAL }, (_, i) => i).filter(recordFails).length;
  const anyFailed = failBatches && job.batches.some((b) => expectedBatch(b, true).status === 'FAILED');
  expect(finalized[0]!.summary).toEqual({
    processed: TOTAL - expectedFailed, failed: expectedFailed, status: anyFailed ? 'FAILED' : 'COMPLETED',
  });
}

/**
 * No batch held by two live workers at once: for consecutive tenures of a
 * batch, the earlier one's last proof of holding it (a fenced operation that
 * succeeded, started at `lastHeldAt`) comes no later than the next claim.
 */
function verifyNoOverlap(outcomes: readonly WorkerOutcome[], job: PreparedJob): Map<string, Tenure[]> {
  const byBatch = tenures(outcomes);
  expect(byBatch.size).toBe(job.batches.length);
  for (const [batchId, list] of byBatch) {
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const next = list[i]!;
      expect(prev.ended).not.toBe('done'); // a completed batch is never handed out again
      if (prev.lastHeldAt > next.claimedAt + CLOCK_SLACK_MS) {
        throw new Error(`batch ${batchId} held by ${prev.workerId} until ${prev.lastHeldAt} but claimed by ${next.workerId} at ${next.claimedAt}`);
      }
    }
    // Each batch completed exactly once, by its last holder.
    expect(list.filter((t) => t.ended === 'done')).toHaveLength(1);
    expect(list[list.length - 1]!.ended).toBe('done');
  }
  return byBatch;
}

describe.each(SERVER_DATABASES.map((db) => [db.name, db] as [string, TestDatabase]))(
  'distributed import by %s worker processes',
  (name, db) => {
    test(`${WORKERS} processes, ${TOTAL} records in ${Math.ceil(TOTAL / BATCH_SIZE)} batches, the engine's call sequence`, async () => {
      const fresh = await freshStore(db, { poolMax: 4 });
      try {
        const job = await prepareJob(fresh.store, { totalRecords: TOTAL, batchSize: BATCH_SIZE });
        const outcomes = await runWorkers({
          dialect: name, url: db.url!, prefix: fresh.prefix, jobId: job.jobId,
          workers: WORKERS, staleMs: 120_000, mode: 'engine',
        });
        const digest = describeOutcomes(outcomes);
        expect({ digest, ok: outcomes.every((o) => o.exitCode === 0) }).toEqual({ digest, ok: true });
        expect(messagesOf(outcomes, 'error')).toEqual([]);

        // Normal run: every batch claimed exactly once and completed once.
        const claims = messagesOf(outcomes, 'claim');
        expect(claims).toHaveLength(job.batches.length);
        expect(new Set(claims.map((c) => c.batchId)).size).toBe(job.batches.length);
        expect(messagesOf(outcomes, 'done')).toHaveLength(job.batches.length);
        verifyNoOverlap(outcomes, job);
        // Real concurrency: more than one worker did work.
        const busy = outcomes.filter((o) => o.messages.some((m) => m.type === 'claim')).length;
        expect(busy).toBeGreaterThan(1);

        verifyFinalization(outcomes, false, job);
        await verifyStore(fresh.store, job, false);
      } finally {
        await fresh.drop();
      }
    });

    test(`${WORKERS} processes, three SIGKILLed half-way through a batch: their batches are reclaimed, nothing lost`, async () => {
      const fresh = await freshStore(db, { poolMax: 4 });
      try {
        const job = await prepareJob(fresh.store, { totalRecords: TOTAL, batchSize: BATCH_SIZE });
        const outcomes = await runWorkers({
          dialect: name, url: db.url!, prefix: fresh.prefix, jobId: job.jobId,
          workers: WORKERS, staleMs: 1500, mode: 'fenced', failBatches: true,
          hangAt: { 0: 2, 1: 3, 2: 1 },
        });
        const digest = describeOutcomes(outcomes);
        const killed = outcomes.filter((o) => o.killedAt !== undefined);
        expect(killed).toHaveLength(3);
        expect(killed.every((o) => o.signal === 'SIGKILL')).toBe(true);
        const survivors = outcomes.filter((o) => o.killedAt === undefined);
        expect({ digest, ok: survivors.every((o) => o.exitCode === 0) }).toEqual({ digest, ok: true });
        expect(messagesOf(outcomes, 'error')).toEqual([]);

        const byBatch = verifyNoOverlap(outcomes, job);
        // The killed workers' batches were claimed again, after they went stale.
        const hung = messagesOf(outcomes, 'hanging');
        expect(hung).toHaveLength(3);
        for (const h of hung) {
          const list = byBatch.get(h.batchId)!;
          const k = list.findIndex((t) => t.workerId === h.workerId);
          expect(list[k]!.ended).toBe('killed');
          const again = list[k + 1];
          expect(again).toBeDefined();
          expect(again!.workerId).not.toBe(h.workerId);
          expect(again!.claimedAt).toBeGreaterThanOrEqual(list[k]!.lastHeldAt + 1500 - CLOCK_SLACK_MS);
        }
        expect(messagesOf(outcomes, 'done')).toHaveLength(job.batches.length);

        verifyFinalization(outcomes, true, job);
        await verifyStore(fresh.store, job, true);
      } finally {
        await fresh.drop();
      }
    });
  },
);
