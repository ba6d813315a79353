/**
 * `/metrics`: the store's figures in the Prometheus text format through
 * prom-client, an optional peer loaded only when metrics are on. Gauges are
 * read from one `store.stats()` per scrape; the latency histogram is fed by
 * `store.observe`. Labels are statuses and store method names: bounded sets,
 * and no record data.
 */
import type * as PromClient from 'prom-client';
import type { SequelizeStateStore } from '../store/SequelizeStateStore';
import type { StoreStats } from '../index';
import type { DashboardSettings, PromRegistry } from './options';
import { requireHere } from './runtime';

/** The store methods the latency histogram names; any other is `other`. */
export const OBSERVED_OPERATIONS: ReadonlySet<string> = new Set([
  'saveJobState', 'getJobState', 'updateBatchState', 'saveProcessedRecord', 'getFailedRecords', 'getPendingRecords',
  'getProcessedRecords', 'getProgress', 'claimBatch', 'releaseBatch', 'heartbeatBatch', 'reclaimStaleBatches',
  'saveBatchRecords', 'getBatchRecords', 'getDistributedStatus', 'tryFinalizeJob', 'deleteJob', 'listJobs', 'countJobs',
  'listBatches', 'listFailedRecords', 'stats', 'purgeJobs', 'databaseTime',
]);

/** Thrown when metrics are asked for and prom-client is not installed. */
export const MISSING_PROM_CLIENT = 'metrics need the optional peer dependency prom-client: npm install prom-client';

/**
 * prom-client, or `undefined` if it is not installed.
 * @throws whatever loading an installed prom-client throws.
 */
export function loadPromClient(): typeof PromClient | undefined {
  try {
    return requireHere('prom-client') as typeof PromClient;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if ((e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND') && /prom-client/.test(String(e.message))) return undefined;
    throw error;
  }
}

/** One stats read shared by the gauges of a scrape (and by scrapes less than this apart). */
const STATS_TTL_MS = 500;

/** The dashboard's metrics, registered in a registry. */
export class DashboardMetrics {
  /** The registry the metrics are in (the user's, or the dashboard's own). */
  readonly registry: PromRegistry;
  private readonly names: string[] = [];
  private readonly unobserve: () => void;
  private cached: { at: number; stats: Promise<StoreStats> } | undefined;
  private readonly staleAfterMs: number;

  constructor(private readonly store: SequelizeStateStore, settings: DashboardSettings, prom: typeof PromClient) {
    this.staleAfterMs = settings.staleAfterMs;
    const registry = (settings.registry ?? new prom.Registry()) as PromClient.Registry;
    this.registry = registry as unknown as PromRegistry;
    const p = settings.metricsPrefix;
    const registers = [registry];
    const name = (n: string): string => {
      this.names.push(`${p}${n}`);
      return `${p}${n}`;
    };
    // Read once per scrape; a failure leaves the gauges as they were and `store_up` at 0.
    const read = async (): Promise<StoreStats | undefined> => this.stats().catch(() => undefined);
    new prom.Gauge({
      name: name('store_up'), help: '1 if reading the store\'s figures succeeded, else 0', registers,
      async collect() {
        this.set((await read()) ? 1 : 0);
      },
    });
    const byStatus = (n: string, help: string, pick: (s: StoreStats) => Record<string, number>): void => {
      new prom.Gauge({
        name: name(n), help, labelNames: ['status'], registers,
        async collect() {
          const s = await read();
          if (s) for (const [status, value] of Object.entries(pick(s))) this.set({ status }, value);
        },
      });
    };
    byStatus('jobs', 'Jobs by status', (s) => s.jobs);
    byStatus('batches', 'Batches by status, of jobs not yet COMPLETED, ABORTED or FAILED', (s) => s.batches);
    byStatus('records', 'Records processed, failed (or invalid) and pending, of jobs not yet COMPLETED, ABORTED or FAILED', (s) => s.records);
    const single = (n: string, help: string, pick: (s: StoreStats) => number): void => {
      new prom.Gauge({
        name: name(n), help, registers,
        async collect() {
          const s = await read();
          if (s) this.set(pick(s));
        },
      });
    };
    single('stale_batches', `PROCESSING batches of active jobs whose lease is older than ${settings.staleAfterMs} ms`, (s) => s.staleBatches);
    single('oldest_lease_age_seconds', 'Age of the oldest lease of an active job\'s PROCESSING batch', (s) => s.oldestLeaseAgeMs / 1000);
    const calls = new prom.Histogram({
      name: name('store_call_duration_seconds'),
      help: 'Duration of the store\'s calls, by method and outcome',
      labelNames: ['operation', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.unobserve = store.observe((call) => {
      const operation = OBSERVED_OPERATIONS.has(call.operation) ? call.operation : 'other';
      calls.observe({ operation, outcome: call.ok ? 'ok' : 'error' }, call.durationMs / 1000);
    });
  }

  /** The store's figures, read at most once per {@link STATS_TTL_MS}. */
  stats(): Promise<StoreStats> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > STATS_TTL_MS) {
      this.cached = { at: now, stats: this.store.stats({ staleAfterMs: this.staleAfterMs }) };
    }
    return this.cached.stats;
  }

  /**
   * The registry's text. Reads the store first, so that a database that is
   * down rejects (the route answers 503) instead of serving old figures.
   */
  async text(): Promise<{ contentType: string; body: string }> {
    this.cached = undefined;
    await this.stats();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Stops observing the store and removes the metrics from the registry. */
  close(): void {
    this.unobserve();
    const registry = this.registry as unknown as { removeSingleMetric?: (n: string) => void };
    for (const n of this.names) registry.removeSingleMetric?.(n);
  }
}
