/**
 * The dashboard's options: what a user may pass to `createDashboard`, and the
 * checks that turn them into settings. A bad option is a `TypeError` that
 * names it, thrown when the dashboard is created, never on a request.
 */

/**
 * A prom-client `Registry` (structurally: the dashboard's declarations do not
 * depend on prom-client's, which is an optional peer).
 */
export interface PromRegistry {
  /** The registry's metrics in the Prometheus text format. */
  metrics(): Promise<string>;
  /** The content type of that text. */
  readonly contentType: string;
  /** Adds a metric to the registry. */
  registerMetric(metric: never): void;
  /** A metric already registered under `name`, if any. */
  getSingleMetric(name: string): unknown;
}

/** Actions (reclaim, release, purge): off unless a token is given. */
export interface DashboardActionsOptions {
  /**
   * The secret a request must carry (header `X-Dashboard-Token`, or
   * `Authorization: Bearer …`) for an action to run. At least 16 characters.
   * The page asks the operator for it; it is never written into a page.
   */
  readonly token: string;
}

/** `/metrics` settings. */
export interface DashboardMetricsOptions {
  /**
   * The prom-client `Registry` the dashboard's metrics join (so your own
   * `/metrics` shows them too). Default: a registry of the dashboard's own.
   */
  readonly registry?: PromRegistry;
  /** Prefix of every metric name. Default `bulkimport_`. */
  readonly prefix?: string;
  /** Serve the registry at `<basePath>/metrics`. Default `true`. */
  readonly route?: boolean;
}

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /**
   * The path the dashboard answers under, e.g. `/imports`. Default `''` (the
   * root). Under a framework that strips its mount path (Express
   * `app.use('/imports', …)`, Nest, Fastify's middie) it may be left out.
   */
  readonly basePath?: string;
  /** Turns the actions on. Default: off (the dashboard is read-only). */
  readonly actions?: DashboardActionsOptions | false;
  /**
   * A lease older than this (since its claim or last renewal) shows as stale,
   * counts as stale in the metrics, and is what "reclaim stale batches" puts
   * back to PENDING. Default 60,000 ms.
   */
  readonly staleAfterMs?: number;
  /** How often a page refreshes itself while it shows work in flight, 250–2,000 ms. Default 2,000. */
  readonly refreshMs?: number;
  /** Jobs per page of the jobs list, 1–1,000. Default 25. */
  readonly pageSize?: number;
  /**
   * Metrics for Prometheus. Default: on when `prom-client` is installed (a
   * missing prom-client then makes `/metrics` answer 501). `false`: off.
   * `true` or an object: on, and a missing prom-client is an error at creation.
   */
  readonly metrics?: boolean | DashboardMetricsOptions;
  /**
   * Extra origins (`https://ops.example.com`) allowed to POST actions besides
   * the dashboard's own host. Default none.
   */
  readonly allowedOrigins?: readonly string[];
  /** The page title. Default `Imports`. */
  readonly title?: string;
}

/** The options after their checks. */
export interface DashboardSettings {
  readonly basePath: string;
  readonly token: string | undefined;
  readonly staleAfterMs: number;
  readonly refreshMs: number;
  readonly pageSize: number;
  /** `auto`: on if prom-client loads; `on`: required; `off`. */
  readonly metrics: 'auto' | 'on' | 'off';
  readonly registry: PromRegistry | undefined;
  readonly metricsPrefix: string;
  readonly metricsRoute: boolean;
  readonly allowedOrigins: readonly string[];
  readonly title: string;
}

function fail(field: string, message: string): never {
  throw new TypeError(`createDashboard: options.${field} ${message}`);
}

function integer(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** `/imports/` → `/imports`; `''` and `/` → `''`. */
export function normalizeBasePath(value: unknown): string {
  if (value === undefined || value === '' || value === '/') return '';
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(value) || value.includes('//')) {
    fail('basePath', 'must be a path such as /imports');
  }
  return value.replace(/\/+$/, '');
}

/**
 * Checks the options.
 * @throws TypeError naming the first bad option.
 */
export function resolveDashboardOptions(options: DashboardOptions = {}): DashboardSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError('createDashboard: options must be an object');
  let token: string | undefined;
  if (options.actions !== undefined && options.actions !== false) {
    const given = (options.actions as { token?: unknown }).token;
    if (typeof given !== 'string' || given.length < 16) fail('actions.token', 'must be a string of at least 16 characters');
    token = given;
  }
  const metrics = options.metrics;
  const metricsObject = typeof metrics === 'object' && metrics !== null ? metrics : {};
  if (metrics !== undefined && typeof metrics !== 'boolean' && (typeof metrics !== 'object' || metrics === null)) {
    fail('metrics', 'must be a boolean or { registry, prefix, route }');
  }
  const registry = metricsObject.registry;
  if (registry !== undefined && (typeof registry !== 'object' || typeof (registry as { metrics?: unknown }).metrics !== 'function')) {
    fail('metrics.registry', 'must be a prom-client Registry');
  }
  const prefix = metricsObject.prefix ?? 'bulkimport_';
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(prefix)) fail('metrics.prefix', 'must be a valid metric name prefix');
  const origins = options.allowedOrigins ?? [];
  if (!Array.isArray(origins)) fail('allowedOrigins', 'must be an array of origins');
  const allowedOrigins = origins.map((o: unknown) => {
    let url: URL;
    try {
      url = new URL(String(o));
    } catch {
      fail('allowedOrigins', `has a bad origin ${JSON.stringify(o)}`);
    }
    return url.origin;
  });
  const title = options.title ?? 'Imports';
  if (typeof title !== 'string' || title.length > 100) fail('title', 'must be a string of at most 100 characters');
  return {
    basePath: normalizeBasePath(options.basePath),
    token,
    staleAfterMs: integer(options.staleAfterMs, 'staleAfterMs', 100, 2_147_483_647, 60_000),
    refreshMs: integer(options.refreshMs, 'refreshMs', 250, 2000, 2000),
    pageSize: integer(options.pageSize, 'pageSize', 1, 1000, 25),
    metrics: metrics === false ? 'off' : metrics === undefined ? 'auto' : 'on',
    registry,
    metricsPrefix: prefix,
    metricsRoute: metricsObject.route ?? true,
    allowedOrigins,
    title,
  };
}
