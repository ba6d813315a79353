/**
 * Every statement the store runs, as small pure functions of a
 * {@link SqlTarget} (one dialect, one store's tables), one file per concern:
 * jobs, batches, records, claims (leases), finalize, admin. The store's
 * modules ask {@link Statements} for them, which builds each text once.
 */
import { LRUCache } from 'lru-cache';
import type { SqlTarget } from './target';

export * from './admin';
export * from './batches';
export * from './claims';
export * from './columns';
export * from './finalize';
export * from './jobs';
export * from './progress';
export * from './records';
export { sqlTarget, UNFINISHED_BATCH, type SqlTarget } from './target';

/**
 * Characters of statement text one store keeps built (about 2 MB). Multi-row
 * statements differ by row count and a 500-record upsert is ~40,000
 * characters, so a cache bounded by entries alone held tens of megabytes.
 */
export const STATEMENT_CACHE_CHARS = 1_000_000;

/** A statement builder: a pure function of the target and a few numbers or flags. */
export type Builder<A extends unknown[]> = (t: SqlTarget, ...args: A) => string;

/** Builds statements for one store, keeping recently used texts up to {@link STATEMENT_CACHE_CHARS}. */
export class Statements {
  private readonly cache = new LRUCache<string, string>({
    maxSize: STATEMENT_CACHE_CHARS,
    sizeCalculation: (text, key) => text.length + key.length,
  });

  constructor(readonly target: SqlTarget) {}

  /** The text of `build(target, ...args)`, built once while it stays in the cache. */
  get<A extends (number | boolean | string)[]>(build: Builder<A>, ...args: A): string {
    const key = args.length === 0 ? build.name : `${build.name}:${args.join(':')}`;
    let sql = this.cache.get(key);
    if (sql === undefined) {
      sql = build(this.target, ...args);
      this.cache.set(key, sql);
    }
    return sql;
  }

  /** Characters of statement text held now. */
  get size(): number {
    return this.cache.calculatedSize ?? 0;
  }
}
