/**
 * An orchestrator SIGKILLed in the middle of prepare (a child process doing
 * saveBatchRecords batch after batch, each a multi-statement transaction)
 * leaves every batch either whole or absent; run again with the same job and
 * batch ids it completes, and workers then process every record exactly once.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { QueryTypes } from 'sequelize';
import type { SequelizeStateStore } from '../../src';
import { DATABASES, freshStore, type TestDatabase } from '../helpers/databases';
import { slowDescribe } from '../helpers/slow';

const BATCHES = 4;
const SIZE = 1001; // more than one 1,000-row statement per batch: each save is a transaction
const SCRIPT = path.join(__dirname, 'fixtures', 'orchestrator.ts');

/** Runs the orchestrator; with `killAfter`, SIGKILLs it once it has reported that many saved batches. */
function orchestrate(url: string, prefix: string, jobId: string, killAfter?: number): Promise<{ lines: string[]; signal: string | null; code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', SCRIPT], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, CRASH_URL: url, CRASH_PREFIX: prefix, CRASH_JOB: jobId, CRASH_BATCHES: String(BATCHES), CRASH_SIZE: String(SIZE) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let buffered = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (killAfter !== undefined && line === `saved ${killAfter - 1}`) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ lines, signal, code, stderr }));
  });
}

function urlOf(db: TestDatabase, sequelize: { options?: { storage?: string } }): string {
  return db.name === 'sqlite' ? `sqlite:${sequelize.options?.storage}` : (db.url as string);
}

async function recordCountsByBatch(store: SequelizeStateStore, jobId: string): Promise<Map<string, number>> {
  const q = store.sequelize.getDialect() === 'postgres' || store.sequelize.getDialect() === 'sqlite' ? '"' : '`';
  const rows = await store.sequelize.query<{ b: string; n: unknown }>(
    `SELECT ${q}batch_id${q} AS b, COUNT(*) AS n FROM ${store.tables.records} WHERE ${q}job_id${q} = $1 GROUP BY ${q}batch_id${q}`,
    { bind: [jobId], type: QueryTypes.SELECT },
  );
  return new Map(rows.map((r) => [r.b, Number(r.n)]));
}

/** An in-process worker loop, as the engine's processWorkerBatch does it. */
async function worker(store: SequelizeStateStore, jobId: string, workerId: string, seen: number[]): Promise<void> {
  for (;;) {
    await store.reclaimStaleBatches(jobId, 60_000);
    const claim = await store.claimBatch(jobId, workerId);
    if (!claim.claimed) return;
    const { batchId } = claim.reservation;
    const records = await store.getBatchRecords(jobId, batchId);
    for (const r of records) {
      await store.saveProcessedRecord(jobId, batchId, { ...r, status: 'processed' });
      seen.push(r.index);
    }
    await store.updateBatchState(jobId, batchId, { batchId, status: 'COMPLETED', processedCount: records.length, failedCount: 0 }, { workerId });
    await store.tryFinalizeJob(jobId);
  }
}

// Child processes killed and run again: SLOW_TESTS=1 only.
slowDescribe.each(DATABASES.map((d) => [d.name, d] as const))('orchestrator crash on %s', (_name, db) => {
  test('killed mid-prepare, run again, then every record is processed once', async () => {
    const ctx = await freshStore(db);
    try {
      const { store } = ctx;
      const jobId = 'crash-job';
      const url = urlOf(db, ctx.sequelize as unknown as { options?: { storage?: string } });
      const first = await orchestrate(url, ctx.prefix, jobId, 2);
      expect(first.signal).toBe('SIGKILL');
      expect(first.lines).not.toContain('prepared');
      // Every batch is whole or absent: none half-written.
      const afterCrash = await recordCountsByBatch(store, jobId);
      for (const n of afterCrash.values()) expect(n).toBe(SIZE);
      expect(afterCrash.size).toBeGreaterThanOrEqual(2);
      expect(afterCrash.size).toBeLessThan(BATCHES);
      expect(await store.getJobState(jobId)).toBeNull();
      // The same orchestrator, same ids, again.
      const second = await orchestrate(url, ctx.prefix, jobId);
      expect(second.stderr).toBe('');
      expect(second.code).toBe(0);
      expect(second.lines).toContain('prepared');
      const seen: number[] = [];
      await Promise.all(['w1', 'w2', 'w3'].map((w) => worker(store, jobId, w, seen)));
      const total = BATCHES * SIZE;
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
      const processed = await store.getProcessedRecords(jobId);
      expect(processed.map((r) => r.index)).toEqual(Array.from({ length: total }, (_, i) => i));
      const counts = await recordCountsByBatch(store, jobId);
      expect([...counts.values()]).toEqual(Array.from({ length: BATCHES }, () => SIZE));
      const state = await store.getJobState(jobId);
      expect(state?.status).toBe('COMPLETED');
      expect(state?.batches.reduce((n, b) => n + b.processedCount, 0)).toBe(total);
      expect(await store.getProgress(jobId)).toMatchObject({ totalRecords: total, processedRecords: total, pendingRecords: 0, percentage: 100 });
    } finally {
      await ctx.drop();
    }
  }, 400_000);
});
