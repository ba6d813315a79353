/**
 * What the bench produces, as written to bench/results/<dialect>.json and
 * read back by `--update-md` (bench/lib/report.ts).
 */
import type { BenchDialect } from './raw';

/** Another path measured in the same runs as a figure's store and limit (e.g. `sequelize.query()`). */
export interface SideFigure {
  readonly label: string;
  readonly method: string;
  /** Median rate. */
  readonly rate: number;
  readonly runs: number[];
  readonly cpuUs: number;
  /** rate / the figure's limit rate. */
  readonly ratio: number;
}

/**
 * One line of the table. `kind: 'rate'`: rates are units per second, higher
 * is better, `ratio` is store / limit. `kind: 'scaling'`: see {@link ScalingDetail};
 * `store` and `limit` are costs per batch (ms) at the large point and `ratio`
 * is the store's cost at the large point ÷ its cost at the small one.
 */
export interface Figure {
  readonly kind: 'rate' | 'scaling';
  readonly id: string;
  readonly operation: string;
  readonly dialect: BenchDialect;
  readonly unit: string;
  readonly store: number;
  readonly limit: number;
  readonly ratio: number;
  readonly storeRuns: number[];
  readonly limitRuns: number[];
  readonly limitMethod: string;
  /** Median CPU time of this (client) process per unit, µs: store side and raw side (rate figures). */
  readonly storeCpuUs?: number;
  readonly limitCpuUs?: number;
  readonly others?: SideFigure[];
  readonly scaling?: ScalingDetail;
}

/** Store cost per batch at two points of a job's life (or two job sizes), as the engine calls the store. */
export interface ScalingDetail {
  /** What the two points are, e.g. "batch 200" and "batch 10,000". */
  readonly smallLabel: string;
  readonly largeLabel: string;
  /** Batches timed at each point, per run. */
  readonly window: number;
  /** Median store / limit cost per batch at each point, ms (time inside store calls ÷ batches). */
  readonly storeSmallMs: number;
  readonly storeLargeMs: number;
  readonly limitSmallMs: number;
  readonly limitLargeMs: number;
  /** limitLargeMs / limitSmallMs. */
  readonly limitRatio: number;
  readonly storeSmallRuns: number[];
  readonly storeLargeRuns: number[];
  readonly limitSmallRuns: number[];
  readonly limitLargeRuns: number[];
  /** The store's cost per batch by method at each point (ms) and its calls per batch, from the run with the median large cost. */
  readonly breakdownSmall: Record<string, number>;
  readonly breakdownLarge: Record<string, number>;
  readonly callsSmall: Record<string, number>;
  readonly callsLarge: Record<string, number>;
  /** The same for the limit. */
  readonly limitBreakdownSmall: Record<string, number>;
  readonly limitBreakdownLarge: Record<string, number>;
}

/** Heap figures of the memory check. */
export interface MemoryFigure {
  readonly dialect: BenchDialect;
  readonly records: number;
  readonly batches: number;
  readonly calls: string;
  readonly heapBeforeMb: number;
  readonly heapAfterMb: number;
  readonly heapPeakMb: number;
  readonly rssBeforeMb: number;
  readonly rssAfterMb: number;
  readonly gcExposed: boolean;
}

/** Retained heap of one store after multi-row record statements of every row count. */
export interface CacheFigure {
  /** The Sequelize dialect of the store (`mysql` is mysql2 on the MariaDB server). */
  readonly dialect: string;
  readonly calls: string;
  readonly heapBeforeMb: number;
  /** Heap after row counts 1 … `midRows`, and after 1 … `rows` (forced GC, the store still open). */
  readonly midRows: number;
  readonly heapMidMb: number;
  readonly rows: number;
  readonly heapAfterMb: number;
  /** Heap once the store and its Sequelize instance are closed and dropped. */
  readonly heapReleasedMb: number;
  /** Characters of statement text the store's SQL cache holds, and entries of the executor's compiled cache (read from internals; absent if not found). */
  readonly sqlCacheChars?: number;
  readonly compiledEntries?: number;
  readonly gcExposed: boolean;
}

/** One timed call of the dashboard scenario. */
export interface DashboardCall {
  readonly name: string;
  readonly kind: 'api' | 'store';
  readonly medianMs: number;
  readonly minMs: number;
  readonly budgetMs: number | null;
  readonly ok: boolean | undefined;
}

/** The dashboard scenario's figures on one dialect. */
export interface DashboardResult {
  readonly records: number;
  readonly batches: number;
  readonly runs: number;
  readonly seedMs: number;
  readonly payloadBytes: Record<string, number>;
  readonly results: DashboardCall[];
  /** Whether the budgets are this dialect's targets (they are set for PostgreSQL). */
  readonly budgetsApply: boolean;
}

/** A target of the issues, checked against this run's figures. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Everything one dialect's run produced. */
export interface DialectResult {
  readonly dialect: BenchDialect;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: string;
  /** `uptime` load averages (1, 5, 15 min) at the start and the end of the dialect's run. */
  readonly loadBefore?: number[];
  readonly loadAfter?: number[];
  /** Scenario ids this run covered. */
  readonly scenarios?: string[];
  readonly figures: Figure[];
  readonly memory?: MemoryFigure;
  readonly caches?: CacheFigure[];
  readonly dashboard?: DashboardResult;
  readonly targets: TargetCheck[];
}
