/**
 * `@batchactions/state-sequelize/dashboard`: a web dashboard of a
 * `SequelizeStateStore` — jobs, a live page per job with its batch map,
 * throughput, workers and failed records, optional actions, a JSON API and
 * `/metrics` for Prometheus.
 *
 * ```ts
 * import { createDashboard, serveDashboard } from '@batchactions/state-sequelize/dashboard';
 * app.use('/imports', createDashboard(store));                 // Express, Nest
 * const { url, close } = await serveDashboard(store, { port: 4100 }); // on its own
 * ```
 *
 * A separate entry point: the store's own (`@batchactions/state-sequelize`)
 * loads none of this, and prom-client (an optional peer) is loaded only when
 * a dashboard with metrics is created.
 *
 * @packageDocumentation
 */
export { createDashboard } from './handler';
export type { DashboardHandler, NextFunction } from './handler';
export { serveDashboard } from './serve';
export type { ServeDashboardOptions, ServedDashboard } from './serve';
export type { DashboardOptions, DashboardActionsOptions, DashboardMetricsOptions, PromRegistry } from './options';
export type { DashboardRequest, DashboardResponse } from './http';
export { CONTENT_SECURITY_POLICY } from './http';
export { TOKEN_HEADER } from './security';
export type {
  JobListEntry, BatchMap, WorkerView, HeldBatch, ThroughputSeries,
} from './views';
