/**
 * One claim-and-complete cycle as a distributed worker runs it: claim the
 * next batch, mark it COMPLETED, try to finalize the job. Through the store
 * and through the raw driver with hand-written SQL.
 */
import type { SequelizeStateStore } from '../../src';
import type { RawConnection, RawSql } from './raw';

/** Store cycle; `false` when there was nothing left to claim. */
export async function storeCycle(store: SequelizeStateStore, jobId: string, workerId: string): Promise<boolean> {
  const claim = await store.claimBatch(jobId, workerId);
  if (!claim.claimed) return false;
  const { batchId } = claim.reservation;
  await store.updateBatchState(jobId, batchId, { batchId, status: 'COMPLETED', processedCount: 500, failedCount: 0 });
  await store.tryFinalizeJob(jobId);
  return true;
}

/** Runs `fn` again after a deadlock (MariaDB 1213, PostgreSQL 40P01), as any real client must. */
export async function retryDeadlock<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const e = error as { errno?: number; code?: string };
      if (attempt >= 5 || !(e.errno === 1213 || e.code === '40P01')) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}

/** The row a raw claim returns. */
export interface RawClaimed {
  batch_id: string;
  batch_index: number | string;
  record_start_index: number | string | null;
  record_end_index: number | string | null;
}

/** Raw claim of the lowest-index PENDING batch; its row, or `undefined`. */
export async function rawClaimRow(raw: RawConnection, sql: RawSql, jobId: string, workerId: string): Promise<RawClaimed | undefined> {
  if (raw.dialect === 'mariadb') {
    await raw.run('START TRANSACTION');
    try {
      const [row] = await raw.rows<RawClaimed>(sql.claimSelect(), [jobId]);
      if (row) await raw.run(sql.claimUpdate(), [workerId, jobId, row.batch_id]);
      await raw.run('COMMIT');
      return row;
    } catch (error) {
      await raw.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
  // `?` parameters bind in text order: worker, job, job.
  const params = raw.dialect === 'postgres' ? [jobId, workerId] : [workerId, jobId, jobId];
  const [row] = await raw.rows<RawClaimed>(sql.claimOneStatement(), params);
  return row;
}

/** Raw claim of the lowest-index PENDING batch; its id, or `undefined`. */
export async function rawClaim(raw: RawConnection, sql: RawSql, jobId: string, workerId: string): Promise<string | undefined> {
  return (await rawClaimRow(raw, sql, jobId, workerId))?.batch_id;
}

/** Raw cycle; `false` when there was nothing left to claim. */
export async function rawCycle(raw: RawConnection, sql: RawSql, jobId: string, workerId: string): Promise<boolean> {
  const batchId = await retryDeadlock(() => rawClaim(raw, sql, jobId, workerId));
  if (batchId === undefined) return false;
  await retryDeadlock(() => raw.run(sql.updateBatch(), ['COMPLETED', 500, 0, jobId, batchId]));
  await retryDeadlock(() => raw.run(sql.finalize(), sql.finalizeParams(jobId)));
  return true;
}
