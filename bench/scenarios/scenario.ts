/** What every scenario of the bench exports. */
import type { Ctx } from '../lib/measure';
import type { BenchDialect } from '../lib/raw';

export interface Scenario {
  /** The id `--only` selects it by. */
  readonly id: string;
  /** What it measures. */
  readonly measures: string;
  /** What the store side does. */
  readonly storeSide: string;
  /** What the limit side does (the raw driver, hand-written SQL), or why there is none. */
  readonly limitSide: string;
  /** Dialects it runs on (default: all). */
  readonly dialects?: readonly BenchDialect[];
  /** Runs its measurements and pushes its figures into `ctx`. */
  run(ctx: Ctx): Promise<void>;
}
