/**
 * Distributed mode's leases: claiming the lowest-index PENDING batch,
 * releasing it, renewing it, and reclaiming stale ones.
 */
import type { ErrorContext } from '../errors';
import { toNumber } from '../mappers/json';
import { checkDuration, checkId } from '../mappers/validate';
import type { ClaimBatchResult } from '../ports';
import { leaseError } from './batches';
import type { StoreContext } from './context';
import type { Leases } from './leases';
import {
  claimReturning, claimSelect, claimUpdate, reclaimStale, releaseBatch, renewLease, selectJobHead, selectPendingBatch,
} from './sql';

/** How many times `claimBatch` looks again after a miss while a PENDING batch is visible. */
const CLAIM_MISS_RETRIES = 10;

interface ClaimedRow {
  batchId: string;
  batchIndex: unknown;
  recordStartIndex: unknown;
  recordEndIndex: unknown;
  claimedAt: unknown;
}

/** The lease module of one store. */
export class Claims {
  constructor(private readonly ctx: StoreContext, private readonly leases: Leases) {}

  /**
   * Hands the lowest-index PENDING batch of a PROCESSING job to `workerId`:
   * one `UPDATE … RETURNING` with `FOR UPDATE SKIP LOCKED` on PostgreSQL, a
   * `SELECT … FOR UPDATE SKIP LOCKED` + `UPDATE` transaction on MySQL/MariaDB,
   * one statement under the database write lock on SQLite.
   */
  async claim(jobId: string, workerId: string): Promise<ClaimBatchResult> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'claimBatch', jobId, workerId };
    checkId(jobId, 'jobId', context);
    checkId(workerId, 'workerId', context);
    return ctx.guard(context, async () => {
      for (let miss = 0; ; miss++) {
        const result = await this.claimOnce(jobId, workerId);
        // SKIP LOCKED also skips a PENDING batch that a statement other than a
        // claim locks for a moment (a refused fenced update, a reclaim, a
        // re-save): while a PENDING batch is visible, look again before saying
        // there is none.
        if (result.claimed || result.reason !== 'NO_PENDING_BATCHES' || miss >= CLAIM_MISS_RETRIES) return result;
        if ((await ctx.select(ctx.sql(selectPendingBatch), [jobId])).length === 0) return result;
        await new Promise((resolve) => setTimeout(resolve, Math.min(100, 5 * 2 ** miss) * (0.5 + Math.random())));
      }
    });
  }

  /** One claim attempt (retried on transient errors). */
  private claimOnce(jobId: string, workerId: string): Promise<ClaimBatchResult> {
    const ctx = this.ctx;
    return ctx.retrying(async () => {
      let claimed: ClaimedRow | undefined;
      if (ctx.dialect.updateReturning) {
        [claimed] = await ctx.select<ClaimedRow>(ctx.sql(claimReturning), [jobId, workerId]);
      } else {
        claimed = await ctx.transaction(async (tx) => {
          const [row] = await ctx.select<ClaimedRow>(ctx.sql(claimSelect), [jobId], tx);
          if (row) await ctx.exec(ctx.sql(claimUpdate), [jobId, row.batchId, workerId, toNumber(row.claimedAt)], tx);
          return row;
        });
      }
      if (claimed) {
        const claimedAt = toNumber(claimed.claimedAt) ?? 0;
        this.leases.claimed(jobId, claimed.batchId, workerId);
        ctx.read.patch(jobId, claimed.batchId, (b) => ({ ...b, status: 'PROCESSING', workerId, claimedAt }));
        return {
          claimed: true as const,
          reservation: {
            jobId,
            batchId: claimed.batchId,
            batchIndex: toNumber(claimed.batchIndex) ?? 0,
            workerId,
            claimedAt,
            recordStartIndex: toNumber(claimed.recordStartIndex) ?? 0,
            recordEndIndex: toNumber(claimed.recordEndIndex) ?? 0,
          },
        };
      }
      const [head] = await ctx.select<{ status: string }>(ctx.sql(selectJobHead, false), [jobId]);
      const reason = !head ? 'JOB_NOT_FOUND' : head.status !== 'PROCESSING' ? 'JOB_NOT_PROCESSING' : 'NO_PENDING_BATCHES';
      return { claimed: false as const, reason };
    });
  }

  /** Puts a batch back to PENDING if `workerId` still holds it (then `true`); otherwise does nothing. */
  async release(jobId: string, batchId: string, workerId: string): Promise<boolean> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'releaseBatch', jobId, batchId, workerId };
    checkId(jobId, 'jobId', context);
    checkId(batchId, 'batchId', context);
    checkId(workerId, 'workerId', context);
    const released = await ctx.guard(context, () => ctx.retrying(() => ctx.count(ctx.sql(releaseBatch), [jobId, batchId, workerId])));
    if (this.leases.holder(jobId, batchId) === workerId) this.leases.ended(jobId, batchId);
    if (released > 0) {
      ctx.read.patch(jobId, batchId, (b) => {
        const { workerId: _w, claimedAt: _c, ...rest } = b;
        return { ...rest, status: 'PENDING' };
      });
    }
    return released > 0;
  }

  /**
   * Renews `workerId`'s lease on a batch (its lease time becomes the database's now).
   * @throws LeaseLostError if the worker no longer holds the batch.
   */
  async renew(jobId: string, batchId: string, workerId: string, operation = 'heartbeatBatch'): Promise<void> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation, jobId, batchId, workerId };
    checkId(jobId, 'jobId', context);
    checkId(batchId, 'batchId', context);
    checkId(workerId, 'workerId', context);
    await ctx.guard(context, async () => {
      const changed = await ctx.retrying(() => ctx.count(ctx.sql(renewLease), [jobId, batchId, workerId]));
      if (changed === 0) throw await leaseError(ctx, jobId, batchId, context);
    });
  }

  /**
   * Puts back to PENDING every PROCESSING batch of the job whose lease is
   * older than `timeoutMs` (database clock), in one statement.
   * @returns how many batches this call reclaimed.
   */
  async reclaimStale(jobId: string, timeoutMs: number): Promise<number> {
    const ctx = this.ctx;
    const context: ErrorContext = { operation: 'reclaimStaleBatches', jobId };
    checkId(jobId, 'jobId', context);
    const timeout = Math.floor(checkDuration(timeoutMs, 'timeoutMs', context));
    // The caller's stale timeout: leases claimed through this store are renewed well within it.
    this.leases.reclaimTimeout(jobId, timeout);
    const reclaimed = await ctx.guard(context, () => ctx.retrying(() => ctx.count(ctx.sql(reclaimStale), [jobId, timeout])));
    if (reclaimed > 0) ctx.read.forget(jobId);
    return reclaimed;
  }
}
