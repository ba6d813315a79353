/**
 * The JSON API behind the pages (read-only): jobs, one job, its batches
 * (full, or as the page's batch map), its failed records by page, and the
 * failed records as CSV or JSON files.
 */
import { failedRecordsCsv, failedRecordsJson } from '../export/failedRecords';
import type { SequelizeStateStore } from '../store/SequelizeStateStore';
import { HttpError, send, sendJson, type DashboardResponse } from './http';
import type { DashboardSettings } from './options';
import { batchMap, jobListEntry, leaseAge, TERMINAL_STATUSES, throughputOf } from './views';

/** What a route handler gets. */
export interface RouteContext {
  readonly store: SequelizeStateStore;
  readonly settings: DashboardSettings;
  readonly res: DashboardResponse;
  readonly query: URLSearchParams;
}

/** An integer query parameter from `min` to `max`. @throws HttpError 400. */
export function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const v = query.get(name);
  if (v === null || v === '') return fallback;
  if (!/^\d{1,16}$/.test(v) || Number(v) < min || Number(v) > max) throw new HttpError(400, `${name} must be an integer from ${min} to ${max}`);
  return Number(v);
}

/** Throws the store's NotFoundError if the job does not exist (cheap: one indexed read). */
async function requireJob(store: SequelizeStateStore, jobId: string): Promise<void> {
  await store.getProgress(jobId);
}

/** `GET /api/jobs?offset&limit&status`: a page of jobs, newest first, and how many there are. */
export async function listJobs({ store, settings, res, query }: RouteContext): Promise<void> {
  const offset = intParam(query, 'offset', 0, 0, 2_147_483_647);
  const limit = intParam(query, 'limit', settings.pageSize, 1, 1000);
  const statusText = query.get('status');
  const status = statusText ? statusText.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const filter = status ? { status: status as never } : {};
  const [jobs, total] = await Promise.all([store.listJobs({ ...filter, offset, limit }), store.countJobs(filter)]);
  sendJson(res, 200, { total, offset, limit, jobs: jobs.map(jobListEntry) });
}

/** `GET /api/jobs/:id`: the job (without its batches), its progress and throughput. */
export async function getJob({ store, res }: RouteContext, jobId: string): Promise<void> {
  const [state, progress] = await Promise.all([store.getJobState(jobId), store.getProgress(jobId)]);
  if (!state) throw new HttpError(404, 'no such job');
  const { batches: _batches, config, ...job } = state;
  const settings = {
    batchSize: config.batchSize,
    ...(config.maxConcurrentBatches !== undefined ? { maxConcurrentBatches: config.maxConcurrentBatches } : {}),
    ...(config.continueOnError !== undefined ? { continueOnError: config.continueOnError } : {}),
    ...(config.maxRetries !== undefined ? { maxRetries: config.maxRetries } : {}),
  };
  sendJson(res, 200, {
    job: { ...job, distributed: job.distributed === true, config: settings },
    progress,
    throughput: throughputOf(progress),
    terminal: TERMINAL_STATUSES.includes(job.status),
  });
}

/**
 * `GET /api/jobs/:id/batches`: every batch with its lease age and whether it
 * is stale; `?view=map`: the page's batch map, workers and throughput chart.
 */
export async function getBatches({ store, settings, res, query }: RouteContext, jobId: string): Promise<void> {
  const view = query.get('view') ?? 'full';
  if (view !== 'full' && view !== 'map') throw new HttpError(400, 'view must be full or map');
  const [batches, now] = await Promise.all([store.listBatches(jobId), store.databaseTime()]);
  if (batches.length === 0) await requireJob(store, jobId);
  const { staleAfterMs } = settings;
  if (view === 'full') {
    sendJson(res, 200, {
      now, staleAfterMs,
      batches: batches.map((b) => {
        const age = leaseAge(b, now);
        return { ...b, ...(age !== undefined ? { leaseAgeMs: age } : {}), stale: age !== undefined && age > staleAfterMs };
      }),
    });
    return;
  }
  const startedAt = intParam(query, 'startedAt', -1, 0, Number.MAX_SAFE_INTEGER);
  const running = query.get('running') !== '0';
  sendJson(res, 200, batchMap(batches, { now, staleAfterMs, running, ...(startedAt >= 0 ? { startedAt } : {}) }));
}

/** `GET /api/jobs/:id/failed?offset&limit`: a page of failed and invalid records, by index, and their total. */
export async function getFailed({ store, res, query }: RouteContext, jobId: string): Promise<void> {
  const offset = intParam(query, 'offset', 0, 0, 2_147_483_647);
  const limit = intParam(query, 'limit', 50, 1, 1000);
  const page = await store.listFailedRecords(jobId, { offset, limit });
  if (page.total === 0) await requireJob(store, jobId);
  sendJson(res, 200, { total: page.total, offset, limit, records: page.records });
}

/** A file name for a download: the job id's safe characters. */
export function downloadName(jobId: string, extension: string): string {
  const safe = jobId.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 80) || 'job';
  return `failed-records-${safe}.${extension}`;
}

/** `GET /api/jobs/:id/failed.csv` and `.json`: every failed record, as the CLI's `export-failed` writes them. */
export async function downloadFailed({ store, res }: RouteContext, jobId: string, format: 'csv' | 'json'): Promise<void> {
  const records = await store.getFailedRecords(jobId);
  if (records.length === 0) await requireJob(store, jobId);
  const body = format === 'csv' ? failedRecordsCsv(records) : failedRecordsJson(records);
  send(res, 200, format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8', body, {
    'Cache-Control': 'no-store',
    'Content-Disposition': `attachment; filename="${downloadName(jobId, format)}"`,
  });
}
