/** What `reclaim` warns about before it takes leases back: live workers whose batches look stale. */
import type { BatchDetail } from '../store/SequelizeStateStore';
import { batchHoldings, batchName, formatDuration } from './format';

/** Below this `--stale-ms`, `reclaim` warns that live workers may lose their batches. */
export const RECLAIM_FLOOR_MS = 30_000;

/** A `--stale-ms` to suggest, at least `ms`: whole seconds up to a minute, whole minutes under two hours, else whole hours. */
export function suggestDuration(ms: number): string {
  if (ms <= 60_000) return `${Math.max(1, Math.ceil(ms / 1000))}s`;
  if (ms < 7_200_000) return `${Math.ceil(ms / 60_000)}m`;
  return `${Math.ceil(ms / 3_600_000)}h`;
}

/**
 * What `reclaim` warns about before it takes batches (one line each, without
 * the program name): a `--stale-ms` below {@link RECLAIM_FLOOR_MS}, and
 * stale batches whose lease was renewed at some point (their worker is alive
 * but renews less often than `staleMs`).
 */
export function reclaimWarnings(batches: readonly BatchDetail[], now: number, staleMs: number): string[] {
  const warnings: string[] = [];
  if (staleMs < RECLAIM_FLOOR_MS) {
    warnings.push(`warning: --stale-ms ${formatDuration(staleMs)} is shorter than ${suggestDuration(RECLAIM_FLOOR_MS)}:`
      + ' a live worker that renews its lease less often than that loses its batch to another worker, and its records are processed twice');
  }
  const renewed = batchHoldings(batches, now, staleMs).filter((h) => h.stale && h.renewedAt !== undefined);
  if (renewed.length > 0) {
    const oldest = Math.max(...renewed.map((h) => h.ageMs ?? 0));
    const names = renewed.map((h) => `${batchName(h)} (${h.workerId}, renewed ${formatDuration(h.ageMs ?? 0)} ago)`);
    const one = renewed.length === 1;
    warnings.push(`warning: ${one ? 'batch' : 'batches'} ${names.join(', ')} ${one ? 'was' : 'were'} renewed after being claimed,`
      + ` so ${one ? 'its worker' : 'their workers'} may be alive and renewing less often than --stale-ms ${formatDuration(staleMs)}:`
      + ` reclaiming gives ${one ? 'it' : 'them'} to another worker and the records may be processed twice.`
      + ` If so, use a longer --stale-ms (e.g. --stale-ms ${suggestDuration(Math.max(2 * oldest, RECLAIM_FLOOR_MS))})`);
  }
  return warnings;
}

