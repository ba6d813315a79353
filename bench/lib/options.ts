/**
 * The bench's command line (also as env: BENCH_QUICK=1, BENCH_DIALECT=…,
 * BENCH_ONLY=…) and the sizes of every measurement.
 */
import type { BenchDialect } from './raw';

/** Sizes of every measurement; `--quick` shrinks them. */
export interface Sizes {
  readonly spr: number;
  readonly sbr: number;
  readonly sbrCall: number;
  readonly cycleJob: number;
  readonly bigJob: number;
  readonly tail: number;
  readonly workers: number;
  readonly workerJob: number;
  readonly readRecords: number;
  readonly readBatches: number;
  readonly readCalls: number;
  readonly importRecords: number;
  readonly importUnbufferedRecords: number;
  readonly batchSize: number;
  readonly memRecords: number;
  readonly memBatches: number;
  readonly memCycles: number;
  readonly memReads: number;
  /** Calls per run of each operation of the `sequelize.query()` comparison. */
  readonly queryCalls: number;
  /** Engine scaling rows: the small point, the large point (batch numbers) and the window of batches timed at each. */
  readonly scaleSmall: number;
  readonly scaleLarge: number;
  readonly scaleWindow: number;
  /** Statement caches: multi-row record writes of every row count 1 … this. */
  readonly cacheRows: number;
  /** Dashboard job: records, batches, timed calls per API call. */
  readonly dashRecords: number;
  readonly dashBatches: number;
  readonly dashRuns: number;
}

const FULL: Sizes = {
  spr: 5_000, sbr: 100_000, sbrCall: 500, cycleJob: 200, bigJob: 10_000, tail: 200, workers: 8, workerJob: 2_000,
  readRecords: 100_000, readBatches: 10_000, readCalls: 20, importRecords: 100_000, importUnbufferedRecords: 100_000, batchSize: 500,
  memRecords: 1_000_000, memBatches: 10_000, memCycles: 1_000, memReads: 50,
  queryCalls: 2_000, scaleSmall: 200, scaleLarge: 10_000, scaleWindow: 200, cacheRows: 1_000,
  dashRecords: 1_000_000, dashBatches: 10_000, dashRuns: 15,
};

const QUICK: Sizes = {
  spr: 300, sbr: 10_000, sbrCall: 500, cycleJob: 200, bigJob: 2_000, tail: 200, workers: 8, workerJob: 400,
  readRecords: 10_000, readBatches: 1_000, readCalls: 10, importRecords: 10_000, importUnbufferedRecords: 1_000, batchSize: 500,
  memRecords: 100_000, memBatches: 1_000, memCycles: 200, memReads: 20,
  queryCalls: 200, scaleSmall: 200, scaleLarge: 1_000, scaleWindow: 50, cacheRows: 200,
  dashRecords: 100_000, dashBatches: 1_000, dashRuns: 5,
};

/** What the command line asked for. */
export interface BenchOptions {
  readonly quick: boolean;
  readonly dialects: readonly string[] | undefined;
  /** Scenario ids (see `bench/scenarios/index.ts`); all when absent. */
  readonly only: readonly string[] | undefined;
  readonly updateMd: boolean;
  readonly size: Sizes;
  /** Runs per measurement: short ones (default 5, quick 3) and long ones (default 3). */
  readonly shortRuns: number;
  readonly longRuns: number;
}

/** Parses `argv` (without node and the script) and the environment. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flag = (name: string): boolean => argv.includes(`--${name}`);
  const option = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i >= 0) return argv[i + 1];
    return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  };
  const list = (value: string | undefined): string[] | undefined => value?.split(',').map((s) => s.trim()).filter(Boolean);
  const quick = flag('quick') || env.BENCH_QUICK === '1';
  const runs = option('runs') ? Number(option('runs')) : undefined;
  if (runs !== undefined && (!Number.isInteger(runs) || runs < 1)) throw new Error(`--runs must be a positive integer, got ${option('runs')}`);
  return {
    quick,
    dialects: list(option('dialect') ?? env.BENCH_DIALECT),
    only: list(option('only') ?? env.BENCH_ONLY),
    updateMd: flag('update-md'),
    size: quick ? QUICK : FULL,
    shortRuns: runs ?? (quick ? 3 : 5),
    longRuns: runs ?? 3,
  };
}

/** Whether `dialect` is one the bench knows. */
export function isBenchDialect(d: string): d is BenchDialect {
  return d === 'sqlite' || d === 'postgres' || d === 'mariadb';
}
