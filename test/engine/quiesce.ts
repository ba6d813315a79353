/**
 * Consistent checkpoints while the engine's calls run concurrently: a store
 * wrapped so that a check can run while no store call is in flight (store
 * calls share a lock, the check holds it alone), and a "crash" after which
 * every call fails at once, as if the process had died mid-batch.
 */

/** A wrapped store, a way to run checks at rest, and a kill switch. */
export interface GuardedStore<T> {
  readonly store: T;
  /** Runs `fn` once no store call is in flight; store calls wait meanwhile. */
  atRest<R>(fn: () => Promise<R>): Promise<R>;
  /** From now on every store call rejects without reaching the store (the process "died"). */
  crash(): void;
}

/** Thrown by store calls after {@link GuardedStore.crash}. */
export class ProcessDied extends Error {}

export function guard<T extends object>(target: T): GuardedStore<T> {
  let active = 0;
  let exclusive = false;
  let crashed = false;
  const waiters: Array<() => void> = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const until = async (ok: () => boolean): Promise<void> => {
    while (!ok()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  const store = new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        if (crashed) throw new ProcessDied('the process died');
        await until(() => !exclusive);
        if (crashed) throw new ProcessDied('the process died');
        active += 1;
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args);
        } finally {
          active -= 1;
          wake();
        }
      };
    },
  });
  return {
    store,
    async atRest<R>(fn: () => Promise<R>): Promise<R> {
      await until(() => !exclusive);
      exclusive = true;
      try {
        await until(() => active === 0);
        return await fn();
      } finally {
        exclusive = false;
        wake();
      }
    },
    crash() {
      crashed = true;
    },
  };
}
