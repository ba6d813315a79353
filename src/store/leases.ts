/**
 * Leases the store keeps alive. The engine's distributed worker never renews
 * a claim (it has no heartbeat), so a batch that takes longer than the stale
 * timeout would be reclaimed from a live worker and redone. A store renews
 * every batch claimed through it, on a timer, until the batch is reported
 * (`updateBatchState` to anything but PROCESSING), released, or the store is
 * closed. A process that dies or stalls stops renewing, so its batches are
 * reclaimed after the timeout as before.
 *
 * Renewal interval: `leaseRenewalMs` (default 60 s), or a third of the
 * shortest timeout this store was given in `reclaimStaleBatches` for the job,
 * whichever is shorter. Timers are unref'd: they never keep a process alive.
 */
import type { StoreContext } from './context';
import { renewLease } from './sql';

/** Shortest renewal interval, in ms, however short a reclaim timeout is. */
const MIN_RENEWAL_MS = 10;

/** One batch this store claimed and still holds (as far as it knows). */
interface Lease {
  readonly jobId: string;
  readonly batchId: string;
  readonly workerId: string;
  timer: NodeJS.Timeout | undefined;
  /** A renewal found the batch no longer held by the worker. */
  lost: boolean;
}

/** The leases of one store. */
export class Leases {
  private readonly held = new Map<string, Lease>();
  private readonly timeouts = new Map<string, number>();
  private closed = false;

  /** @param renewalMs - the longest interval between renewals; 0 turns renewal off (claims are still remembered for fencing). */
  constructor(private readonly ctx: StoreContext, private readonly renewalMs: number) {}

  /** The worker that claimed the batch through this store, while it is remembered. */
  holder(jobId: string, batchId: string): string | undefined {
    return this.held.get(key(jobId, batchId))?.workerId;
  }

  /** A claim through this store landed: keep it alive. */
  claimed(jobId: string, batchId: string, workerId: string): void {
    this.ended(jobId, batchId);
    if (this.closed) return;
    const lease: Lease = { jobId, batchId, workerId, timer: undefined, lost: false };
    this.held.set(key(jobId, batchId), lease);
    this.schedule(lease);
  }

  /** The batch was reported, released or lost: stop renewing it and forget it. */
  ended(jobId: string, batchId: string): void {
    const k = key(jobId, batchId);
    const lease = this.held.get(k);
    if (!lease) return;
    if (lease.timer) clearTimeout(lease.timer);
    this.held.delete(k);
  }

  /** `reclaimStaleBatches(jobId, timeoutMs)` was called here: renew this job's leases within a third of it. */
  reclaimTimeout(jobId: string, timeoutMs: number): void {
    const before = this.timeouts.get(jobId);
    if (before !== undefined && before <= timeoutMs) return;
    this.timeouts.set(jobId, timeoutMs);
    if (this.timeouts.size > 1000) this.timeouts.delete(this.timeouts.keys().next().value as string);
    for (const lease of this.held.values()) {
      if (lease.jobId !== jobId) continue;
      if (lease.timer) clearTimeout(lease.timer);
      this.schedule(lease);
    }
  }

  /** The interval between renewals of a job's leases. */
  interval(jobId: string): number {
    const timeout = this.timeouts.get(jobId);
    const derived = timeout !== undefined ? Math.floor(timeout / 3) : Infinity;
    return Math.max(MIN_RENEWAL_MS, Math.min(this.renewalMs, derived));
  }

  /** How many leases this store holds and renews. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Stops every renewal (`close()`); the leases run out after the stale
   * timeout. The claims stay remembered, so a late report through this store
   * is still fenced.
   */
  close(): void {
    this.closed = true;
    for (const lease of this.held.values()) {
      if (lease.timer) clearTimeout(lease.timer);
      lease.timer = undefined;
    }
  }

  private schedule(lease: Lease): void {
    lease.timer = undefined;
    if (this.renewalMs <= 0 || this.closed || lease.lost) return;
    lease.timer = setTimeout(() => void this.renew(lease), this.interval(lease.jobId));
    lease.timer.unref?.();
  }

  private async renew(lease: Lease): Promise<void> {
    lease.timer = undefined;
    if (this.held.get(key(lease.jobId, lease.batchId)) !== lease) return;
    try {
      const changed = await this.ctx.count(this.ctx.sql(renewLease), [lease.jobId, lease.batchId, lease.workerId]);
      // Reclaimed (and maybe claimed by another worker): stop renewing, but
      // keep remembering the claim, so the worker's report is refused.
      if (changed === 0) lease.lost = true;
    } catch {
      // The database did not answer: try again at the next interval.
    }
    if (this.held.get(key(lease.jobId, lease.batchId)) === lease) this.schedule(lease);
  }
}

function key(jobId: string, batchId: string): string {
  return `${jobId}\u0000${batchId}`;
}
