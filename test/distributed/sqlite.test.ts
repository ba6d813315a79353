/**
 * Issue 3 on SQLite, which the seed README documents as development-only: the
 * engine's distributed sequence by several workers on one database file.
 *
 * - In one process, workers on their own Sequelize instances (own
 *   connections) taking turns batch by batch, one of them dying half-way
 *   through a batch: its batch comes back through `reclaimStaleBatches`.
 * - In one process, workers running at the same time (their stores' statements
 *   take turns on the file).
 * - Two worker processes on the same file.
 *
 * Checked as on the server databases: every record once, no batch held by two
 * live workers at once, exactly one finalization, true final counts.
 */
import type { Sequelize } from 'sequelize';
import { SequelizeStateStore } from '../../src';
import { DATABASES, freshStore } from '../helpers/databases';
import { slowTest } from '../helpers/slow';
import { workerLoop, type LoopConfig } from '../engine/distributedWorker';
import {
  describeOutcomes, messagesOf, prepareJob, runWorkers, verifyFinalization, verifyNoOverlap, verifyStore, type PreparedJob,
  type WorkerOutcome,
} from './harness';
import type { WorkerMessage } from '../engine/protocol';

const sqlite = DATABASES.find((d) => d.name === 'sqlite')!;
const TOTAL = Number(process.env.DIST_SQLITE_TOTAL ?? 1_600);
const BATCH_SIZE = 80;

jest.setTimeout(300_000);

class Died extends Error {}

/** A mutex: each caller gets the turn in arrival order. */
function turns(): () => Promise<() => void> {
  let tail = Promise.resolve();
  return () => {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const ready = tail.then(() => release);
    tail = tail.then(() => mine);
    return ready;
  };
}

/** Runs `count` in-process workers, each on its own Sequelize instance on the file; collects their messages. */
async function inProcessWorkers(
  storage: string, prefix: string, job: PreparedJob, count: number,
  config: Omit<LoopConfig, 'jobId' | 'workerId' | 'hang' | 'hangAtClaim'> & { hangAt?: Record<number, number> },
): Promise<WorkerOutcome[]> {
  const instances: Sequelize[] = [];
  try {
    const stores: SequelizeStateStore[] = [];
    for (let n = 0; n < count; n++) {
      const sequelize = sqlite.connect({ storage });
      instances.push(sequelize);
      const store = new SequelizeStateStore(sequelize, { tablePrefix: prefix });
      await store.initialize(); // sets the busy timeout; the tables exist
      stores.push(store);
    }
    const goAt = Date.now();
    return await Promise.all(stores.map(async (store, n) => {
      const workerId = `w${n}`;
      const messages: WorkerMessage[] = [];
      const send = async (m: WorkerMessage): Promise<void> => {
        messages.push(m);
      };
      const hangAtClaim = config.hangAt?.[n];
      let exitCode: number | null = 0;
      let killedAt: number | undefined;
      try {
        await workerLoop(store, {
          ...config, jobId: job.jobId, workerId,
          ...(hangAtClaim ? { hangAtClaim } : {}),
          hang: async () => {
            killedAt = Date.now();
            // A dead process renews nothing: stop this store's lease renewal as its death would.
            await store.close();
            throw new Died('worker died half-way through a batch');
          },
        }, send);
      } catch (error) {
        if (!(error instanceof Died)) {
          const e = error instanceof Error ? error : new Error(String(error));
          messages.push({ type: 'error', workerId, message: e.message, stack: e.stack });
          exitCode = 1;
        } else {
          exitCode = null;
        }
      }
      return { workerId, messages, exitCode, signal: null, goAt, ...(killedAt !== undefined ? { killedAt } : {}) };
    }));
  } finally {
    for (const s of instances) await s.close();
  }
}

describe('distributed import on SQLite (development use)', () => {
  slowTest(`4 workers in one process taking turns, one dying half-way through a batch: ${TOTAL} records, nothing lost`, async () => {
    const fresh = await freshStore(sqlite);
    try {
      const storage = (fresh.sequelize as unknown as { options: { storage: string } }).options.storage;
      const job = await prepareJob(fresh.store, { totalRecords: TOTAL, batchSize: BATCH_SIZE, parallel: 1 });
      const outcomes = await inProcessWorkers(storage, fresh.prefix, job, 4, {
        staleMs: 300, fenced: true, heartbeatEvery: 10, failBatches: true, turn: turns(), pollMs: 100, hangAt: { 1: 2 },
      });
      const digest = describeOutcomes(outcomes);
      expect({ digest, errors: messagesOf(outcomes, 'error').length }).toEqual({ digest, errors: 0 });
      expect(outcomes.filter((o) => o.killedAt !== undefined).map((o) => o.workerId)).toEqual(['w1']);
      const byBatch = verifyNoOverlap(outcomes, job);
      const [hung] = messagesOf(outcomes, 'hanging');
      const tenure = byBatch.get(hung!.batchId)!;
      expect(tenure.map((t) => t.ended)).toEqual(['killed', 'done']);
      expect(tenure[1]!.claimedAt).toBeGreaterThanOrEqual(tenure[0]!.lastHeldAt + 300);
      verifyFinalization(outcomes, true, job);
      await verifyStore(fresh.store, job, true);
    } finally {
      await fresh.drop();
    }
  });

  test(`4 workers in one process at the same time (their store statements taking turns on the file): ${TOTAL} records`, async () => {
    const fresh = await freshStore(sqlite);
    try {
      const storage = (fresh.sequelize as unknown as { options: { storage: string } }).options.storage;
      const job = await prepareJob(fresh.store, { totalRecords: TOTAL, batchSize: BATCH_SIZE, parallel: 1 });
      const outcomes = await inProcessWorkers(storage, fresh.prefix, job, 4, {
        staleMs: 120_000, fenced: false, heartbeatEvery: 10, failBatches: false,
      });
      const digest = describeOutcomes(outcomes);
      expect({ digest, ok: outcomes.every((o) => o.exitCode === 0) }).toEqual({ digest, ok: true });
      const claims = messagesOf(outcomes, 'claim');
      expect(claims).toHaveLength(job.batches.length);
      expect(new Set(claims.map((c) => c.batchId)).size).toBe(job.batches.length);
      verifyNoOverlap(outcomes, job);
      verifyFinalization(outcomes, false, job);
      await verifyStore(fresh.store, job, false);
    } finally {
      await fresh.drop();
    }
  });

  slowTest('2 worker processes on one SQLite file', async () => {
    const fresh = await freshStore(sqlite);
    try {
      const storage = (fresh.sequelize as unknown as { options: { storage: string } }).options.storage;
      const job = await prepareJob(fresh.store, { totalRecords: 1_200, batchSize: BATCH_SIZE, parallel: 1 });
      const outcomes = await runWorkers({
        dialect: 'sqlite', url: storage, prefix: fresh.prefix, jobId: job.jobId, workers: 2, staleMs: 120_000, mode: 'engine',
      });
      const digest = describeOutcomes(outcomes);
      expect({ digest, ok: outcomes.every((o) => o.exitCode === 0) }).toEqual({ digest, ok: true });
      expect(messagesOf(outcomes, 'claim')).toHaveLength(job.batches.length);
      verifyNoOverlap(outcomes, job);
      verifyFinalization(outcomes, false, job);
      await verifyStore(fresh.store, job, false);
    } finally {
      await fresh.drop();
    }
  });
});
