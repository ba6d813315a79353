/**
 * Shared pieces of the reliability suite: sample jobs and records, a full
 * snapshot of what a store holds (to prove a rejected call changed nothing),
 * error assertions, and fault injection on real connections (a second
 * connection that kills the store's connection, found through Sequelize's
 * `beforeQuery` hook).
 */
import { QueryTypes, type Sequelize } from 'sequelize';
import type { ErrorContext } from '../../src';
import { StateStoreError, type SequelizeStateStore } from '../../src';
import type { Batch, JobState, ProcessedRecord } from '../../src/ports';
import type { TestDatabase } from '../helpers/databases';

/** Sequelize's `query` objects carry the connection they run on. */
interface HookedQuery {
  connection?: { processID?: number; threadId?: number; info?: { threadId?: number } };
}

/** A record of `batchId` at `index`, pending (as an orchestrator saves it). */
export function pendingRecord(index: number, extra: Record<string, unknown> = {}): ProcessedRecord {
  return {
    index,
    raw: { row: index, name: `name ${index}`, ...extra },
    parsed: { row: index, name: `NAME ${index}`, ...extra },
    status: 'pending',
    errors: [],
  };
}

/** A distributed PROCESSING job with `batches` batches of `size` records each (PENDING). */
export function distributedJob(id: string, batchIds: readonly string[], size: number): JobState {
  return {
    id,
    config: { batchSize: size, continueOnError: true, schema: { fields: [{ name: 'name', type: 'string', required: true, pattern: /^[a-z ]+\d*$/i }] } },
    status: 'PROCESSING',
    distributed: true,
    totalRecords: batchIds.length * size,
    startedAt: 1_700_000_000_000,
    batches: batchIds.map((batchId, index): Batch => ({
      id: batchId,
      index,
      status: 'PENDING',
      records: [],
      processedCount: 0,
      failedCount: 0,
      recordStartIndex: index * size,
      recordEndIndex: index * size + size - 1,
    })),
  };
}

/** Row counts of the store's three tables (every job). */
export async function rowCounts(store: SequelizeStateStore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const { jobs, batches, records } = store.tables;
  for (const [name, table] of Object.entries({ jobs, batches, records })) {
    const [row] = await store.sequelize.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${table}`, {
      type: QueryTypes.SELECT,
      transaction: null,
    });
    out[name] = Number(row?.n);
  }
  return out;
}

/**
 * Everything the store holds about `jobIds`, read through the store, plus the
 * raw row counts: two snapshots are equal when nothing was written.
 */
export async function snapshot(store: SequelizeStateStore, jobIds: readonly string[]): Promise<unknown> {
  const jobs: Record<string, unknown> = {};
  for (const jobId of jobIds) {
    const state = await store.getJobState(jobId);
    const batches: Record<string, unknown> = {};
    for (const b of state?.batches ?? []) batches[b.id] = await store.getBatchRecords(jobId, b.id);
    jobs[jobId] = {
      state,
      batches,
      failed: await store.getFailedRecords(jobId),
      pending: await store.getPendingRecords(jobId),
      processed: await store.getProcessedRecords(jobId),
    };
  }
  return { jobs, counts: await rowCounts(store) };
}

/** Awaits `promise`, expecting it to reject with an error of class `kind` whose context matches `context`. */
export async function expectStoreError(
  promise: Promise<unknown>,
  kind: abstract new (...args: never[]) => StateStoreError,
  context: Partial<Record<keyof ErrorContext, unknown>>,
): Promise<StateStoreError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(kind);
  const error = caught as StateStoreError;
  for (const [key, expected] of Object.entries(context)) {
    const actual = (error.context as Record<string, unknown>)[key];
    if (expected instanceof RegExp) expect(String(actual)).toMatch(expected);
    else expect(actual).toEqual(expected);
  }
  return error;
}

/** Whether the database is MariaDB/MySQL (either driver). */
export function isMysqlFamily(db: TestDatabase): boolean {
  return /^(mariadb|mysql)(\+|$)/.test(db.name);
}

/** The server-side id of the connection a hooked query runs on (PostgreSQL backend pid, MySQL thread id). */
export function connectionIdOf(query: unknown): number {
  const c = (query as HookedQuery).connection;
  const id = c?.processID ?? c?.threadId ?? c?.info?.threadId;
  if (typeof id !== 'number') throw new Error('cannot tell the connection id of this query');
  return id;
}

/** Kills a server connection from another connection: `pg_terminate_backend` or `KILL`. */
export async function killConnection(db: TestDatabase, killer: Sequelize, id: number): Promise<void> {
  if (db.name === 'postgres') {
    await killer.query('SELECT pg_terminate_backend($1)', { bind: [id], type: QueryTypes.SELECT });
  } else {
    await killer.query(`KILL ${Math.floor(id)}`, { type: QueryTypes.RAW });
  }
}

/**
 * Calls `onMatch(query, nth)` before each query whose SQL matches `pattern`,
 * on `sequelize`; returns a function that removes the hook.
 */
export function beforeMatchingQuery(
  sequelize: Sequelize,
  pattern: RegExp,
  onMatch: (query: unknown, nth: number, sql: string) => Promise<void> | void,
): () => void {
  let n = 0;
  const name = `reliability-${Math.random().toString(36).slice(2)}`;
  // Sequelize passes (options, query) to beforeQuery; the SQL text is not on
  // either yet, so wrap query.run, which receives it.
  sequelize.addHook('beforeQuery', name, (_options: unknown, query: unknown) => {
    const q = query as { run: (sql: string, ...rest: unknown[]) => Promise<unknown> };
    const run = q.run.bind(q);
    q.run = async (sql: string, ...rest: unknown[]) => {
      if (pattern.test(sql)) {
        n += 1;
        await onMatch(query, n, sql);
      }
      return run(sql, ...rest);
    };
  });
  return () => {
    sequelize.removeHook('beforeQuery', name);
  };
}

/** JSON equivalence: what JSON would keep of a value (undefined props dropped, -0 as 0). */
export function jsonClone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
