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
import { SERVER_DATABASES, freshStore, type TestDatabase } from '../helpers/databases';
import {
  CLOCK_SLACK_MS, describeOutcomes, messagesOf, prepareJob, runWorkers, verifyFinalization, verifyNoOverlap, verifyStore,
} from './harness';

/** Records per job; `DIST_TOTAL` overrides it for quick local runs. */
const TOTAL = Number(process.env.DIST_TOTAL ?? 20_000);
const BATCH_SIZE = 80; // 250 batches
const WORKERS = 8;

jest.setTimeout(480_000);

// Left out of the run without a server URL or SLOW_TESTS=1 (jest.config.js).
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
        // Real concurrency: several workers did work, and held batches at the same moments.
        const busy = outcomes.filter((o) => o.messages.some((m) => m.type === 'claim')).length;
        expect(busy).toBeGreaterThan(1);
        const edges = messagesOf(outcomes, 'done').flatMap((d) => {
          const claim = claims.find((c) => c.batchId === d.batchId)!;
          return [[claim.claimedAt, 1], [d.finishedAt, -1]] as [number, number][];
        }).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        let holding = 0;
        let most = 0;
        for (const [, step] of edges) most = Math.max(most, (holding += step));
        expect(most).toBeGreaterThan(1);

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
