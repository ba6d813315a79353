/**
 * The database's progress counters (dialects with `progressCounters`:
 * PostgreSQL): created by `initialize()` (and migration
 * `004_progress_counters`), and checked by each store before progress reads
 * them. A store on tables whose counters were never created (migrated only
 * up to 003, say) reads progress from the batch rows, as other dialects do,
 * and looks again every {@link COUNTERS_RECHECK_MS}: migration 004 run while
 * it serves is picked up without a restart.
 */
import type { CounterLocation, ProgressCounters } from './dialects';
import type { StoreContext } from './context';
import { StateStoreError } from '../errors';
import { isTrue } from '../mappers/json';

/** How long a store that found no counters reads the batch rows before it looks for them again, ms. */
export const COUNTERS_RECHECK_MS = 60_000;

/** Where this store's counters live, or `undefined` when its dialect keeps none. */
export function counterLocation(ctx: StoreContext): CounterLocation | undefined {
  if (!ctx.dialect.progressCounters || !ctx.tables.progress) return undefined;
  const { tablePrefix, schema } = ctx.settings;
  return { batches: ctx.tables.batches, progress: ctx.tables.progress, prefix: tablePrefix, ...(schema ? { schema } : {}) };
}

async function present(ctx: StoreContext, at: CounterLocation): Promise<boolean> {
  const [row] = await ctx.select<{ ok: unknown }>((ctx.dialect.progressCounters as ProgressCounters).present(at), []);
  return isTrue(row?.ok);
}

/**
 * Creates the counters if they are missing (table, triggers, and the counts
 * of the batches already stored: one statement, which holds writes to the
 * batches table back while it runs). Concurrent callers wait for each other
 * and the later ones find the counters made.
 */
export async function ensureCounters(ctx: StoreContext): Promise<void> {
  const at = counterLocation(ctx);
  const counters = ctx.dialect.progressCounters;
  if (!at || !counters) return;
  if (!(await present(ctx, at))) await ctx.exec(counters.create(at), []);
  ctx.countersReady = Promise.resolve(true);
  ctx.countersMissingSince = undefined;
}

/**
 * Runs `fn` with whether the counters can be read. If it fails while they
 * were thought present, and they are gone (dropped by a migration's `down()`
 * or by hand while this store ran), remembers that and runs `fn` again on
 * the batch rows; any other failure is `fn`'s own.
 */
export async function withCounters<T>(ctx: StoreContext, fn: (counters: boolean) => Promise<T>): Promise<T> {
  const counters = await countersReady(ctx);
  try {
    return await fn(counters);
  } catch (error) {
    const at = counterLocation(ctx);
    // The library's own errors (an unknown job) are answers, not a missing table.
    if (error instanceof StateStoreError || !counters || !at || (await present(ctx, at).catch(() => true))) throw error;
    ctx.countersReady = Promise.resolve(false);
    ctx.countersMissingSince = Date.now();
    return fn(false);
  }
}

/**
 * Whether progress can read the counters: checked once per store while they
 * are there (after `initialize()`, known), again every
 * {@link COUNTERS_RECHECK_MS} while they are not.
 */
export function countersReady(ctx: StoreContext): Promise<boolean> {
  const at = counterLocation(ctx);
  if (!at) return Promise.resolve(false);
  const missing = ctx.countersMissingSince;
  if (!ctx.countersReady || (missing !== undefined && Date.now() - missing >= COUNTERS_RECHECK_MS)) {
    const check = present(ctx, at);
    ctx.countersReady = check;
    ctx.countersMissingSince = undefined;
    check.then((ok) => {
      if (ctx.countersReady === check && !ok) ctx.countersMissingSince = Date.now();
    }, () => {
      // A failed check (database down) is not remembered: the next read asks again.
      if (ctx.countersReady === check) ctx.countersReady = undefined;
    });
  }
  return ctx.countersReady;
}
