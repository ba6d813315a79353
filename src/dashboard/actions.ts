/**
 * The actions (off unless the dashboard has a token): reclaim a job's stale
 * batches, release one batch from its holder, purge a finished job. Each is a
 * POST guarded by `checkAction` (token, same origin); parameters come in the
 * path and query, never in a body, so that a body parser in front of the
 * dashboard does not matter.
 */
import { HttpError, sendJson } from './http';
import type { RouteContext } from './api';
import { TERMINAL_STATUSES } from './views';

/** `POST /api/jobs/:id/reclaim`: PROCESSING batches whose lease is older than `staleAfterMs` go back to PENDING. */
export async function reclaim({ store, settings, res }: RouteContext, jobId: string): Promise<void> {
  await store.getProgress(jobId); // 404 for an unknown job
  const reclaimed = await store.reclaimStaleBatches(jobId, settings.staleAfterMs);
  sendJson(res, 200, { reclaimed });
}

/** `POST /api/jobs/:id/batches/:batchId/release?workerId=…`: back to PENDING if that worker still holds it. */
export async function release({ store, res, query }: RouteContext, jobId: string, batchId: string): Promise<void> {
  const workerId = query.get('workerId');
  if (!workerId) throw new HttpError(400, 'workerId is required (the holder shown in the workers table)');
  const before = (await store.listBatches(jobId)).find((b) => b.id === batchId);
  if (!before) throw new HttpError(404, 'no such batch');
  await store.releaseBatch(jobId, batchId, workerId);
  const after = (await store.listBatches(jobId)).find((b) => b.id === batchId);
  // releaseBatch says nothing: the batch was released if that worker held it and no longer does.
  const released = before.status === 'PROCESSING' && before.workerId === workerId
    && (after === undefined || after.status !== 'PROCESSING' || after.workerId !== workerId);
  sendJson(res, released ? 200 : 409, released
    ? { released: true }
    : { released: false, error: 'the batch is not held by that worker (any more)' });
}

/** `POST /api/jobs/:id/purge`: deletes a COMPLETED, ABORTED or FAILED job with its batches and records. */
export async function purge({ store, res }: RouteContext, jobId: string): Promise<void> {
  const summary = await store.getJobSummary(jobId);
  if (!summary) throw new HttpError(404, 'no such job');
  if (!TERMINAL_STATUSES.includes(summary.status)) {
    throw new HttpError(409, `only a finished job (COMPLETED, ABORTED or FAILED) can be purged; this one is ${summary.status}`);
  }
  // The status is checked again with the job row locked: a job that left its finished state meanwhile stays.
  const deleted = await store.deleteJob(jobId, { statuses: TERMINAL_STATUSES });
  if (!deleted) throw new HttpError(409, 'the job is no longer finished (or no longer exists); nothing was deleted');
  sendJson(res, 200, { deleted });
}
