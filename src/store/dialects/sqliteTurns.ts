import * as fs from 'fs';
import * as path from 'path';
import type { Sequelize } from 'sequelize';

/**
 * SQLite has one writer per database, and node-sqlite3 runs every statement
 * on libuv's thread pool (4 threads unless `UV_THREADPOOL_SIZE` says
 * otherwise). A statement waiting for the write lock sleeps in its busy
 * handler on one of those threads. When four of them wait for a transaction
 * held by another connection of the same process, that transaction's next
 * statement (its `COMMIT`, say) finds no thread to run on: every waiter
 * sleeps out the whole busy timeout (10 s by default) and the lock holder
 * with it. Several Sequelize instances on one file in one process (a worker
 * per job, a store per tenant, tests) hit this as stalls of exactly the busy
 * timeout, or as SQLITE_BUSY.
 *
 * So the store's statements and transactions on one SQLite database take
 * turns in this process, whichever Sequelize instance they come through:
 * a turn waits in JavaScript, not on a pool thread. Writers in other
 * processes still meet the busy timeout, which is what it is for; their
 * waiting threads are their own process's.
 */
interface Queue {
  tail: Promise<unknown>;
}

/** Queues of database files, by the file's resolved path. */
const files = new Map<string, Queue>();
/** Queues of private databases (`:memory:`, temporary), one per Sequelize instance. */
const privates = new WeakMap<Sequelize, Queue>();

/**
 * The database file a Sequelize instance opens, as a key two instances on
 * the same file agree on (`./db.sqlite` and its absolute path; a symlinked
 * directory), or `undefined` for a database private to its connection:
 * `:memory:`, `''` (a temporary file) and `mode=memory` URIs.
 */
export function sqliteDatabaseFile(sequelize: Sequelize): string | undefined {
  // As Sequelize's SQLite connection manager picks it.
  const options = (sequelize as unknown as { options: { storage?: unknown; host?: unknown } }).options;
  const storage = String(options.storage !== undefined ? options.storage : (options.host || ':memory:'));
  if (storage === ':memory:' || storage === '') return undefined;
  if (storage.startsWith('file:')) return /[?&]mode=memory(&|$)/.test(storage) ? undefined : storage;
  const resolved = path.resolve(storage);
  let directory = path.dirname(resolved);
  try {
    directory = fs.realpathSync.native(directory);
  } catch {
    // Not created yet (Sequelize creates it on connect): the resolved path.
  }
  return path.join(directory, path.basename(resolved));
}

/** A function that runs `fn` after every store statement and transaction queued before it on the instance's SQLite database. */
export type TakeTurn = <T>(fn: () => Promise<T>) => Promise<T>;

/** The turn-taking of the database `sequelize` opens (see above). */
export function sqliteTurns(sequelize: Sequelize): TakeTurn {
  const file = sqliteDatabaseFile(sequelize);
  let queue = file !== undefined ? files.get(file) : privates.get(sequelize);
  if (!queue) {
    queue = { tail: Promise.resolve() };
    if (file !== undefined) files.set(file, queue);
    else privates.set(sequelize, queue);
  }
  const mine = queue;
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = mine.tail.then(fn);
    mine.tail = run.catch(() => undefined);
    return run;
  };
}
