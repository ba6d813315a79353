/**
 * Scaling rows: the store's cost per batch (time inside store calls ÷
 * batches) at a small and a large point of the engine's call pattern, next
 * to the raw limit's cost at the same points. Store and limit runs alternate,
 * each on a fresh job; medians are kept.
 */
import { median, type Ctx } from './measure';
import { ms, printFigure } from './print';
import type { Figure } from './results';

/** Cost per batch at one point of one run. */
export interface PointCost {
  readonly ms: number;
  readonly byMethod: Record<string, number>;
  readonly callsByMethod: Record<string, number>;
}

/** The points one run measured, by name. */
export type RunPoints = Record<string, PointCost>;

/** One scaling figure: which two points it compares. */
export interface ScalingSpec {
  readonly id: string;
  readonly operation: string;
  readonly small: string;
  readonly large: string;
  readonly smallLabel: string;
  readonly largeLabel: string;
  readonly window: number;
  readonly limitMethod: string;
}

function point(run: RunPoints, name: string): PointCost {
  const p = run[name];
  if (!p) throw new Error(`no point ${name} in this run`);
  return p;
}

/** Runs `store` and `limit` `runs` times each, alternating, and records one figure per spec. */
export async function scalingCompare(
  ctx: Ctx, specs: readonly ScalingSpec[], runs: number, store: () => Promise<RunPoints>, limit: () => Promise<RunPoints>,
): Promise<Figure[]> {
  const storeRuns: RunPoints[] = [];
  const limitRuns: RunPoints[] = [];
  for (let r = 0; r < runs; r++) {
    const order: Array<'store' | 'limit'> = r % 2 === 0 ? ['store', 'limit'] : ['limit', 'store'];
    for (const side of order) {
      const result = side === 'store' ? await store() : await limit();
      (side === 'store' ? storeRuns : limitRuns).push(result);
      console.log(`    run ${r + 1} ${side}: ${Object.entries(result).map(([k, v]) => `${k} ${ms(v.ms)} ms/batch`).join(', ')}`);
    }
  }
  const figures: Figure[] = [];
  for (const spec of specs) {
    const costs = (all: RunPoints[], name: string): number[] => all.map((r) => point(r, name).ms);
    const storeSmall = median(costs(storeRuns, spec.small));
    const storeLarge = median(costs(storeRuns, spec.large));
    const limitSmall = median(costs(limitRuns, spec.small));
    const limitLarge = median(costs(limitRuns, spec.large));
    // The breakdown of the run whose large-point cost is the (lower) median.
    const pick = (all: RunPoints[]): RunPoints => {
      const sorted = [...all].sort((a, b) => point(a, spec.large).ms - point(b, spec.large).ms);
      return sorted[Math.floor((sorted.length - 1) / 2)] as RunPoints;
    };
    const s = pick(storeRuns);
    const l = pick(limitRuns);
    const figure: Figure = {
      kind: 'scaling',
      id: spec.id,
      operation: spec.operation,
      dialect: ctx.location.dialect,
      unit: 'ms/batch',
      store: storeLarge,
      limit: limitLarge,
      ratio: storeLarge / storeSmall,
      storeRuns: costs(storeRuns, spec.large),
      limitRuns: costs(limitRuns, spec.large),
      limitMethod: spec.limitMethod,
      scaling: {
        smallLabel: spec.smallLabel,
        largeLabel: spec.largeLabel,
        window: spec.window,
        storeSmallMs: storeSmall,
        storeLargeMs: storeLarge,
        limitSmallMs: limitSmall,
        limitLargeMs: limitLarge,
        limitRatio: limitLarge / limitSmall,
        storeSmallRuns: costs(storeRuns, spec.small),
        storeLargeRuns: costs(storeRuns, spec.large),
        limitSmallRuns: costs(limitRuns, spec.small),
        limitLargeRuns: costs(limitRuns, spec.large),
        breakdownSmall: point(s, spec.small).byMethod,
        breakdownLarge: point(s, spec.large).byMethod,
        callsSmall: point(s, spec.small).callsByMethod,
        callsLarge: point(s, spec.large).callsByMethod,
        limitBreakdownSmall: point(l, spec.small).byMethod,
        limitBreakdownLarge: point(l, spec.large).byMethod,
      },
    };
    ctx.figures.push(figure);
    printFigure(figure);
    figures.push(figure);
  }
  return figures;
}
