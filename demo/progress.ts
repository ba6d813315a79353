/** The demo's progress bar text (pure, unit-tested). */
import { formatDuration } from '../src/cli/format';

/**
 * ` | about 12.3s left`, from the rate so far; empty until a record is done
 * and once all are (no `NFs left` at 0%, no `0s left` at the end).
 */
export function etaText(done: number, total: number, elapsedMs: number): string {
  if (done <= 0 || done >= total || elapsedMs <= 0) return '';
  return ` | about ${formatDuration(Math.round((elapsedMs / done) * (total - done)))} left`;
}

/** `12 batches of 50 records`, `… (the last of 7)`, `1 batch of 7 records`: how a job was cut. */
export function batchesText(batches: number, batchSize: number, records: number): string {
  if (batches <= 1) return `${batches} batch${batches === 1 ? '' : 'es'} of ${records} records`;
  const last = records - (batches - 1) * batchSize;
  return `${batches} batches of ${batchSize} records${last !== batchSize ? ` (the last of ${last})` : ''}`;
}
