/**
 * Observing the store's calls: each public operation, how long it took and
 * whether it failed. For metrics (the dashboard's store call latencies) and
 * tracing; costs nothing while nobody listens.
 */
import { performance } from 'perf_hooks';

/** One finished call of a store method. */
export interface StoreCall {
  /** The method: `saveProcessedRecord`, `claimBatch`, … */
  readonly operation: string;
  /** Wall time from the call to its settling, in ms. */
  readonly durationMs: number;
  /** `false` when the call rejected. */
  readonly ok: boolean;
}

/** Receives every finished call. Must not throw (a throw is ignored). */
export type StoreCallListener = (call: StoreCall) => void;

/** The listeners of one store. */
export class CallObservers {
  private readonly listeners = new Set<StoreCallListener>();

  /** Adds a listener; the function returned removes it. */
  add(listener: StoreCallListener): () => void {
    if (typeof listener !== 'function') throw new TypeError('observe() needs a function');
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Runs `fn` as the call `operation`, telling the listeners when it settles. */
  run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.listeners.size === 0) return fn();
    const start = performance.now();
    const done = (ok: boolean): void => {
      const call: StoreCall = { operation, durationMs: performance.now() - start, ok };
      for (const listener of this.listeners) {
        try {
          listener(call);
        } catch {
          // A listener's failure is not the store's.
        }
      }
    };
    let promise: Promise<T>;
    try {
      promise = fn();
    } catch (error) {
      done(false);
      return Promise.reject(error);
    }
    return promise.then((value) => {
      done(true);
      return value;
    }, (error: unknown) => {
      done(false);
      throw error;
    });
  }
}
