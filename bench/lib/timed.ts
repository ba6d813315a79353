/**
 * Time spent inside a store's calls: {@link timed} wraps any object (the
 * store, or the raw limit's stand-in) so that every method call adds its
 * duration to a {@link CallLog}, in total and by method.
 */
import { now } from './measure';

/** Cumulative time (ms) and calls, in total and by method. */
export class CallLog {
  total = 0;
  readonly ms = new Map<string, number>();
  readonly calls = new Map<string, number>();

  add(method: string, ms: number): void {
    this.total += ms;
    this.ms.set(method, (this.ms.get(method) ?? 0) + ms);
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }

  /** A copy of the cumulative figures, to subtract later. */
  snapshot(): LogSnapshot {
    return { total: this.total, ms: new Map(this.ms), calls: new Map(this.calls) };
  }
}

export interface LogSnapshot {
  readonly total: number;
  readonly ms: ReadonlyMap<string, number>;
  readonly calls: ReadonlyMap<string, number>;
}

/** Per-batch cost between two snapshots: total ms, ms by method and calls by method, each ÷ `batches`. */
export function perBatch(from: LogSnapshot, to: LogSnapshot, batches: number): { ms: number; byMethod: Record<string, number>; callsByMethod: Record<string, number> } {
  const byMethod: Record<string, number> = {};
  const callsByMethod: Record<string, number> = {};
  for (const [method, total] of to.ms) {
    const d = total - (from.ms.get(method) ?? 0);
    if (d > 0) byMethod[method] = d / batches;
  }
  for (const [method, total] of to.calls) {
    const d = total - (from.calls.get(method) ?? 0);
    if (d > 0) callsByMethod[method] = d / batches;
  }
  return { ms: (to.total - from.total) / batches, byMethod, callsByMethod };
}

/** `target` with every method timed into `log` (calls are made on `target` itself, so its own inner calls are not counted twice). */
export function timed<T extends object>(target: T, log: CallLog): T {
  return new Proxy(target, {
    get(t, property) {
      const value = Reflect.get(t, property, t) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]): unknown => {
        const start = now();
        const result = (value as (...a: unknown[]) => unknown).apply(t, args);
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          return (result as Promise<unknown>).then(
            (v) => { log.add(property, now() - start); return v; },
            (e: unknown) => { log.add(property, now() - start); throw e; },
          );
        }
        log.add(property, now() - start);
        return result;
      };
    },
  });
}
