/**
 * `createDashboard`: the request handler. Finds the dashboard's path in the
 * request (under `basePath`, or after the mount path a framework strips),
 * routes it to a page, an asset, `/metrics` or the JSON API, and maps errors
 * to statuses. Requests outside `basePath` go to `next` (or get a 404).
 */
import { checkId } from '../mappers/validate';
import type { SequelizeStateStore } from '../store/SequelizeStateStore';
import * as api from './api';
import * as actions from './actions';
import { loadAssets } from './assets';
import { HttpError, send, sendError, type DashboardRequest, type DashboardResponse } from './http';
import { DashboardMetrics, loadPromClient, MISSING_PROM_CLIENT } from './metrics';
import { resolveDashboardOptions, type DashboardOptions, type PromRegistry } from './options';
import { jobPage, jobsPage } from './pages';
import { checkAction } from './security';

/** Express-style `next`: called for requests outside the dashboard's path. */
export type NextFunction = (error?: unknown) => void;

/** A Node request handler `(req, res, next?)` that serves the dashboard. */
export interface DashboardHandler {
  (req: DashboardRequest, res: DashboardResponse, next?: NextFunction): void;
  /** The prom-client registry holding the dashboard's metrics (`undefined` when metrics are off or prom-client is missing). */
  readonly registry: PromRegistry | undefined;
  /** Stops observing the store and removes the dashboard's metrics from the registry. Idempotent. */
  close(): void;
}

/** Where a request lands in the dashboard. */
interface Target {
  /** The path under the dashboard's root: `/`, `/api/jobs`, … (still percent-encoded). */
  readonly path: string;
  /** The path as the browser sent it (before any mount path was stripped). */
  readonly fullPath: string;
  readonly query: URLSearchParams;
}

/** The dashboard's part of a request's URL, or `undefined` if the request is not for it. */
export function targetOf(req: DashboardRequest, basePath: string): Target | undefined {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let path = q >= 0 ? url.slice(0, q) : url;
  const query = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
  const original = req.originalUrl !== undefined && req.originalUrl !== url ? req.originalUrl.split('?')[0] as string : undefined;
  const fullPath = original ?? path;
  if (basePath !== '') {
    if (path === basePath || path.startsWith(`${basePath}/`)) path = path.slice(basePath.length);
    else if (!(original !== undefined && (original === basePath || original.startsWith(`${basePath}/`)))) return undefined;
  }
  return { path: path === '' ? '/' : path, fullPath, query };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'malformed percent-encoding in the path');
  }
}

function requireMethod(req: DashboardRequest, ...methods: string[]): void {
  if (!methods.includes(req.method ?? 'GET')) throw new HttpError(405, `method ${req.method} not allowed`, { Allow: methods.join(', ') });
}

/**
 * A request handler serving the dashboard of `store`: the jobs page at
 * `<basePath>/`, a job's page at `<basePath>/job?id=…`, the JSON API under
 * `<basePath>/api/`, and `<basePath>/metrics`.
 *
 * ```ts
 * http.createServer(createDashboard(store)).listen(4100, '127.0.0.1');
 * app.use('/imports', createDashboard(store));            // Express, Nest
 * ```
 *
 * @param store - the store to show (`SequelizeStateStore`, initialized).
 * @param options - mount path, actions token, stale threshold, refresh, metrics.
 * @throws TypeError for a bad option; Error when `metrics` is asked for and prom-client is not installed.
 */
export function createDashboard(store: SequelizeStateStore, options: DashboardOptions = {}): DashboardHandler {
  if (!store || typeof (store as { listBatches?: unknown }).listBatches !== 'function' || typeof store.observe !== 'function') {
    throw new TypeError('createDashboard: the first argument must be a SequelizeStateStore');
  }
  const settings = resolveDashboardOptions(options);
  const assets = loadAssets();
  const pages = { jobs: jobsPage(settings), job: jobPage(settings) };
  let metrics: DashboardMetrics | undefined;
  if (settings.metrics !== 'off') {
    const prom = loadPromClient();
    if (prom) metrics = new DashboardMetrics(store, settings, prom);
    else if (settings.metrics === 'on') throw new Error(`createDashboard: ${MISSING_PROM_CLIENT}`);
  }

  const route = async (req: DashboardRequest, res: DashboardResponse, target: Target): Promise<void> => {
    const { path, query } = target;
    const ctx: api.RouteContext = { store, settings, res, query };
    if (path === '/') {
      requireMethod(req, 'GET', 'HEAD');
      if (!target.fullPath.endsWith('/')) {
        // `/imports` → `imports/`: the pages' relative URLs need the trailing slash.
        const last = encodeURIComponent(decode(target.fullPath.slice(target.fullPath.lastIndexOf('/') + 1)));
        const search = query.toString();
        throw new HttpError(308, 'moved', { Location: `./${last}/${search ? `?${search}` : ''}` });
      }
      return send(res, 200, 'text/html; charset=utf-8', pages.jobs, { 'Cache-Control': 'no-cache' });
    }
    if (path === '/job') {
      requireMethod(req, 'GET', 'HEAD');
      checkId(query.get('id') ?? '', 'id', { operation: 'job page' });
      return send(res, 200, 'text/html; charset=utf-8', pages.job, { 'Cache-Control': 'no-cache' });
    }
    if (path.startsWith('/assets/')) {
      requireMethod(req, 'GET', 'HEAD');
      const asset = assets.get(path.slice('/assets/'.length));
      if (!asset) throw new HttpError(404, 'not found');
      const headers = { 'Cache-Control': 'no-cache', ETag: asset.etag };
      if (req.headers['if-none-match'] === asset.etag) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      return send(res, 200, asset.type, asset.body, headers);
    }
    if (path === '/metrics' && settings.metricsRoute && settings.metrics !== 'off') {
      requireMethod(req, 'GET', 'HEAD');
      if (!metrics) throw new HttpError(501, MISSING_PROM_CLIENT);
      const { contentType, body } = await metrics.text();
      return send(res, 200, contentType, body, { 'Cache-Control': 'no-store' });
    }
    if (path === '/api/jobs') {
      requireMethod(req, 'GET', 'HEAD');
      return api.listJobs(ctx);
    }
    const byPath = /^\/api\/jobs\/([^/]+)(?:\/(.*))?$/.exec(path);
    const byQuery = /^\/api\/job(?:\/(.*))?$/.exec(path);
    if (byPath) return jobRoute(req, ctx, decode(byPath[1] as string), byPath[2] ?? '');
    if (byQuery) return jobRoute(req, ctx, query.get('id') ?? '', byQuery[1] ?? '');
    throw new HttpError(404, 'not found');
  };

  const jobRoute = async (req: DashboardRequest, ctx: api.RouteContext, jobId: string, rest: string): Promise<void> => {
    checkId(jobId, 'jobId', { operation: 'dashboard' });
    const action = (): void => checkAction(req, settings.token, settings.allowedOrigins);
    const get = (): void => requireMethod(req, 'GET', 'HEAD');
    switch (rest) {
      case '': get(); return api.getJob(ctx, jobId);
      case 'batches': get(); return api.getBatches(ctx, jobId);
      case 'failed': get(); return api.getFailed(ctx, jobId);
      case 'failed.csv': get(); return api.downloadFailed(ctx, jobId, 'csv');
      case 'failed.json': get(); return api.downloadFailed(ctx, jobId, 'json');
      case 'reclaim': action(); return actions.reclaim(ctx, jobId);
      case 'purge': action(); return actions.purge(ctx, jobId);
      default: {
        const release = /^batches\/([^/]+)\/release$/.exec(rest);
        if (!release) throw new HttpError(404, 'not found');
        action();
        const batchId = checkId(decode(release[1] as string), 'batchId', { operation: 'dashboard' });
        return actions.release(ctx, jobId, batchId);
      }
    }
  };

  const handler = ((req: DashboardRequest, res: DashboardResponse, next?: NextFunction): void => {
    const target = targetOf(req, settings.basePath);
    if (!target) {
      if (next) next();
      else sendError(res, new HttpError(404, 'not found'), false);
      return;
    }
    route(req, res, target).catch((error: unknown) => sendError(res, error, target.path.startsWith('/api/')));
  }) as DashboardHandler;
  Object.defineProperty(handler, 'registry', { value: metrics?.registry, enumerable: true });
  let closed = false;
  handler.close = () => {
    if (closed) return;
    closed = true;
    metrics?.close();
  };
  return handler;
}
