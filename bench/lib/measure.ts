/**
 * How the bench measures: rates of timed work, and {@link compare}, which
 * runs the store and the raw limit (and any other path) several times each,
 * alternating their order, each on freshly prepared data, and keeps medians.
 */
import type { Sequelize } from 'sequelize';
import type { SequelizeStateStore } from '../../src';
import type { BenchOptions, Sizes } from './options';
import type { BenchDialect, Location, RawConnection, RawSql } from './raw';
import { printFigure } from './print';
import type { CacheFigure, DashboardResult, Figure, MemoryFigure, SideFigure } from './results';
import { dropJob } from './setup';

/** What one dialect's scenarios share: the store, a raw connection on the same tables, and where figures go. */
export interface Ctx {
  readonly location: Location;
  readonly sequelize: Sequelize;
  readonly store: SequelizeStateStore;
  /** The table prefix of this run (other stores a scenario opens use it too, or a prefix of their own). */
  readonly prefix: string;
  readonly raw: RawConnection;
  readonly sql: RawSql;
  readonly options: BenchOptions;
  readonly size: Sizes;
  readonly figures: Figure[];
  memory?: MemoryFigure;
  readonly caches: CacheFigure[];
  dashboard?: DashboardResult;
}

/** One timed run: units per second, and this process's CPU time (user + system) per unit in µs. */
export interface Sample {
  readonly rate: number;
  readonly cpuUs: number;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Milliseconds, monotonic. */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Times `fn`: `amount` (or the number `fn` returns) per second, and CPU per unit. */
export async function rate(amount: number, fn: () => Promise<number | void>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const start = now();
  const done = await fn();
  const ms = now() - start;
  const used = process.cpuUsage(cpu);
  const units = typeof done === 'number' ? done : amount;
  return { rate: (units / ms) * 1000, cpuUs: (used.user + used.system) / units };
}

let seq = 0;
/** A job id unique to this run. */
export function uid(tag: string): string {
  seq += 1;
  return `${tag}-${process.pid.toString(36)}-${Date.now().toString(36)}-${seq}`;
}

/** What a figure is and how its limit is computed. */
export interface FigureSpec {
  readonly id: string;
  readonly operation: string;
  readonly unit: string;
  readonly runs: number;
  readonly limitMethod: string;
  /** Keep the prepared job after each run (it is shared by every run). */
  readonly keepJob?: boolean;
}

/** A path measured next to the store and the limit, in the same alternation (e.g. `sequelize.query()`). */
export interface OtherSide {
  readonly label: string;
  readonly method: string;
  readonly run: (jobId: string) => Promise<Sample>;
}

/**
 * Runs every side `spec.runs` times, rotating which goes first, each with
 * fresh setup (`prepare`, untimed) and cleanup, and records the medians.
 */
export async function compare(
  ctx: Ctx,
  spec: FigureSpec,
  prepare: (side: string) => Promise<string>,
  store: (jobId: string) => Promise<Sample>,
  limit: (jobId: string) => Promise<Sample>,
  others: readonly OtherSide[] = [],
): Promise<Figure> {
  const sides = [
    { label: 'store', run: store }, { label: 'limit', run: limit }, ...others.map((o) => ({ label: o.label, run: o.run })),
  ];
  const samples = new Map<string, Sample[]>(sides.map((s) => [s.label, []]));
  for (let r = 0; r < spec.runs; r++) {
    const order = sides.map((_, i) => sides[(i + r) % sides.length] as (typeof sides)[number]);
    for (const side of order) {
      const jobId = await prepare(side.label);
      (samples.get(side.label) as Sample[]).push(await side.run(jobId));
      if (!spec.keepJob) await dropJob(ctx.raw, ctx.store.tables, jobId);
    }
  }
  const rates = (label: string): number[] => (samples.get(label) as Sample[]).map((s) => s.rate);
  const cpu = (label: string): number => median((samples.get(label) as Sample[]).map((s) => s.cpuUs));
  const limitRate = median(rates('limit'));
  const otherFigures: SideFigure[] = others.map((o) => ({
    label: o.label, method: o.method, rate: median(rates(o.label)), runs: rates(o.label), cpuUs: cpu(o.label),
    ratio: median(rates(o.label)) / limitRate,
  }));
  const figure: Figure = {
    kind: 'rate',
    id: spec.id,
    operation: spec.operation,
    dialect: ctx.location.dialect as BenchDialect,
    unit: spec.unit,
    store: median(rates('store')),
    limit: limitRate,
    ratio: median(rates('store')) / limitRate,
    storeRuns: rates('store'),
    limitRuns: rates('limit'),
    limitMethod: spec.limitMethod,
    storeCpuUs: cpu('store'),
    limitCpuUs: cpu('limit'),
    ...(otherFigures.length ? { others: otherFigures } : {}),
  };
  ctx.figures.push(figure);
  printFigure(figure);
  return figure;
}

/** Creates an empty PROCESSING job through the store. */
export async function createJob(ctx: Ctx, jobId: string, distributed: boolean, totalRecords = 0, batchSize = 500): Promise<void> {
  await ctx.store.saveJobState({
    id: jobId, config: { batchSize }, status: 'PROCESSING', batches: [], totalRecords, startedAt: Date.now(), distributed,
  });
}

/** Runs `gc()` twice when `--expose-gc` made it available. */
export function settleHeap(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return gc !== undefined;
}

/** Bytes → MB, one decimal. */
export function mb(n: number): number {
  return Math.round((n / 1024 / 1024) * 10) / 10;
}
